import ArgumentParser
import Ferry
import Foundation

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the applied migrations with when and how long they took.")

    @OptionGroup var common: CommonOptions

    struct Result: Encodable {
        let command = "history"
        let ok = true
        let applied: [AppliedMigration]
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("history") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let history = try await ferry.history()
            if console.isJSON { return console.json(Result(applied: history)) }
            if history.isEmpty { return console.line("No migration has been applied to this database.") }
            let width = history.map(\.id.count).max() ?? 0
            for row in history {
                let id = row.id.padding(toLength: width, withPad: " ", startingAt: 0)
                var line = "\(id)  \(Timestamp.string(from: row.appliedAt))  \(Duration.text(seconds: row.duration))  by \(row.appliedBy)"
                if row.kind != Migration.Kind.sql.rawValue { line += "  [\(row.kind)]" }
                if let note = row.note { line += "  (\(note))" }
                console.line(line)
            }
        }
    }
}
