import ArgumentParser
import Ferry
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run the checks an upgrade makes before its commit, on the database as it is; changes nothing.",
        discussion: """
            The engine's integrity and foreign-key checks, every applied migration's .verify.sql \
            (it fails when it raises or returns a row whose first value is false, 0 or NULL), and \
            the [[verify]] invariants of ferry.toml. Exits 1 when a check fails.
            """)

    @OptionGroup var common: CommonOptions

    struct Result: Encodable {
        let command = "verify"
        let ok: Bool
        let checks: [VerificationCheck]
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("verify", readsOnly: true) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let report = try await ferry.verify()
            let failure = report.failure
            if console.isJSON {
                console.json(Result(ok: failure == nil, checks: report.checks, error: failure))
            } else {
                console.line("Verification of \(ferry.configuration.engine.displayName):")
                console.verificationTable(report)
                let failed = report.failures.count
                console.line(failed == 0 ? "All checks passed. Nothing was changed."
                    : "\(count(failed, "check")) failed. Nothing was changed (verify only reads).")
            }
            if let failure { throw ExitCode(failure.exitCode) }
        }
    }
}
