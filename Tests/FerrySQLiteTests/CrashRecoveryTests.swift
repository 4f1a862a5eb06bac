import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// What a killed upgrade leaves (a hot journal, a WAL file), met first by
/// the library's start-up upgrade and by its read-only calls; scripts that
/// SQLite would read only in part; paths that are not database files.
@Suite struct CrashRecoveryTests {
    /// The example at 0.3.0, a slow release 0.6.0 and its upgrade, by the
    /// real binary, killed inside the slow migration.
    struct KilledUpgrade {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL
        let before: FerryTestSupport.DatabaseSnapshot

        init(walMode: Bool = false) async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("app.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", path: path, migrations: migrations)
            if walMode {
                let queue = try DatabaseQueue(path: path)
                _ = try await queue.writeWithoutTransaction { db in
                    try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                }
                try queue.close()
            }
            try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: 30_000_000)
            before = try DatabaseSnapshot(path: path)
            let killed = try await InterruptedUpgrade.killInsideSlowMigration(
                database: path, ["--migrations", migrations.path])
            #expect(killed.status == SIGKILL, "killed inside its migration: \(killed)")
        }

        var configuration: Ferry.Configuration {
            ExampleApplication.configuration(database: path, migrations: migrations)
        }
    }

    @Test func theStartUpUpgradeAfterAKilledUpgradeRollsBackThenUpgrades() async throws {
        let killed = try await KilledUpgrade()
        #expect(InterruptedUpgrade.hasHotJournal(killed.path), "the kill left a hot journal")
        try InterruptedUpgrade.writeSlowRelease(in: killed.migrations, rows: 100)

        let events = Locked<[UpgradeEvent]>([])
        let report = try await Ferry(killed.configuration).upgrade { event in
            events.withLock { $0.append(event) }
        }

        let rolledBack = events.value.compactMap { event -> InterruptedTransaction? in
            if case .interruptedTransactionRolledBack(_, let transaction) = event {
                return transaction
            }
            return nil
        }
        #expect(rolledBack.count == 1)
        #expect(rolledBack.first?.release == "0.3.0")
        #expect(rolledBack.first?.file == "app.db-journal")
        #expect(report.from == "0.3.0")
        #expect(report.to.description == "0.6.0")
        #expect(InterruptedUpgrade.journalSize(of: killed.path) == 0)
        #expect(try scalar("SELECT count(*) FROM sensor_archive", in: killed.path) == "100")
        #expect(try scalar("SELECT count(*) FROM sensor_history", in: killed.path) == "2000")
        #expect(try integrityCheck(killed.path) == "ok")
    }

    @Test func readingTheStatusAfterAKillRollsBackAndChangesNothingElse() async throws {
        let killed = try await KilledUpgrade()
        #expect(InterruptedUpgrade.hasHotJournal(killed.path), "the kill left a hot journal")

        let status = try await Ferry(killed.configuration).status()

        #expect(status.databaseRelease == "0.3.0")
        #expect(InterruptedUpgrade.journalSize(of: killed.path) == 0)
        #expect(try DatabaseSnapshot(path: killed.path).hasSameContent(as: killed.before))
        // The rollback is done once: the next look has nothing to roll back.
        let engine = SQLiteEngine(path: killed.path)
        #expect(
            try await engine.rollBackInterruptedTransaction(
                holder: .currentProcess(), timeout: .seconds(1)) == nil)
    }

    /// The status reads the migrations beside the database, but rolls back what a killed
    /// upgrade left only once the migrations are known good: a refusal changes nothing.
    @Test func aBrokenMigrationsFolderAfterAKillIsRefusedBeforeAnythingIsRolledBack() async throws {
        let killed = try await KilledUpgrade()
        let journal = InterruptedUpgrade.journalSize(of: killed.path)
        #expect(journal > 0, "the kill left a hot journal")
        let stray = killed.migrations.appendingPathComponent("0.6.0/002_more.SQL")
        try "SELECT 1;".write(to: stray, atomically: true, encoding: .utf8)

        let error = try await #require(throws: FerryError.self) {
            try await Ferry(killed.configuration).status()
        }
        #expect(error.code == .invalidMigrations)
        #expect(error.message.contains("002_more.SQL is not a migration"))
        #expect(InterruptedUpgrade.journalSize(of: killed.path) == journal)

        try FileManager.default.removeItem(at: stray)
        #expect(try await Ferry(killed.configuration).status().databaseRelease == "0.3.0")
        #expect(InterruptedUpgrade.journalSize(of: killed.path) == 0)
        #expect(try DatabaseSnapshot(path: killed.path).hasSameContent(as: killed.before))
    }

    /// The database is read beside the migrations: while another connection holds it (SQLite
    /// would keep the read waiting up to its 30-second busy timeout), a refused folder is still
    /// said at once.
    @Test func aBrokenMigrationsFolderIsRefusedAtOnceWhileTheDatabaseIsHeld() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path, migrations: migrations)
        try "SELECT 1;".write(
            to: migrations.appendingPathComponent("0.3.0/009_more.SQL"), atomically: true,
            encoding: .utf8)
        // Another connection holds the file until the end of the test.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: path, configuration: holding)
        try await holder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }

        let started = ContinuousClock.now
        let error = try await #require(throws: FerryError.self) {
            try await Ferry(
                ExampleApplication.configuration(database: path, migrations: migrations)
            ).status()
        }
        let waited = ContinuousClock.now - started
        #expect(error.message.contains("009_more.SQL is not a migration"))
        #expect(waited < .seconds(10), "refused after \(waited)")
        try await holder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try holder.close()
    }

    @Test func aKilledUpgradeInWALModeLeavesADatabaseThatFerryOpens() async throws {
        let killed = try await KilledUpgrade(walMode: true)
        #expect(
            InterruptedUpgrade.walSize(of: killed.path) > 0, "the kill left frames in the WAL file")

        let ferry = Ferry(killed.configuration)
        #expect(try await ferry.status().databaseRelease == "0.3.0")
        #expect(try await ferry.check().blockers.isEmpty)
        #expect(try DatabaseSnapshot(path: killed.path).hasSameContent(as: killed.before))

        try InterruptedUpgrade.writeSlowRelease(in: killed.migrations, rows: 100)
        let report = try await ferry.upgrade()
        #expect(report.to.description == "0.6.0")
        #expect(try scalar("SELECT count(*) FROM sensor_archive", in: killed.path) == "100")
        #expect(try integrityCheck(killed.path) == "ok")
    }

    // MARK: Scripts that SQLite would read only in part

    @Test func aNULByteInAMigrationIsRefusedBeforeAnythingRuns() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.write("0.6.0/001_first.sql", Data("CREATE TABLE ran_first (x);\n".utf8))
            var script = Data("ALTER TABLE rooms ADD COLUMN floor INTEGER;\n".utf8)
            script.append(0)
            script.append(
                Data("\nCREATE TABLE must_exist (x);\nINSERT INTO must_exist VALUES (1);\n".utf8))
            try scenario.write("0.6.0/002_nul.sql", script)
            let before = try DatabaseSnapshot(path: scenario.path)

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }

            #expect(error.code == .invalidMigrations)
            #expect(error.message.contains("NUL byte"))
            #expect(error.location?.file == "0.6.0/002_nul.sql")
            #expect(error.location?.line == 2)
            #expect(error.changes?.contains("Nothing was changed") == true, "\(error)")
            #expect(try DatabaseSnapshot(path: scenario.path).hasSameContent(as: before))
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name IN ('ran_first', 'must_exist')",
                    in: scenario.path) == "0")
            #expect(
                try scalar(
                    "SELECT count(*) FROM pragma_table_info('rooms') WHERE name = 'floor'",
                    in: scenario.path) == "0")
            #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.5.0")
        }
    }

    @Test func emptyStatementsDoNotEndAScript() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.write(
                "0.6.0/001_empty_statements.sql",
                Data(
                    """
                    CREATE TABLE first_table (x);;
                    ;
                    -- a comment between
                    CREATE TABLE second_table (x);  ;  ; /* and one more */ INSERT INTO second_table VALUES (2);
                    """.utf8))

            let report = try await scenario.ferry.upgrade()

            #expect(report.applied == ["0.6.0/001_empty_statements"])
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name IN ('first_table', 'second_table')",
                    in: scenario.path) == "2")
            #expect(try scalar("SELECT x FROM second_table", in: scenario.path) == "2")
        }
    }

    // MARK: Paths that are not database files

    @Test func aFIFOAsTheDatabaseIsRefusedWithoutOpeningIt() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(mkfifo(path, 0o600) == 0)
        let ferry = Ferry(ExampleApplication.configuration(database: path))

        // Opening a FIFO blocks until a writer comes: each call must return at once.
        for call in ["status", "upgrade", "check"] {
            let error = try await #require(throws: FerryError.self, "\(call)") {
                switch call {
                case "status": _ = try await ferry.status()
                case "upgrade": _ = try await ferry.upgrade()
                default: _ = try await ferry.check()
                }
            }
            #expect(error.code == .invalidConfiguration, "\(call): \(error)")
            #expect(
                error.message.contains("is a FIFO (named pipe), not a database file"),
                "\(call): \(error)")
        }
        var info = stat()
        #expect(
            lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is still there")
    }

    // MARK: The lock follows the database's identity

    @Test func everyPathToOneDatabaseMeetsTheSameLock() async throws {
        let folder = try TemporaryFolder()
        let real = folder.url.appendingPathComponent("real.db").path
        try await ExampleApplication.makeDatabase(at: "0.1.0", path: real)
        let symbolic = folder.url.appendingPathComponent("symbolic.db").path
        try FileManager.default.createSymbolicLink(atPath: symbolic, withDestinationPath: "real.db")
        let linkedFolder = folder.url.appendingPathComponent("linked")
        try FileManager.default.createSymbolicLink(
            atPath: linkedFolder.path, withDestinationPath: folder.url.path)
        let hard = folder.url.appendingPathComponent("hard.db").path
        #expect(link(real, hard) == 0)

        let paths = [real, symbolic, linkedFolder.appendingPathComponent("real.db").path, hard]
        let engines = paths.map { SQLiteEngine(path: $0) }
        // Every name shares one lock file: the inode's, in the resolved folder.
        let shared = Set(
            engines.map { Set($0.lockPaths) }.reduce(Set(engines[0].lockPaths)) {
                $0.intersection($1)
            })
        #expect(shared.count == 1, "\(engines.map(\.lockPaths))")
        #expect(
            Set(engines.prefix(3).map(\.lockPath)).count == 1,
            "links to real.db lock real.db's lock file")

        for (holderPath, waiter) in [
            (real, engines[3]), (hard, engines[1]), (symbolic, engines[0]),
        ] {
            let holder = SQLiteEngine(path: holderPath)
            try await holder.withUpgradeLock(
                holder: .currentProcess(), timeout: .seconds(1), onWait: { _ in }
            ) {
                #expect(
                    try await waiter.lockHolder() != nil, "\(waiter.path) sees \(holderPath)'s lock"
                )
                do {
                    try await waiter.withUpgradeLock(
                        holder: .currentProcess(), timeout: .milliseconds(200), onWait: { _ in }
                    ) {}
                    Issue.record("\(waiter.path) took the lock that \(holderPath) holds")
                } catch let error as FerryError {
                    #expect(error.code == .lockTimeout)
                }
            }
        }
    }
}
