import ArgumentParser
import Dispatch
import Ferry
import Foundation

struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Apply every pending migration, across releases, in one transaction.",
        discussion: """
            The database ends at its old release or the new one, never between. The last line \
            is always [END UPGRADE SUCCESS] or [END UPGRADE ERROR] (on standard error with --json).
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var backupCheck: BackupCheckOption

    @OptionGroup var fleet: FleetArguments

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Upgrade to this release instead of the program's.", valueName: "version"),
        transform: OptionValue.release)
    var to: Release?

    @Flag(
        name: .long,
        help:
            "Accept applied migrations whose files changed or are missing (recorded in the history)."
    )
    var allowChanged = false

    @Flag(name: .long, help: "Skip the pre-upgrade backup (recorded in the history).")
    var noBackup = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds to wait for another upgrader's lock, 0 to 31536000 (default 60; env FERRY_LOCK_TIMEOUT).",
            valueName: "seconds"),
        transform: OptionValue.lockTimeout)
    var lockTimeout: Double?

    @Flag(name: .long, help: "Upgrade despite preflight warnings (never despite blockers).")
    var force = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Create the database if it does not exist; without it a missing database is refused, so that a "
                + "mistyped path never becomes a new database (env FERRY_CREATE=1; [database] create = true)."
        ))
    var create = false

    @Flag(
        name: .long,
        help:
            "Leave out the schema drift check (env FERRY_SCHEMA_DRIFT=0; [preflight] schema_drift = false)."
    )
    var noSchemaDrift = false

    @Flag(
        name: .long,
        help:
            "Run the whole upgrade on a temporary copy, report it, and delete the copy; the database is not changed."
    )
    var rehearse = false

    @Flag(
        name: .long,
        help:
            "Also write the rows the tool of the folder's layout would write in its own history table (after 'ferry adopt'; env FERRY_KEEP_HISTORY_TABLE; [database] keep_history_table)."
    )
    var keepHistoryTable = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "'upgrade': one transaction for the whole upgrade (default); 'migration': one per migration "
                + "(env FERRY_TRANSACTION_MODE; [database] transaction_mode).", valueName: "mode"))
    var transactionMode: TransactionMode?

    struct Result: Encodable {
        let command = "upgrade"
        let ok = true
        let error: FerryError? = nil
        let from: String?
        let to: Release
        let applied: [String]
        let appliedCount: Int
        let seconds: Double
        let upToDate: Bool
        let backup: String?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        let marker = EndMarker(console: console)
        let signals = marker.writeOnSignals()
        defer { for signal in signals { signal.cancel() } }
        do {
            let flags = Settings {
                $0.lockTimeout = lockTimeout
                $0.transactionMode = transactionMode
                $0.create = create ? true : nil
                $0.schemaDrift = noSchemaDrift ? false : nil
                $0.keepHistoryTable = keepHistoryTable ? true : nil
            }.overridden(by: backupCheck.settings)
            let fleetRun = FleetRun(
                command: "upgrade", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                try await upgradeFleet(fleetRun, flags: flags, marker: marker)
                return
            }
            let settings = try common.settings(adding: flags)
            let ferry = Ferry(try common.configuration(settings, console: console))
            let options = UpgradeOptions(
                target: to, allowChanged: allowChanged, skipBackup: noBackup,
                force: force, transactionMode: settings.upgradeTransactionMode(),
                verifiesChecksums: true)
            if rehearse {
                try await rehearse(ferry, options, console: console)
                return marker.write(success: true)
            }
            let printEvent: (@Sendable (UpgradeEvent) -> Void)? =
                console.onEvent
            let report = try await ferry.upgrade(options, onEvent: printEvent)
            if console.isJSON {
                console.json(
                    Result(
                        from: report.from, to: report.to, applied: report.applied,
                        appliedCount: report.applied.count,
                        seconds: report.seconds,
                        upToDate: report.wasUpToDate, backup: report.backup))
            }
            marker.write(success: true)
        } catch let exit as ExitCode {
            throw exit  // a fleet run that has reported and written its marker
        } catch let error as FerryError {
            console.report(error, command: "upgrade")
            marker.write(success: false)
            throw ExitCode(error.exitCode)
        } catch {
            if console.isJSON {
                // Not one of Ferry's errors: still the error object a script reads (docs/JSON.md).
                console.report(
                    FerryError(
                        .unexpected, "\(error)",
                        changes:
                            "The upgrade stopped on an unexpected error; run 'ferry status' to see the database."
                    ),
                    command: "upgrade")
            } else {
                console.problem("error: \(error)")
            }
            marker.write(success: false)
            throw ExitCode.failure
        }
    }
}

extension UpgradeCommand {
    /// Upgrades every database of the fleet, each as one upgrade; exits 1
    /// unless every one succeeded (skipped ones do not count as failed).
    func upgradeFleet(_ fleetRun: FleetRun, flags: Settings, marker: EndMarker) async throws {
        guard !rehearse else {
            throw FerryError(
                .invalidConfiguration, "--rehearse is not supported with --databases yet.",
                changes: "Nothing was changed.",
                advice: "Rehearse one database with --database PATH --rehearse.")
        }
        let settings = try common.settings(adding: flags, needsDatabase: false)
        let options = UpgradeOptions(
            target: to, allowChanged: allowChanged, skipBackup: noBackup,
            force: force, transactionMode: settings.upgradeTransactionMode(),
            verifiesChecksums: true)
        let error = try await fleetRun.run(adding: flags) { ferry in
            FleetSummary(try await ferry.upgrade(options))
        }
        marker.write(success: error == nil)
        if let error { throw ExitCode(error.exitCode) }
    }
}

/// The line that ends every upgrade's output, also when it fails or is interrupted.
struct EndMarker: Sendable {
    let console: Console

    func write(success: Bool) {
        let text = success ? "[END UPGRADE SUCCESS]" : "[END UPGRADE ERROR]"
        console.isJSON ? console.problem(text) : console.line(text)
    }

    /// Writes the error marker and exits when SIGINT or SIGTERM arrives. The
    /// open transaction is not committed, so SQLite rolls it back.
    func writeOnSignals() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                console.problem(
                    "Interrupted by signal \(number): the upgrade's open transaction is not committed and is rolled back."
                )
                // A script reading --json still gets a last line that says the upgrade did not succeed.
                if console.isJSON {
                    console.report(
                        FerryError(
                            .interrupted, "Interrupted by signal \(number).",
                            changes:
                                "The upgrade's open transaction is not committed and is rolled back.",
                            advice:
                                "Run 'ferry status' to see the database's release, then 'ferry upgrade' again."
                        ),
                        command: "upgrade")
                }
                write(success: false)
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}
