import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Backups, restores, downgrades and rehearsals, on every engine.
extension BehaviourTests {
    @Test(arguments: TestEngine.underTest)
    func aBackupIsRestoredAndADamagedOneIsRefusedBeforeAnythingChanges(engine: TestEngine)
        async throws
    {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: "0.3.0", in: database)
            let ferry = Ferry(ExampleApplication.configuration(database))
            let backup = try await ferry.backup(note: "before the mistake")
            let before = try await database.snapshot()
            #expect(backup.manifest.format == .native)
            #expect(backup.manifest.engine == (engine == .sqlite ? "sqlite" : "postgresql"))
            #expect(backup.manifest.rowCounts?["sensor_history"] == before.counts["sensor_history"])
            #expect(backup.file.pathExtension == (engine == .sqlite ? "sqlite" : "dump"))
            let mode =
                try FileManager.default.attributesOfItem(atPath: backup.file.path)[
                    .posixPermissions] as? Int
            #expect(mode == 0o600)

            // The mistake to undo: rows deleted, then an upgrade.
            try await database.load("DELETE FROM sensor_history")
            try await ferry.upgrade(database.upgradeOptions())
            let mistaken = try await database.snapshot()
            #expect(mistaken != before)

            // A flipped byte is refused before the live database is touched.
            let original = try Data(contentsOf: backup.file)
            var damaged = original
            damaged[damaged.count / 2] ^= 0x01
            try damaged.write(to: backup.file)
            let catalogBefore = try ferry.backups().map(\.name)
            let refusal = try await #require(throws: FerryError.self) {
                try await ferry.restore(backup)
            }
            #expect(refusal.code == .backupCorrupt)
            #expect(refusal.changes == "Nothing was changed.")
            #expect(try await database.snapshot() == mistaken)
            #expect(
                try ferry.backups().map(\.name) == catalogBefore, "no pre-restore backup was taken")

            try original.write(to: backup.file)
            let report = try await ferry.restore(backup)

            #expect(report.release == "0.3.0")
            #expect(report.previousRelease == ExampleApplication.newestRelease)
            #expect(try await database.snapshot().hasSameContent(as: before))
            let preRestore = try ferry.findBackup(.named(try #require(report.preRestoreBackup)))
            #expect(preRestore.manifest.kind == .preRestore)
            #expect(preRestore.manifest.release == ExampleApplication.newestRelease)
            // The database upgrades again from the restored release.
            try await ferry.upgrade(database.upgradeOptions())
            #expect(
                try await database.scalar("SELECT release FROM ferry_state")
                    == ExampleApplication.newestRelease)
        }
    }

    /// Reals whose shortest texts SQLite 3.40 reads one last place off, as
    /// integer ratios (a text would be misread on the way in too).
    static let realsSQLiteMisreads: [(UInt64, UInt64)] = [
        (8_137_143_358_698_381, 17_592_186_044_416), (6_424_556_277_372_483, 8_796_093_022_208),
        (4_851_816_243_719_193, 17_592_186_044_416), (4_603_280_454_500_329, 9_007_199_254_740_992),
        (6_853_020_700_751_005, 9_007_199_254_740_992), (6_830_036_837_381_931, 68_719_476_736),
        (8_369_477_715_588_983, 137_438_953_472), (8_036_114_012_641_985, 2_147_483_648),
    ]

    /// The dump is loaded by `sqlite3` or `psql` into the same rows, every
    /// real with its bits (measurements of full precision, among them ones
    /// whose shortest text SQLite 3.40 misreads).
    @Test(arguments: TestEngine.underTest)
    func anSQLDumpLoadsWithTheEnginesOwnShell(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(
                at: ExampleApplication.newestRelease, in: database)
            let real = engine == .sqlite ? "REAL" : "double precision"
            let ratios = Self.realsSQLiteMisreads.map { "(CAST(\($0) AS \(real)) / \($1))" }
            let random =
                engine == .sqlite
                ? "abs(random() % 1000000000000) / 7.0 / 1024" : "random() * 1000000000 / 7"
            try await database.load(
                """
                CREATE TABLE measurements (id INTEGER PRIMARY KEY, value \(real));
                INSERT INTO measurements (id, value) VALUES
                    \(ratios.enumerated().map { "(\($0 + 1), \($1))" }.joined(separator: ", "));
                INSERT INTO measurements (id, value)
                    SELECT 100 + n, \(random) FROM (\(engine == .sqlite
                        ? "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000) SELECT n FROM s"
                        : "SELECT generate_series(1, 5000) AS n")) AS numbers;
                """)
            let dump = try await Ferry(ExampleApplication.configuration(database)).backup(
                format: .sql)
            #expect(dump.file.pathExtension == "sql")

            try await withTestDatabase(engine) { loaded in
                switch engine {
                case .sqlite:
                    let shell = try sqlite3Shell(loaded.location, input: dump.file)
                    #expect(shell.status == 0, "sqlite3 said: \(shell.stderr)")
                case .postgres:
                    try await loaded.psql(["-1", "-f", dump.file.path])
                }
                let (shell, original) = (try await loaded.snapshot(), try await database.snapshot())
                #expect(shell.hasSameContent(as: original), "\(shell.differences(from: original))")
                #expect(original.counts["measurements"] == 5008)
                #expect(
                    try await loaded.scalar("SELECT release FROM ferry_state")
                        == ExampleApplication.newestRelease)
            }
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aFailedMigrationOutsideATransactionRestoresThePreUpgradeBackup(engine: TestEngine)
        async throws
    {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", in: database, migrations: migrations)
            try database.folder.write(
                "migrations/0.6.0/001_archive.sql",
                "CREATE TABLE archive (id INTEGER PRIMARY KEY);\nINSERT INTO archive (id) VALUES (1);\n"
            )
            try database.folder.write(
                "migrations/0.6.0/002_cleanup.sql",
                """
                -- ferry:no-transaction
                UPDATE devices SET name = 'renamed by a half-done migration';
                INSERT INTO table_that_does_not_exist (id) VALUES (1);
                """)
            let before = try await database.snapshot()
            let ferry = Ferry(ExampleApplication.configuration(database, migrations: migrations))

            let error = try await #require(throws: FerryError.self) {
                try await ferry.upgrade(database.upgradeOptions())
            }

            #expect(error.code == .migrationFailed)
            #expect(error.message.contains("0.6.0/002_cleanup"))
            #expect(
                error.changes?.contains("Ferry restored the pre-upgrade backup") == true, "\(error)"
            )
            #expect(error.changes?.contains("at release 0.3.0") == true, "\(error)")
            // The releases committed before the failure and the half-done migration are undone.
            #expect(try await database.snapshot().hasSameContent(as: before))
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.3.0")
            let kinds = try ferry.backups().map(\.manifest.kind)
            #expect(kinds.contains(.preUpgrade) && kinds.contains(.preRestore))
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDowngradeWithoutDownScriptsRestoresThePreUpgradeBackup(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", in: database, migrations: migrations)
            let before = try await database.snapshot()
            let ferry = Ferry(ExampleApplication.configuration(database, migrations: migrations))
            try await ferry.upgrade(database.upgradeOptions())
            try FileManager.default.removeItem(
                at: migrations.appendingPathComponent(
                    "0.4.0/001_rebuild_sensors_with_unit_check.down.sql"))

            let plan = try await ferry.downgradePlan(to: try Release(parsing: "0.3.0"))
            guard case .backup(let backup) = plan.method else {
                Issue.record("expected a downgrade by backup, got \(plan.summary)")
                return
            }
            #expect(backup.manifest.kind == .preUpgrade)
            let report = try await ferry.downgrade(plan)

            #expect(report.restored == backup.name)
            #expect(try await database.snapshot().hasSameContent(as: before))
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.3.0")
        }
    }

    /// After a downgrade, `ferry_events` records the restore: a rehearsal
    /// then counts the application's tables only, not Ferry's own.
    @Test(arguments: TestEngine.underTest)
    func aRehearsalCountsTheApplicationsTablesOnly(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: "0.3.0", in: database)
            let ferry = Ferry(ExampleApplication.configuration(database))
            try await ferry.upgrade(database.upgradeOptions())
            _ = try await ferry.downgrade(
                try await ferry.downgradePlan(to: try Release(parsing: "0.3.0")))
            let events = try await database.scalar("SELECT count(*) FROM ferry_events")
            #expect(Int(events ?? "") ?? 0 > 0, "the downgrade is recorded in ferry_events")

            let report = try await ferry.rehearse(database.upgradeOptions())

            #expect(
                Set(report.rowsBefore.keys) == ["devices", "sensors", "sensor_history"],
                "\(report.rowsBefore)")
            #expect(
                Set(report.rowsAfter.keys) == ["devices", "sensors", "sensor_history", "rooms"],
                "\(report.rowsAfter)")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aRehearsalUpgradesACopyAndLeavesTheDatabase(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: "0.3.0", in: database)
            let before = try await database.snapshot()

            let report = try await Ferry(ExampleApplication.configuration(database)).rehearse(
                database.upgradeOptions())

            #expect(report.from == "0.3.0")
            #expect(report.to.description == ExampleApplication.newestRelease)
            #expect(report.applied.count == 4)
            #expect(report.rowsBefore["sensor_history"] == before.counts["sensor_history"])
            #expect(report.rowsAfter["rooms"] != nil)
            #expect(try await database.snapshot().hasSameContent(as: before))
        }
    }
}
