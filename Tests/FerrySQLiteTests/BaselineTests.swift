import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Version-range hooks, the upgrade-path policy and baselines, on real SQLite files.
@Suite struct HookAndPolicyTests {
    /// A database of the example at a release, and a copy of its migrations to change.
    struct Scenario {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL

        init(at release: String) async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("sensorhub.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(at: release, path: path, migrations: migrations)
        }

        func write(_ file: String, _ text: String) throws {
            let url = migrations.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        var configuration: Ferry.Configuration { ExampleApplication.configuration(database: path, migrations: migrations) }
    }

    @Test func hooksRunAfterTheMigrationsInTheTransactionAndAreRecorded() async throws {
        let scenario = try await Scenario(at: "0.2.0")
        // Runs after 0.5.0's migrations: the rooms table exists only then.
        try scenario.write("hooks/002_name_unknown_room.sql", """
            -- ferry:from <0.3.0
            -- ferry:to >=0.5.0
            INSERT INTO rooms (name) VALUES ('Unassigned');
            """)
        try scenario.write("hooks/003_not_for_this_upgrade.sql", "-- ferry:from >=0.3.0\n-- ferry:to *\nSELECT x FROM nowhere;")
        var configuration = scenario.configuration
        try configuration.onUpgrade(from: "0.2.x", to: "^0.5", name: "001_count_rooms") { db in
            let rows = try await db.fetchAll("SELECT count(*) AS n FROM rooms")
            #expect(rows.first?["n"] == .integer(8), "the migrations ran before the hook")
        }
        try configuration.onUpgrade(from: "*", to: "*", name: "004_after_the_file_hook") { db in
            let rows = try await db.fetchAll("SELECT count(*) AS n FROM rooms WHERE name = 'Unassigned'")
            #expect(rows.first?["n"] == .integer(1), "hooks run in name order")
        }

        let report = try await Ferry(configuration).upgrade()

        #expect(report.to == Release(0, 5, 0))
        #expect(try scalar("SELECT count(*) FROM rooms WHERE name = 'Unassigned'", in: scenario.path) == "1")
        let hookRows = try await Ferry(configuration).history().filter { $0.kind == "hook" }
        #expect(hookRows.map(\.id) == [
            "0.5.0/hooks/001_count_rooms", "0.5.0/hooks/002_name_unknown_room", "0.5.0/hooks/004_after_the_file_hook",
        ])
        #expect(hookRows.map(\.sequence) == [15, 16, 17])
        #expect(hookRows[1].note?.contains("upgrade from 0.2.0 to 0.5.0") == true)
        // Hook rows are history, not migrations: nothing is reported missing or pending.
        let status = try await Ferry(configuration).status()
        #expect(status.upToDate)
        #expect(try await Ferry(configuration).validate().refusal(allowingChanged: false) == nil)
    }

    @Test func aFailingHookRollsBackTheWholeUpgrade() async throws {
        let scenario = try await Scenario(at: "0.3.0")
        try scenario.write("hooks/001_broken.sql", """
            -- ferry:from *
            -- ferry:to *
            UPDATE devices SET name = name || '!';
            INSERT INTO nowhere VALUES (1);
            """)
        let before = try DatabaseSnapshot(path: scenario.path)

        let error = try await #require(throws: FerryError.self) { try await Ferry(scenario.configuration).upgrade() }

        #expect(error.message.contains("Hook hooks/001_broken failed"))
        #expect(error.location?.file == "hooks/001_broken.sql")
        #expect(error.location?.line == 4)
        #expect(error.changes?.contains("Nothing was changed") == true)
        #expect(try DatabaseSnapshot(path: scenario.path) == before)
    }

    @Test func noHookRunsOnAFreshInstall() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("fresh.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try folder.write("migrations/hooks/001_always.sql", "-- ferry:from *\n-- ferry:to *\nSELECT x FROM nowhere;")
        var configuration = ExampleApplication.configuration(database: path, migrations: migrations)
        try configuration.onUpgrade(from: "*", to: "*", name: "002_swift") { _ in
            Issue.record("a hook ran on a fresh install")
        }
        try await Ferry(configuration).upgrade()
        #expect(try scalar("SELECT count(*) FROM ferry_migrations WHERE kind = 'hook'", in: path) == "0")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.5.0")
    }

    @Test func aDatabaseOlderThanTheMinimumIsRefusedWithTheReleaseToInstallFirst() async throws {
        let scenario = try await Scenario(at: "0.2.0")
        var configuration = scenario.configuration
        configuration.minimumUpgradableFrom = Release(0, 3, 0)
        configuration.release = Release(0, 4, 0)
        // This program no longer carries the migrations only old databases need.
        try FileManager.default.removeItem(at: scenario.migrations.appendingPathComponent("0.1.0"))
        try FileManager.default.removeItem(at: scenario.migrations.appendingPathComponent("0.2.0"))
        let stampedAt021 = try DatabaseQueue(path: scenario.path)
        try await stampedAt021.write { db in try db.execute(sql: "UPDATE ferry_state SET release = '0.2.1'") }
        try stampedAt021.close()
        let before = try DatabaseSnapshot(path: scenario.path)

        let error = try await #require(throws: FerryError.self) { try await Ferry(configuration).upgrade() }

        #expect(error.code == .preflightRefused)
        #expect(error.exitCode == 3)
        #expect(error.message.contains(
            "This database is at 0.2.1. This program (0.4.0) upgrades databases from 0.3.0 or later: "
                + "install 0.3.x, run it once, then install 0.4.0."))
        #expect(error.changes == "Nothing was changed.")
        #expect(try DatabaseSnapshot(path: scenario.path) == before)
    }

    @Test func aDatabaseAtTheMinimumUpgradesWithoutTheRetiredMigrations() async throws {
        let scenario = try await Scenario(at: "0.3.0")
        var configuration = scenario.configuration
        configuration.minimumUpgradableFrom = Release(0, 3, 0)
        try FileManager.default.removeItem(at: scenario.migrations.appendingPathComponent("0.1.0"))
        try FileManager.default.removeItem(at: scenario.migrations.appendingPathComponent("0.2.0"))

        let report = try await Ferry(configuration).upgrade()

        #expect(report.applied.count == 4)
        #expect(try scalar("SELECT count(*) FROM rooms", in: scenario.path) == "8")
    }

    @Test func aFreshInstallRunsTheBaselineAndLaterUpgradesGoOn() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        // The 0.4.0 schema in one script, made by dumping a database upgraded step by step.
        let reference = folder.url.appendingPathComponent("reference.db").path
        try await Ferry(ExampleApplication.configuration(database: reference, migrations: migrations))
            .upgrade(UpgradeOptions(target: Release(0, 4, 0)))
        let schema = try await DatabaseQueue(path: reference).read { db in
            try String.fetchAll(db, sql: """
                SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'ferry_%'
                ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name
                """)
        }
        try folder.write("migrations/0.4.0/baseline.sql", schema.joined(separator: "\n"))
        let path = folder.url.appendingPathComponent("fresh.db").path
        let configuration = ExampleApplication.configuration(database: path, migrations: migrations)

        let report = try await Ferry(configuration).upgrade()

        #expect(report.applied == [
            "0.4.0/baseline", "0.5.0/001_create_rooms", "0.5.0/002_add_device_room", "0.5.0/003_sync_room_from_location",
        ])
        #expect(try scalar("SELECT kind FROM ferry_migrations WHERE id = '0.4.0/baseline'", in: path) == "baseline")
        let later = try await Ferry(configuration).status()
        #expect(later.upToDate)
        #expect(later.problem == nil)

        // A database upgraded step by step is not affected by the baseline.
        let stepwise = folder.url.appendingPathComponent("stepwise.db").path
        try await ExampleApplication.makeDatabase(at: "0.2.0", path: stepwise, migrations: migrations)
        let stepwiseReport = try await Ferry(ExampleApplication.configuration(database: stepwise, migrations: migrations)).upgrade()
        #expect(stepwiseReport.applied.count == 7)
        #expect(!stepwiseReport.applied.contains("0.4.0/baseline"))

        // The baseline and the step-by-step path agree.
        let paths = try await Ferry(configuration).testUpgradePaths()
        #expect(paths.failure == nil, "\(paths.paths)")
    }
}
