import Ferry
import FerryTestSupport
import Foundation
import Testing

/// What Ferry must do on every engine: each scenario is written once and runs
/// on each engine of ``TestEngine/underTest`` (PostgreSQL on the server of
/// ``PostgresTestServer``: skipped, and saying so, without one; never skipped
/// on CI).
///
/// Each scenario makes a fresh database of its engine, makes the failure
/// happen where there is one, and re-reads the database to prove what a user
/// would check: every row is still there.
@Suite("Behaviour on every engine") struct BehaviourTests {

    // MARK: Upgrades

    @Test(arguments: TestEngine.underTest, ExampleApplication.releases)
    func upgradesFromAReleaseKeepingTheData(engine: TestEngine, release: String) async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: release, in: database)

            let report = try await Ferry(ExampleApplication.configuration(database)).upgrade(
                database.upgradeOptions())

            #expect(report.to.description == ExampleApplication.newestRelease)
            #expect(report.wasUpToDate == (release == ExampleApplication.newestRelease))
            let snapshot = try await database.snapshot()
            for (table, count) in ExampleApplication.expectedCounts(madeAt: release) {
                #expect(snapshot.counts[table] == count, "rows in \(table)")
            }
            for (query, value) in ExampleApplication.preservedValues(for: engine) {
                #expect(try await database.scalar(query) == value, "\(query)")
            }
            #expect(
                try await database.scalar("SELECT release FROM ferry_state")
                    == ExampleApplication.newestRelease)
            let history = try await Ferry(ExampleApplication.configuration(database)).history()
            #expect(history.count == 14)
            #expect(history.map(\.sequence) == Array(1...14))
            try await Ferry(ExampleApplication.configuration(database)).validate()
        }
    }

    // MARK: Failures and refusals

    /// A script that would commit (or roll back) the upgrade's transaction
    /// half-way is refused before that statement runs: what ran before it
    /// is rolled back with the rest, and "Nothing was changed" is true.
    /// Savepoints stay inside the transaction and run.
    @Test(arguments: TestEngine.underTest, ["COMMIT", "END", "ROLLBACK", "BEGIN"])
    func aScriptThatWouldEndTheTransactionIsRefusedBeforeItRuns(
        engine: TestEngine, statement: String
    ) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.1.0", in: database, migrations: migrations)
            try database.folder.write(
                "migrations/0.4.0/002_own_transaction.sql",
                """
                SAVEPOINT before_rename;
                UPDATE devices SET name = name || ' (renamed)';
                ROLLBACK TO SAVEPOINT before_rename;
                RELEASE before_rename;
                UPDATE devices SET name = name || ' (renamed)';
                /* the author's own */ \(statement);
                UPDATE devices SET name = name || ' (twice)';
                """)
            let before = try await database.snapshot()
            let ferry = Ferry(ExampleApplication.configuration(database, migrations: migrations))

            let error = try await #require(throws: FerryError.self) {
                try await ferry.upgrade(database.upgradeOptions())
            }

            #expect(error.code == .migrationFailed)
            #expect(
                error.message.contains(
                    "0.4.0/002_own_transaction.sql holds \(statement) (line 6), inside the transaction Ferry runs it in"
                ),
                "\(error.message)")
            #expect(error.message.contains("The statement was not run."))
            #expect(error.location?.line == 6)
            #expect(error.advice?.contains("-- ferry:no-transaction") == true)
            #expect(error.changes?.contains("Nothing was changed") == true, "\(error)")
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.1.0")

            // Without the statement, the same script runs, its savepoint included.
            try database.folder.write(
                "migrations/0.4.0/002_own_transaction.sql",
                """
                SAVEPOINT before_rename;
                UPDATE devices SET name = name || ' (renamed)';
                ROLLBACK TO SAVEPOINT before_rename;
                RELEASE before_rename;
                UPDATE devices SET name = name || ' (renamed)';
                """)
            try await ferry.upgrade(database.upgradeOptions())
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM devices WHERE name LIKE '% (renamed)'")
                    == before.counts["devices"].map(String.init))
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM devices WHERE name LIKE '% (renamed) (renamed)'") == "0")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aBadStatementRollsBackEveryRelease(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.1.0", in: database, migrations: migrations)
            try database.folder.write(
                "migrations/0.4.0/002_bad.sql",
                """
                -- A valid statement first, so that there is work to roll back.
                UPDATE devices SET name = name || ' (renamed)';

                INSERT INTO rooms_that_do_not_exist (name)
                    VALUES ('x');
                """)
            let before = try await database.snapshot()
            let ferry = Ferry(ExampleApplication.configuration(database, migrations: migrations))

            let error = try await #require(throws: FerryError.self) {
                try await ferry.upgrade(database.upgradeOptions())
            }

            #expect(error.code == .migrationFailed)
            #expect(error.category == .failed)
            #expect(error.message.contains("0.4.0/002_bad"))
            #expect(error.location?.file == "0.4.0/002_bad.sql")
            #expect(error.location?.line == 4)
            #expect(error.engineMessage?.contains("rooms_that_do_not_exist") == true)
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.1.0")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func anEditedAppliedMigrationIsRefused(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.2.0", in: database, migrations: migrations)
            let file = migrations.appendingPathComponent("0.1.0/001_create_devices.sql")
            try Data(
                (try String(contentsOf: file, encoding: .utf8) + "\n-- edited after release\n").utf8
            )
            .write(to: file)
            let before = try await database.snapshot()
            let ferry = Ferry(ExampleApplication.configuration(database, migrations: migrations))

            let error = try await #require(throws: FerryError.self) {
                try await ferry.upgrade(database.upgradeOptions())
            }

            #expect(error.code == .migrationChanged)
            #expect(error.category == .refused)
            #expect(error.message.contains("0.1.0/001_create_devices"))
            #expect(error.advice?.contains("UpgradeOptions.allowChanged") == true)
            #expect(try await database.snapshot() == before)
            await #expect(throws: FerryError.self) { try await ferry.validate() }
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDatabaseFromANewerReleaseIsRefused(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: "0.5.0", in: database)
            let before = try await database.snapshot()
            var configuration = ExampleApplication.configuration(database)
            configuration.release = try Release(parsing: "0.3.0")

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(database.upgradeOptions())
            }

            #expect(error.code == .databaseIsNewer)
            #expect(error.category == .refused)
            #expect(error.message.contains("0.5.0") && error.message.contains("0.3.0"))
            #expect(try await database.snapshot() == before)
            let status = try await Ferry(configuration).status()
            #expect(status.problem?.contains("newer") == true)
        }
    }

    // MARK: Concurrency, with the real binary

    /// A release whose first migration takes seconds: it fills a table and,
    /// on PostgreSQL, then waits in `pg_sleep`.
    func writeSlowRelease(in migrations: URL, engine: TestEngine, rows: Int, pauseSeconds: Int)
        throws
    {
        let folder = migrations.appendingPathComponent("0.6.0")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let slow: String
        switch engine {
        case .sqlite:
            slow = """
                CREATE TABLE sensor_archive (id INTEGER PRIMARY KEY, value REAL NOT NULL);
                INSERT INTO sensor_archive (id, value)
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                    SELECT i, i * 0.5 FROM n;
                """
        case .postgres:
            slow = """
                CREATE TABLE sensor_archive (id bigint PRIMARY KEY, value double precision NOT NULL);
                INSERT INTO sensor_archive (id, value) SELECT i, i * 0.5 FROM generate_series(1, \(rows)) AS i;
                SELECT pg_sleep(\(pauseSeconds));
                """
        }
        try Data(slow.utf8).write(to: folder.appendingPathComponent("001_slow_archive.sql"))
        try Data("ALTER TABLE rooms ADD COLUMN floor INTEGER;\n".utf8)
            .write(to: folder.appendingPathComponent("002_room_floor.sql"))
    }

    @Test(arguments: TestEngine.underTest)
    func twoUpgradersApplyEveryMigrationOnce(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", in: database, migrations: migrations)
            let rows = engine == .sqlite ? 2_000_000 : 100_000
            try writeSlowRelease(in: migrations, engine: engine, rows: rows, pauseSeconds: 2)
            let arguments =
                ["upgrade", "--database", database.location, "--migrations", migrations.path]
                + database.backupArguments

            // The first stops right after it took the lock (a stop point, not a timer), and goes on only
            // once the second says it waits: the turn-taking is seen however busy the machine.
            let first = try FerryProcess.start(
                arguments, environment: [CrashPoint.stopVariable: "upgrade.locked"])
            #expect(await first.waitUntilStopped(), "the first upgrader stopped holding the lock")
            let second = try FerryProcess.start(arguments)
            #expect(
                await second.waitForOutput(containing: "Waiting up to"),
                "the second waits for the lock")
            first.kill(SIGCONT)
            let outputs = [await first.finish(), await second.finish()]

            for output in outputs {
                #expect(output.status == 0, "\(output)")
                #expect(output.lines.last == "[END UPGRADE SUCCESS]")
            }
            #expect(
                outputs.filter { $0.stdout.contains("Upgrade to 0.6.0 completed successfully") }
                    .count == 1)
            #expect(outputs.filter { $0.stdout.contains("up to date at 0.6.0") }.count == 1)
            let waited = outputs.first { $0.stdout.contains("up to date") }
            #expect(
                waited?.stdout.contains("Waiting up to") == true,
                "the second upgrader waited for the lock: \(outputs)")
            // SQLite's lock file names the holder's pid; PostgreSQL's session its application name.
            #expect(
                waited?.stdout.contains("pid \(first.process.processIdentifier)") == true,
                "and said who held it")
            #expect(try await database.scalar("SELECT count(*) FROM ferry_migrations") == "16")
            #expect(
                try await database.scalar("SELECT count(DISTINCT id) FROM ferry_migrations") == "16"
            )
            #expect(
                try await database.scalar("SELECT count(*) FROM sensor_archive") == String(rows))
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aKilledUpgraderLeavesTheOldReleaseAndASecondRunUpgrades(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", in: database, migrations: migrations)
            try writeSlowRelease(
                in: migrations, engine: engine, rows: engine == .sqlite ? 30_000_000 : 200_000,
                pauseSeconds: 120)
            let before = try await database.snapshot()
            let arguments =
                ["upgrade", "--database", database.location, "--migrations", migrations.path]
                + database.backupArguments

            let upgrader = try FerryProcess.start(arguments)
            #expect(await upgrader.waitForOutput(containing: "Applying 0.6.0/001_slow_archive"))
            try await Task.sleep(for: .milliseconds(500))
            #expect(upgrader.process.isRunning, "the upgrade was still in its long migration")
            upgrader.kill(SIGKILL)
            let killed = await upgrader.finish()
            #expect(killed.status == SIGKILL)

            if engine == .postgres {
                // The server ends the dead upgrader's sessions: the lock's at once, and the
                // migration's within a second (client_connection_check_interval), rolling it back.
                #expect(try await sessionsEnd(of: database, within: .seconds(20)))
            } else {
                // The hot journal is rolled back when the database is next opened.
                #expect(try integrityCheck(database.location) == "ok")
            }
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.3.0")
            var after = try await database.snapshot()
            #expect(after.rows == before.rows)
            #expect(after.schema == before.schema)

            // The lock died with its holder: a second run neither waits nor refuses.
            try writeSlowRelease(in: migrations, engine: engine, rows: 1000, pauseSeconds: 0)
            let second = try await FerryProcess.run(arguments + ["--lock-timeout", "0"])
            #expect(second.status == 0, "\(second)")
            #expect(!second.stdout.contains("Waiting"))
            after = try await database.snapshot()
            #expect(after.counts["sensor_archive"] == 1000)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.6.0")
        }
    }

    /// Waits until no session of `ferry` is connected to a PostgreSQL test database.
    private func sessionsEnd(of database: TestDatabase, within timeout: Duration) async throws
        -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        let query = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'ferry%'
            """
        while ContinuousClock.now < deadline {
            if try await database.scalar(query) == "0" { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
