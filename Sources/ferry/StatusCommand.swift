import ArgumentParser
import Ferry
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Show the program's and the database's release, applied and pending migrations, and the lock."
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var fleet: FleetArguments

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("status", readsOnly: true) {
            let fleetRun = FleetRun(
                command: "status", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                let error = try await fleetRun.run({ ferry in
                    let status = try await ferry.status()
                    return FleetSummary(
                        from: status.databaseRelease, to: status.release.description,
                        migrations: status.pending.count)
                })
                if let error { throw ExitCode(error.exitCode) }
                return
            }
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let status = try await ferry.status().worded(for: .tool)
            if console.isJSON {
                return console.json(CommandResult(command: "status", ok: true, body: status))
            }
            console.line(
                "Database:         \(status.database)\(status.databaseExists ? "" : " (does not exist yet)")"
            )
            console.line("Program release:  \(status.release)")
            if status.isBusy, let holder = status.lockHolder {
                console.line("Upgrade lock:     held by \(holder)")
                return console.line("Problem:          \(status.problem ?? "busy")")
            }
            console.line(
                "Database release: \(status.databaseRelease ?? "none (Ferry has not upgraded it)")")
            console.line("Applied:          \(count(status.applied.count, "migration"))")
            for id in status.appliedByApplication {
                console.line("  \(id): applied by the application (registered in Swift)")
            }
            console.line("Pending:          \(count(status.pending.count, "migration"))")
            for id in status.pending { console.line("  \(id)") }
            console.line("Upgrade lock:     \(status.lockHolder.map { "held by \($0)" } ?? "free")")
            if let readOnly = status.readOnly {
                console.line("Read-only:        \(readOnly)")
            }
            if let problem = status.problem {
                console.line("Problem:          \(problem)")
            } else {
                console.line(
                    status.upToDate
                        ? "Up to date."
                        : status.readOnly != nil
                            ? "Run 'ferry upgrade' on the primary to apply the pending migrations."
                            : "Run 'ferry upgrade' to apply the pending migrations.")
            }
        }
    }
}

/// `1 migration`, `3 migrations`.
func count(_ number: Int, _ noun: String) -> String {
    "\(number) \(noun)\(number == 1 ? "" : "s")"
}
