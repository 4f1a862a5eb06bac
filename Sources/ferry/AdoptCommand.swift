import ArgumentParser
import Ferry
import Foundation

struct AdoptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract:
            "Take over a database that another migration tool managed: record the migrations it applied in Ferry's history.",
        discussion: """
            Reads the tool's history (its table is left as it was), refuses a dirty or failed state and \
            files that changed since the tool applied them, then takes a pre-adopt backup and records \
            every applied migration (kind 'adopted') and the release in one transaction.
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The tool that managed the database (default: detected from its tables).",
            valueName: "tool"))
    var from: ForeignTool?

    @Flag(
        name: .long,
        help:
            "Adopt files that changed since the tool applied them as they are now, and leave out history entries no file matches."
    )
    var allowChanged = false

    @Flag(name: .long, help: "Show what would be recorded, and change nothing.")
    var dryRun = false

    struct Result: Encodable {
        let command = "adopt"
        let ok = true
        let error: FerryError? = nil
        let report: AdoptReport
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("adopt") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let report = try await ferry.adopt(
                AdoptOptions(tool: from, allowChanged: allowChanged, dryRun: dryRun),
                onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(report: report)) }
            let count = report.adopted.count
            console.line(
                (report.dryRun ? "Would adopt" : "Adopted")
                    + " \(count) migration\(count == 1 ? "" : "s") from \(report.tool) (\(report.table), left as it was):"
            )
            for item in report.adopted {
                let at = item.appliedAt.map { " applied \(Timestamp.string(from: $0))" } ?? ""
                console.line(
                    "  \(item.id) (\(report.tool) \(item.toolVersion))\(at)"
                        + (item.changed.map { " — changed: \($0)" } ?? ""))
            }
            for identifier in report.leftOut {
                console.line("  left out: \(report.tool) \(identifier), which no file matches")
            }
            console.line(
                report.release.map { "Release: \($0)." }
                    ?? "Release: none yet (no release has all its migrations applied).")
            if !report.pending.isEmpty {
                console.line(
                    "Not applied by \(report.tool), for the next upgrade: "
                        + report.pending.joined(separator: ", ") + ".")
            }
            if let backup = report.backup { console.line("Backup taken before: \(backup).") }
            if report.dryRun { console.line("Dry run: nothing was changed.") }
        }
    }
}
