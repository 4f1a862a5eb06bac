import ArgumentParser
import Ferry
import Foundation

struct TestPathsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-paths",
        abstract:
            "Upgrade a scratch database from every release and compare it with a fresh install.",
        discussion: """
            For every release: a scratch database built at it (plus fixtures/<release>.sql when \
            present) is upgraded to the newest release, and its normalized schema compared with a \
            fresh install's. Then every release step is walked up, down and up again: the next \
            release's migrations, their down scripts as 'ferry downgrade' runs them, the migrations \
            again; each schema must equal the one before. A step with a migration lacking a down \
            script is listed, not failed. The configured database is not touched. Exits 1 when a \
            path or a step differs or fails.
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The sample data folder, <release>.sql per release (default: fixtures beside the "
                + "migrations folder; env FERRY_FIXTURES; [database] fixtures).",
            valueName: "dir"))
    var fixtures: String?

    struct Result: Encodable {
        let command = "test-paths"
        let ok: Bool
        let paths: [UpgradePathResult]
        let downSteps: [DownStepResult]
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("test-paths", readsOnly: true) {
            var settings = try common.settings(
                adding: Settings { $0.fixtures = fixtures }, needsDatabase: false)
            // The scratch databases stand in for the configured one, which need not exist.
            if settings.database == nil { settings.database = "test-paths.db" }
            let ferry = Ferry(try common.configuration(settings, console: console))
            let report = try await ferry.testUpgradePaths()
            let failure = report.failure
            if console.isJSON {
                console.json(
                    Result(
                        ok: failure == nil, paths: report.paths, downSteps: report.downSteps,
                        error: failure))
            } else {
                console.table(
                    report.paths.map { path in
                        [
                            "\(path.from) → \(path.to)", path.fixture ?? "no fixture",
                            path.status.rawValue,
                        ]
                            + (path.status == .ok ? [] : [path.detail])
                    })
                let bad = report.paths.filter { $0.status == .differs || $0.status == .failed }
                    .count
                console.line(
                    bad == 0
                        ? "Every upgrade path ends at a fresh install's schema."
                        : "\(count(bad, "upgrade path")) of \(report.paths.count) do not end at a fresh install's schema."
                )
                printDownSteps(report.downSteps, console: console)
            }
            if let failure { throw ExitCode(failure.exitCode) }
        }
    }

    /// The release steps walked down and up again: a table, the full error of
    /// each failed step, and a summary.
    private func printDownSteps(_ steps: [DownStepResult], console: Console) {
        guard !steps.isEmpty else { return }
        console.line("Down scripts, per release step (up, down, up again):")
        console.table(
            steps.map { step in
                ["\(step.from) ⇄ \(step.to)", step.fixture ?? "no fixture", step.status.rawValue]
                    + (step.status == .ok
                        ? [count(step.reverted.count, "migration") + " reverted"] : [step.detail])
            })
        for step in steps {
            if let error = step.error {
                console.line(
                    "\(step.from) ⇄ \(step.to): "
                        + error.worded(for: .tool).description.replacingOccurrences(
                            of: "\n", with: "\n  "))
            }
        }
        let bad = steps.filter { $0.status == .differs || $0.status == .failed }.count
        let walked = steps.filter { $0.status != .skipped && $0.status != .missingDownScripts }
            .count
        let missing = steps.filter { $0.status == .missingDownScripts }
        if bad > 0 {
            console.line(
                "\(count(bad, "release step")) of \(walked) do not go down and up again to the same schemas."
            )
        } else if walked > 0 {
            console.line(
                "Every down script walked gives back the schema before its release, and the release applies again."
            )
        }
        if !missing.isEmpty {
            let migrations = missing.reduce(0) { $0 + $1.withoutDownScript.count }
            console.line(
                "\(count(missing.count, "release step")) cannot be walked down (\(count(migrations, "migration")) "
                    + "without a down script): a downgrade across \(missing.count == 1 ? "it" : "them") restores the "
                    + "pre-upgrade backup.")
        }
    }
}
