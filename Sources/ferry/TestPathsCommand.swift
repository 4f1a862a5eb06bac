import ArgumentParser
import Ferry
import Foundation

struct TestPathsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-paths",
        abstract: "Upgrade a scratch database from every release and compare it with a fresh install.",
        discussion: """
            For every release: a scratch database built at it (plus fixtures/<release>.sql when \
            present) is upgraded to the newest release, and its normalized schema compared with a \
            fresh install's. The configured database is not touched. Exits 1 when a path differs \
            or fails.
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
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("test-paths") {
            var settings = try common.settings(adding: Settings { $0.fixtures = fixtures })
            // The scratch databases stand in for the configured one, which need not exist.
            if settings.database == nil { settings.database = "test-paths.db" }
            let ferry = Ferry(try common.configuration(settings, console: console))
            let report = try await ferry.testUpgradePaths()
            let failure = report.failure
            if console.isJSON {
                console.json(Result(ok: failure == nil, paths: report.paths, error: failure))
            } else {
                console.table(report.paths.map { path in
                    ["\(path.from) → \(path.to)", path.fixture ?? "no fixture", path.status.rawValue]
                        + (path.status == .ok ? [] : [path.detail])
                })
                let bad = report.paths.filter { $0.status == .differs || $0.status == .failed }.count
                console.line(bad == 0 ? "Every upgrade path ends at a fresh install's schema."
                    : "\(count(bad, "upgrade path")) of \(report.paths.count) do not end at a fresh install's schema.")
            }
            if let failure { throw ExitCode(failure.exitCode) }
        }
    }
}
