import ArgumentParser
import Ferry
import Foundation

struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract:
            "Take over a database that no migration tool managed: record a release's migrations as applied when its schema is that release's.",
        discussion: """
            Installs the release's migrations on a scratch database, compares the schemas (tables, \
            columns and types, keys, indexes, views, triggers), and only when they are the same takes a \
            pre-baseline backup and records the migrations (kind 'baseline') and the release in one \
            transaction. Otherwise prints every difference and changes nothing (exit 3).
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp("The release whose schema the database has.", valueName: "version"),
        transform: OptionValue.release)
    var release: Release

    @Flag(name: .long, help: "Compare only, and record nothing.")
    var dryRun = false

    struct Result: Encodable {
        let command = "baseline"
        let ok = true
        let error: FerryError? = nil
        let report: BaselineReport
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("baseline") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let report = try await ferry.baseline(
                BaselineOptions(release: release, dryRun: dryRun),
                onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(report: report)) }
            console.line(
                "The schema is that of release \(report.release) (\(report.objectsCompared) objects compared)."
            )
            console.line(
                (report.dryRun ? "Would record" : "Recorded")
                    + " \(report.recorded.count) migration"
                    + (report.recorded.count == 1 ? "" : "s") + " as applied (kind baseline): "
                    + report.recorded.joined(separator: ", ") + ".")
            if let backup = report.backup { console.line("Backup taken before: \(backup).") }
            if report.dryRun { console.line("Dry run: nothing was changed.") }
        }
    }
}
