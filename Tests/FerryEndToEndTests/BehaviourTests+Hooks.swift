import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Version-range hooks and the upgrade-path policy, on every engine.
extension BehaviourTests {
    @Test(arguments: TestEngine.underTest)
    func hooksRunAfterTheMigrationsInTheTransactionAndAreRecorded(engine: TestEngine) async throws {
        try await withExample(at: "0.2.0", on: engine) { scenario in
            // Runs after 0.5.0's migrations: the rooms table exists only then.
            try scenario.write(
                "hooks/002_name_unknown_room.sql",
                """
                -- ferry:from <0.3.0
                -- ferry:to >=0.5.0
                INSERT INTO rooms (name) VALUES ('Unassigned');
                """)
            try scenario.write(
                "hooks/003_not_for_this_upgrade.sql",
                "-- ferry:from >=0.3.0\n-- ferry:to *\nSELECT x FROM nowhere;")
            var configuration = scenario.configuration
            try configuration.onUpgrade(from: "0.2.x", to: "^0.5", name: "001_count_rooms") { db in
                let rows = try await db.fetchAll("SELECT count(*) AS n FROM rooms")
                #expect(rows.first?["n"] == .integer(8), "the migrations ran before the hook")
            }
            try configuration.onUpgrade(from: "*", to: "*", name: "004_after_the_file_hook") { db in
                let rows = try await db.fetchAll(
                    "SELECT count(*) AS n FROM rooms WHERE name = 'Unassigned'")
                #expect(rows.first?["n"] == .integer(1), "hooks run in name order")
            }

            let report = try await Ferry(configuration).upgrade()

            #expect(report.to == Release(0, 5, 0))
            #expect(
                try await scenario.database.scalar(
                    "SELECT count(*) FROM rooms WHERE name = 'Unassigned'") == "1")
            let hookRows = try await Ferry(configuration).history().filter { $0.kind == "hook" }
            #expect(
                hookRows.map(\.id) == [
                    "0.5.0/hooks/001_count_rooms", "0.5.0/hooks/002_name_unknown_room",
                    "0.5.0/hooks/004_after_the_file_hook",
                ])
            #expect(hookRows.map(\.sequence) == [15, 16, 17])
            #expect(
                hookRows.count == 3
                    && hookRows[1].note?.contains("upgrade from 0.2.0 to 0.5.0") == true)
            // Hook rows are history, not migrations: nothing is reported missing or pending.
            let status = try await Ferry(configuration).status()
            #expect(status.upToDate)
            #expect(
                try await Ferry(configuration).validate().refusal(allowingChanged: false) == nil)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aFailingHookRollsBackTheWholeUpgrade(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            try scenario.write(
                "hooks/001_broken.sql",
                """
                -- ferry:from *
                -- ferry:to *
                UPDATE devices SET name = name || '!';
                INSERT INTO nowhere VALUES (1);
                """)
            let before = try await scenario.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }

            #expect(error.message.contains("Hook hooks/001_broken failed"))
            #expect(error.location?.file == "hooks/001_broken.sql")
            #expect(error.location?.line == 4)
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func noHookRunsOnAFreshInstall(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try database.folder.write(
                "migrations/hooks/001_always.sql",
                "-- ferry:from *\n-- ferry:to *\nSELECT x FROM nowhere;")
            var configuration = ExampleApplication.configuration(database, migrations: migrations)
            try configuration.onUpgrade(from: "*", to: "*", name: "002_swift") { _ in
                Issue.record("a hook ran on a fresh install")
            }
            try await Ferry(configuration).upgrade()
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'hook'") == "0")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDatabaseOlderThanTheMinimumIsRefusedWithTheReleaseToInstallFirst(engine: TestEngine)
        async throws
    {
        try await withExample(at: "0.2.0", on: engine) { scenario in
            var configuration = scenario.configuration
            configuration.minimumUpgradableFrom = Release(0, 3, 0)
            configuration.release = Release(0, 4, 0)
            // This program no longer carries the migrations only old databases need.
            try scenario.remove("0.1.0")
            try scenario.remove("0.2.0")
            try await scenario.database.load("UPDATE ferry_state SET release = '0.2.1'")
            let before = try await scenario.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(error.code == .preflightRefused)
            #expect(error.category == .refused)
            #expect(
                error.message.contains(
                    "This database is at 0.2.1. This program (0.4.0) upgrades databases from 0.3.0 or later: "
                        + "install 0.3.x, run it once, then install 0.4.0."))
            #expect(error.changes == "Nothing was changed.")
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDatabaseAtTheMinimumUpgradesWithoutTheRetiredMigrations(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            var configuration = scenario.configuration
            configuration.minimumUpgradableFrom = Release(0, 3, 0)
            try scenario.remove("0.1.0")
            try scenario.remove("0.2.0")

            let report = try await Ferry(configuration).upgrade()

            #expect(report.applied.count == 4)
            #expect(try await scenario.database.scalar("SELECT count(*) FROM rooms") == "8")
        }
    }
}
