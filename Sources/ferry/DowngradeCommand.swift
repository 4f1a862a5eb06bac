import ArgumentParser
import Ferry
import Foundation

struct DowngradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downgrade",
        abstract:
            "Take the database back to an older release: by down scripts, or else by the pre-upgrade backup."
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var backupCheck: BackupCheckOption

    @Option(
        name: .long, help: ArgumentHelp("The release to go back to.", valueName: "version"),
        transform: OptionValue.release)
    var to: Release

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    struct Result: Encodable {
        let command = "downgrade"
        let ok = true
        let error: FerryError? = nil
        let report: DowngradeReport
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("downgrade") {
            let ferry = Ferry(
                try common.configuration(
                    try common.settings(adding: backupCheck.settings), console: console))
            let plan = try await ferry.downgradePlan(to: to)
            if !console.isJSON { console.line(plan.summary) }
            if plan.isAlreadyDone {
                if console.isJSON { console.json(Result(report: try await ferry.downgrade(plan))) }
                return
            }
            try console.confirm(
                console.isJSON ? plan.summary : "Go on?", typing: "downgrade", yes: yes)
            let report = try await ferry.downgrade(
                plan, onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(report: report)) }
            console.line("The database is now at release \(report.release).")
        }
    }
}
