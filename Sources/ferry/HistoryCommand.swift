import ArgumentParser
import Ferry
import Foundation

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the applied migrations with when and how long they took.")

    @OptionGroup var common: CommonOptions

    struct Result: Encodable {
        let command = "history"
        let ok = true
        let error: FerryError? = nil
        /// The applied migrations' ids, oldest first (a list of ids, as in every result).
        let applied: [String]
        /// The applied migrations with when, how long and by whom.
        let migrations: [AppliedMigration]
        /// Downgrades, restores and accepted changes, oldest first.
        let events: [HistoryEvent]
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("history", readsOnly: true) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let (history, events) = try await ferry.historyWithEvents()
            if console.isJSON {
                return console.json(
                    Result(applied: history.map(\.id), migrations: history, events: events))
            }
            if history.isEmpty && events.isEmpty {
                return console.line("No migration has been applied to this database.")
            }
            let width = history.map(\.id.count).max() ?? 0
            // Migrations and events in time order; a migration before an event of the same instant.
            var lines: [(at: Date, text: String)] = history.map { row in
                let id = row.id.padding(toLength: width, withPad: " ", startingAt: 0)
                var line =
                    "\(id)  \(Timestamp.string(from: row.appliedAt))  \(Duration.text(seconds: row.duration))  by \(row.appliedBy)"
                if row.kind == .swift {
                    line += "  [swift: applied by the application (registered in Swift)]"
                } else if row.kind != .sql {
                    line += "  [\(row.kind)]"
                }
                if let note = row.note { line += "  (\(note))" }
                return (row.appliedAt, line)
            }
            for event in events {
                var line = "[\(event.kind.rawValue)]".padding(
                    toLength: max(width, 10), withPad: " ", startingAt: 0)
                line +=
                    "  \(Timestamp.string(from: event.at))  \(event.fromRelease?.description ?? "none") -> \(event.toRelease?.description ?? "none")"
                if let backup = event.backup { line += "  backup \(backup)" }
                if let note = event.note { line += "  (\(note))" }
                lines.append((event.at, line))
            }
            for line in lines.enumerated().sorted(by: {
                ($0.element.at, $0.offset) < ($1.element.at, $1.offset)
            }) {
                console.line(line.element.text)
            }
        }
    }
}
