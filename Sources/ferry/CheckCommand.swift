import ArgumentParser
import Ferry
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the checks an upgrade makes before changing anything; changes nothing.",
        discussion: """
            Each check is ok, a warning or a blocker: the upgrade path, the database (readable, \
            quick integrity check), free space, writable folders, [[requirement]] and [[component]] \
            tables; then schema drift, a notice that never stops an upgrade. Exits 3 when an upgrade would be refused: on a blocker, or on a warning \
            without --force (which overrides warnings only).
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var fleet: FleetArguments

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Check the upgrade to this release instead of the program's.", valueName: "version"),
        transform: OptionValue.release)
    var to: Release?

    @Flag(name: .long, help: "Check as if warnings were overridden, as 'upgrade --force' does.")
    var force = false

    @Flag(name: .long, help: "Check as if changed or missing migrations were accepted.")
    var allowChanged = false

    @Flag(
        name: .long,
        help: "Check as 'upgrade --no-backup' would run: without the pre-upgrade backup.")
    var noBackup = false

    @Flag(
        name: .long,
        help: "Check as 'upgrade --create' would run: a missing database may be created.")
    var create = false

    @Flag(
        name: .long,
        help:
            "Leave out the schema drift check (env FERRY_SCHEMA_DRIFT=0; [preflight] schema_drift = false)."
    )
    var noSchemaDrift = false

    struct Result: Encodable {
        let command = "check"
        let ok: Bool
        let checks: [PreflightCheck]
        /// The schema drift differences, each a warning (kind, object, table, change, detail).
        let warnings: [SchemaDifference]
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("check", readsOnly: true) {
            let fleetRun = FleetRun(
                command: "check", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                let error = try await fleetRun.run(
                    adding: Settings {
                        $0.create = create ? true : nil
                        $0.schemaDrift = noSchemaDrift ? false : nil
                    }
                ) { [to, allowChanged, noBackup, force] ferry in
                    let report = try await ferry.check(
                        UpgradeOptions(
                            target: to, allowChanged: allowChanged, skipBackup: noBackup,
                            force: force))
                    if let refusal = report.refusal(force: force) { throw refusal }
                    return FleetSummary()
                }
                if let error { throw ExitCode(error.exitCode) }
                return
            }
            let settings = try common.settings(
                adding: Settings {
                    $0.create = create ? true : nil
                    $0.schemaDrift = noSchemaDrift ? false : nil
                })
            let ferry = Ferry(try common.configuration(settings, console: console))
            let options = UpgradeOptions(
                target: to, allowChanged: allowChanged, skipBackup: noBackup,
                force: force)
            let report = try await ferry.check(options)
            let refusal = report.refusal(force: force)
            if console.isJSON {
                console.json(
                    Result(
                        ok: refusal == nil, checks: report.checks,
                        warnings: report.drift?.differences ?? [], error: refusal))
            } else {
                console.line("Preflight of \(ferry.configuration.engine.displayName):")
                console.preflightTable(report)
                console.driftWarnings(report.drift)
                let drift = report.drift?.differences.count ?? 0
                let summary =
                    "\(count(report.blockers.count, "blocker")), \(count(report.warnings.count, "warning"))"
                    + (drift == 0
                        ? ""
                        : " (and \(count(drift, "schema drift warning")), which never stop an upgrade)")
                if report.blockers.count > 0 {
                    console.line("\(summary): an upgrade would be refused. Nothing was changed.")
                } else if report.warnings.count > 0 {
                    console.line(
                        force
                            ? "\(summary): an upgrade with --force would run. Nothing was changed."
                            : "\(summary): an upgrade would need --force. Nothing was changed.")
                } else {
                    console.line("\(summary): an upgrade may run. Nothing was changed.")
                }
            }
            if let refusal { throw ExitCode(refusal.exitCode) }
        }
    }
}
