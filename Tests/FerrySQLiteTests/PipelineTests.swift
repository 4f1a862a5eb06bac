import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// The pipeline's behaviour on SQLite beyond the example: Swift migrations,
/// files that run alone, release stamps, the lock.
@Suite struct PipelineTests {
    func configuration(_ folder: TemporaryFolder) -> Ferry.Configuration {
        Ferry.Configuration(
            appName: "test",
            engine: SQLiteEngine(path: folder.url.appendingPathComponent("app.db").path),
            migrationsDirectory: folder.url.appendingPathComponent("migrations"))
    }

    @Test func swiftMigrationsRunInTheSameTransaction() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);")
        try folder.write(
            "migrations/1.0.0/003_fail.sql",
            "INSERT INTO items (name) VALUES ('x');\nSELECT * FROM nowhere;")
        var configuration = configuration(folder)
        try configuration.migrations.register(release: "1.0.0", name: "002_fill") { db in
            #expect(db.engineName == "sqlite")
            try await db.execute("INSERT INTO items (name) VALUES ('from Swift'), ('second')")
            let rows = try await db.fetchAll("SELECT count(*) AS n FROM items")
            #expect(rows.first?["n"] == .integer(2))
        }

        let error = try await #require(throws: FerryError.self) {
            try await Ferry(configuration).upgrade()
        }
        #expect(error.location?.file == "1.0.0/003_fail.sql")
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(
            !FileManager.default.fileExists(atPath: path), "the failed first install was removed")

        try folder.write("migrations/1.0.0/003_fail.sql", "INSERT INTO items (name) VALUES ('x');")
        try await Ferry(configuration).upgrade()
        #expect(
            try scalar("SELECT group_concat(name, ',') FROM items", in: path)
                == "from Swift,second,x")
        #expect(
            try scalar("SELECT kind FROM ferry_migrations WHERE id = '1.0.0/002_fill'", in: path)
                == "swift")
    }

    @Test func scriptsAroundASwiftMigrationReportEveryStepAndRecordEveryRow() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);")
        try folder.write(
            "migrations/1.0.0/002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);")
        try folder.write(
            "migrations/1.0.0/004_more.sql", "INSERT INTO items (name) VALUES ('sql');")
        var configuration = configuration(folder)
        try configuration.migrations.register(release: "1.0.0", name: "003_fill") { db in
            try await db.execute("INSERT INTO items (name) VALUES ('swift')")
        }
        let events = EventLog()
        let before = Date()

        let report = try await Ferry(configuration).upgrade(onEvent: { events.append($0) })

        #expect(
            report.applied == [
                "1.0.0/001_items", "1.0.0/002_tags", "1.0.0/003_fill", "1.0.0/004_more",
            ])
        let steps = events.all.compactMap { event -> String? in
            switch event {
            case .migrationStarted(let id, let index, let total):
                return "start \(index)/\(total) \(id)"
            case .migrationFinished(let id, let index, let total, _):
                return "end \(index)/\(total) \(id)"
            default: return nil
            }
        }
        #expect(
            steps == [
                "start 1/4 1.0.0/001_items", "end 1/4 1.0.0/001_items", "start 2/4 1.0.0/002_tags",
                "end 2/4 1.0.0/002_tags",
                "start 3/4 1.0.0/003_fill", "end 3/4 1.0.0/003_fill", "start 4/4 1.0.0/004_more",
                "end 4/4 1.0.0/004_more",
            ])
        let history = try await Ferry(configuration).history()
        #expect(history.map(\.sequence) == [1, 2, 3, 4])
        #expect(history.map(\.kind) == ["sql", "sql", "swift", "sql"])
        #expect(
            history[1].checksum == Checksum.sha256("CREATE TABLE tags (id INTEGER PRIMARY KEY);"))
        #expect(
            history.allSatisfy {
                $0.appliedAt >= before.addingTimeInterval(-1) && $0.duration >= 0
                    && $0.appliedBy == "1.0.0"
            })
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(try scalar("SELECT group_concat(name, ',') FROM items", in: path) == "swift,sql")
    }

    @Test func aFailureInARunOfScriptsNamesItsMigrationAndChangesNothing() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        try folder.write(
            "migrations/1.0.0/002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);")
        try folder.write(
            "migrations/1.0.0/003_bad.sql",
            "-- comment\nINSERT INTO items VALUES (1);\nINSERT INTO nowhere VALUES (1);")
        try folder.write(
            "migrations/1.0.0/004_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        let events = EventLog()

        let error = try await #require(throws: FerryError.self) {
            try await Ferry(configuration(folder)).upgrade(onEvent: { events.append($0) })
        }

        #expect(
            error.message.hasPrefix("Migration 1.0.0/003_bad failed: SQLite refused a statement."))
        #expect(
            error.location
                == .init(
                    file: "1.0.0/003_bad.sql", line: 3, statement: "INSERT INTO nowhere VALUES (1);"
                ))
        #expect(error.engineMessage?.contains("no such table: nowhere") == true)
        #expect(error.changes?.contains("Nothing was changed") == true)
        #expect(
            events.all.filter { if case .migrationFinished = $0 { true } else { false } }.count == 2
        )
        #expect(
            !FileManager.default.fileExists(
                atPath: folder.url.appendingPathComponent("app.db").path))
    }

    @Test func aFileMarkedNoTransactionRunsAlone() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        // VACUUM fails inside a transaction: this passes only if the file runs alone.
        try folder.write("migrations/1.0.0/002_vacuum.sql", "-- ferry:no-transaction\nVACUUM;")
        try folder.write(
            "migrations/1.0.0/003_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        let report = try await Ferry(configuration(folder)).upgrade()
        #expect(report.applied == ["1.0.0/001_items", "1.0.0/002_vacuum", "1.0.0/003_more"])
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(
            try scalar("SELECT kind FROM ferry_migrations WHERE id = '1.0.0/002_vacuum'", in: path)
                == "sql-no-transaction")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "1.0.0")
    }

    @Test func aFailureAfterAFileThatRanAloneSaysWhatWasCommitted() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        try folder.write("migrations/2.0.0/001_vacuum.sql", "-- ferry:no-transaction\nVACUUM;")
        try folder.write("migrations/2.0.0/002_bad.sql", "INSERT INTO nowhere VALUES (1);")
        let ferry = Ferry(configuration(folder))
        try await ferry.upgrade(UpgradeOptions(target: Release(1, 0, 0)))
        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.changes?.contains("2.0.0/001_vacuum") == true)
        let status = try await ferry.status()
        #expect(status.databaseRelease == "1.0.0")
        #expect(status.pending == ["2.0.0/002_bad"])
    }

    @Test func theMigrationModeCommitsEachMigrationAndRecordsTheNewestCompleteRelease() async throws
    {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        try folder.write(
            "migrations/2.0.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        try folder.write("migrations/2.0.0/002_bad.sql", "INSERT INTO nowhere VALUES (1);")
        let ferry = Ferry(configuration(folder))

        let error = try await #require(throws: FerryError.self) {
            try await ferry.upgrade(UpgradeOptions(transactionMode: .perMigration))
        }

        #expect(error.location?.file == "2.0.0/002_bad.sql")
        #expect(error.changes?.contains("1.0.0/001_items, 2.0.0/001_more") == true)
        #expect(error.changes?.contains("The database records release 1.0.0") == true)
        let status = try await ferry.status()
        #expect(status.databaseRelease == "1.0.0")
        #expect(status.applied == ["1.0.0/001_items", "2.0.0/001_more"])
        #expect(status.pending == ["2.0.0/002_bad"])
    }

    @Test func aFileMarkedOwnTransactionCommitsBeforeTheNextStarts() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql",
            "-- ferry:own-transaction\nCREATE TABLE items (id INTEGER PRIMARY KEY);")
        try folder.write("migrations/1.0.0/002_bad.sql", "INSERT INTO nowhere VALUES (1);")
        let ferry = Ferry(configuration(folder))
        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.changes?.contains("Committed before the failure") == true)
        let status = try await ferry.status()
        #expect(status.applied == ["1.0.0/001_items"])
        #expect(status.databaseRelease == nil)
    }

    @Test func anUpToDateStartUpReadsNoScriptButEveryLookWithWorkDoes() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        let ferry = Ferry(configuration(folder))
        try await ferry.upgrade()
        // Damage the applied script: not even UTF-8 any more.
        try Data([0xff, 0xfe, 0x00]).write(
            to: folder.url.appendingPathComponent("migrations/1.0.0/001_items.sql"))

        #expect(
            try await ferry.upgrade().wasUpToDate, "start-up only compares names with the history")
        let validation = try await #require(throws: FerryError.self) { try await ferry.validate() }
        #expect(validation.message.contains("1.0.0/001_items.sql is not UTF-8 text"))
        try folder.write(
            "migrations/1.1.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        await #expect(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(try await ferry.history().count == 1)
    }

    @Test func aReleaseWithoutMigrationsIsStamped() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        try FileManager.default.createDirectory(
            at: folder.url.appendingPathComponent("migrations/1.1.0"),
            withIntermediateDirectories: true)
        let ferry = Ferry(configuration(folder))
        try await ferry.upgrade(UpgradeOptions(target: Release(1, 0, 0)))
        let report = try await ferry.upgrade()
        #expect(report.applied.isEmpty && !report.wasUpToDate)
        #expect(try await ferry.status().databaseRelease == "1.1.0")
        #expect(try await ferry.upgrade().wasUpToDate)
    }

    @Test func aSecondUpgraderWaitsForTheLockAndSaysWhoHoldsIt() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        var configuration = configuration(folder)
        configuration.lockTimeout = .milliseconds(300)
        let engine = SQLiteEngine(path: folder.url.appendingPathComponent("app.db").path)
        let holder = LockHolder(
            host: "testhost", pid: 4242, command: "ferry upgrade (test)", since: Date())

        try await engine.withUpgradeLock(holder: holder, timeout: .seconds(1), onWait: { _ in }) {
            let shown = try await engine.lockHolder()
            #expect(shown?.pid == 4242)
            #expect(shown?.command == "ferry upgrade (test)")
            let waits = Waits()
            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(onEvent: { event in
                    if case .waitingForLock(let who, _) = event { waits.add(who) }
                })
            }
            #expect(error.code == .lockTimeout)
            #expect(error.category == .refused)
            #expect(error.message.contains("pid 4242"))
            #expect(waits.holders.first??.host == "testhost")
        }
        #expect(try await engine.lockHolder() == nil)
        try await Ferry(configuration).upgrade()
    }
}

/// Collects the holders reported while waiting.
final class Waits: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [LockHolder?] = []
    func add(_ holder: LockHolder?) { lock.withLock { seen.append(holder) } }
    var holders: [LockHolder?] { lock.withLock { seen } }
}
