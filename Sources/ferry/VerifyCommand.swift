import ArgumentParser
import Ferry
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Run the checks an upgrade makes before its commit, on the database as it is; changes nothing.",
        discussion: """
            The engine's integrity and foreign-key checks, every applied migration's .verify.sql \
            (it fails when it raises or returns a row whose first value is false, 0 or NULL), and \
            the [[verify]] invariants of ferry.toml. Exits 1 when a check fails. Then schema drift: \
            the schema compared with what the applied migrations make on a scratch database, each \
            difference a warning (exit 0).
            """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var fleet: FleetArguments

    @Flag(
        name: .long,
        help:
            "Leave out the schema drift check (env FERRY_SCHEMA_DRIFT=0; [preflight] schema_drift = false)."
    )
    var noSchemaDrift = false

    struct Result: Encodable {
        let command = "verify"
        let ok: Bool
        let checks: [VerificationCheck]
        /// The schema drift differences, each a warning (kind, object, table, change, detail).
        let warnings: [SchemaDifference]
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("verify", readsOnly: true) {
            let fleetRun = FleetRun(
                command: "verify", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                let error = try await fleetRun.run(
                    adding: Settings { $0.schemaDrift = noSchemaDrift ? false : nil }
                ) { ferry in
                    if let failure = try await ferry.verify().failure { throw failure }
                    return FleetSummary()
                }
                if let error { throw ExitCode(error.exitCode) }
                return
            }
            let ferry = Ferry(
                try common.configuration(
                    try common.settings(
                        adding: Settings { $0.schemaDrift = noSchemaDrift ? false : nil }),
                    console: console))
            let report = try await ferry.verify()
            let failure = report.failure
            if console.isJSON {
                console.json(
                    Result(
                        ok: failure == nil, checks: report.checks,
                        warnings: report.drift?.differences ?? [], error: failure))
            } else {
                console.line("Verification of \(ferry.configuration.engine.displayName):")
                console.verificationTable(report)
                console.driftWarnings(report.drift)
                let failed = report.failures.count
                let drift = report.drift?.differences.count ?? 0
                let warnings = drift == 0 ? "" : ", with \(count(drift, "schema drift warning"))"
                console.line(
                    failed == 0
                        ? "All checks passed\(warnings). Nothing was changed."
                        : "\(count(failed, "check")) failed\(warnings). Nothing was changed (verify only reads)."
                )
            }
            if let failure { throw ExitCode(failure.exitCode) }
        }
    }
}
