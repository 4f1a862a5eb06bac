import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Baselines on real SQLite files (hooks and the upgrade-path policy run on
/// every engine in the behaviour suite, `BehaviourTests+Hooks.swift`).
@Suite struct BaselineTests {
    @Test func aFreshInstallRunsTheBaselineAndLaterUpgradesGoOn() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        // The 0.4.0 schema in one script, made by dumping a database upgraded step by step.
        let reference = folder.url.appendingPathComponent("reference.db").path
        try await Ferry(
            ExampleApplication.configuration(database: reference, migrations: migrations)
        )
        .upgrade(UpgradeOptions(target: Release(0, 4, 0)))
        let schema = try await DatabaseQueue(path: reference).read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'ferry_%'
                    ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name
                    """)
        }
        try folder.write("migrations/0.4.0/baseline.sql", schema.joined(separator: "\n"))
        let path = folder.url.appendingPathComponent("fresh.db").path
        let configuration = ExampleApplication.configuration(database: path, migrations: migrations)

        let report = try await Ferry(configuration).upgrade()

        #expect(
            report.applied == [
                "0.4.0/baseline", "0.5.0/001_create_rooms", "0.5.0/002_add_device_room",
                "0.5.0/003_sync_room_from_location",
            ])
        #expect(
            try scalar("SELECT kind FROM ferry_migrations WHERE id = '0.4.0/baseline'", in: path)
                == "baseline")
        let later = try await Ferry(configuration).status()
        #expect(later.upToDate)
        #expect(later.problem == nil)

        // A database upgraded step by step is not affected by the baseline.
        let stepwise = folder.url.appendingPathComponent("stepwise.db").path
        try await ExampleApplication.makeDatabase(
            at: "0.2.0", path: stepwise, migrations: migrations)
        let stepwiseReport = try await Ferry(
            ExampleApplication.configuration(database: stepwise, migrations: migrations)
        ).upgrade()
        #expect(stepwiseReport.applied.count == 7)
        #expect(!stepwiseReport.applied.contains("0.4.0/baseline"))

        // The baseline and the step-by-step path agree.
        let paths = try await Ferry(configuration).testUpgradePaths()
        #expect(paths.failure == nil, "\(paths.paths)")
    }
}
