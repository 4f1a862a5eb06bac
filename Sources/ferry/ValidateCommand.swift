import ArgumentParser
import Ferry
import Foundation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check that every applied migration still matches its file (SHA-256) and none is unknown."
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var fleet: FleetArguments

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Accept applied migrations whose files changed or are missing: record the files as they are now "
                + "in the history, as 'upgrade --allow-changed' does, without applying anything."))
    var allowChanged = false

    struct Result: Encodable {
        let command = "validate"
        let ok = true
        let error: FerryError? = nil
        let checked: Int
        let accepted: [String]
        /// Applied migrations registered in Swift by the application, which the tool cannot check.
        let appliedByApplication: [String]
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("validate", readsOnly: !allowChanged) {
            let fleetRun = FleetRun(
                command: "validate", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                let error = try await fleetRun.run({ [allowChanged] ferry in
                    let plan =
                        allowChanged
                        ? try await ferry.acceptChanges().plan : try await ferry.validate()
                    return FleetSummary(
                        from: plan.database.recordedRelease, to: plan.targetRelease.description)
                })
                if let error { throw ExitCode(error.exitCode) }
                return
            }
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let (plan, accepted) =
                allowChanged ? try await ferry.acceptChanges() : (try await ferry.validate(), [])
            let application = plan.appliedByApplication.map(\.id)
            let checked =
                plan.database.applied.filter { $0.kind != .hook }.count
                - application.count
            if console.isJSON {
                return console.json(
                    Result(checked: checked, accepted: accepted, appliedByApplication: application))
            }
            if let summary = plan.appliedByApplicationSummary { console.line("\(summary).") }
            if accepted.isEmpty {
                return console.line("All \(count(checked, "applied migration")) match their files.")
            }
            console.line(
                "Accepted as they are now (recorded in the history): \(accepted.joined(separator: ", ")). "
                    + "Nothing else was changed.")
        }
    }
}
