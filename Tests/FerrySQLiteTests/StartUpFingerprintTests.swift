import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Start-up compares the fingerprint written with the release stamp with
/// the migration file names and registered migrations: every change that
/// makes a migration pending or unknown must still be seen.
@Suite struct StartUpFingerprintTests {
    let folder: TemporaryFolder
    let path: String
    let engine: SQLiteEngine

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("app.db").path
        engine = SQLiteEngine(path: path)
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        try folder.write(
            "migrations/1.0.0/002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);")
        try folder.write("migrations/1.0.0/002_tags.down.sql", "DROP TABLE tags;")
        try folder.write(
            "migrations/1.1.0/001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);")
    }

    func configuration() -> Ferry.Configuration {
        Ferry.Configuration(
            appName: "test", engine: engine,
            migrationsDirectory: folder.url.appendingPathComponent("migrations"))
    }

    func edit(_ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { db in try db.execute(sql: sql) }
    }

    @Test func theStampRecordsTheFingerprintOfTheHistoryAndStartUpAnswersFromIt() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()

        let ids = ["1.0.0/001_items", "1.0.0/002_tags", "1.1.0/001_notes"]
        #expect(
            try scalar("SELECT history_fingerprint FROM ferry_state", in: path)
                == HistoryFingerprint(ids: ids).description)
        #expect(
            try scalar(
                "SELECT history_rows || ' ' || history_last_sequence FROM ferry_state", in: path)
                == "3 3")
        let recorded = try #require(await engine.recordedFingerprint())
        #expect(recorded.release == Release(1, 1, 0))
        #expect(recorded.fingerprint == HistoryFingerprint(ids: ids.reversed()))
        #expect(try await ferry.upgrade().wasUpToDate)
    }

    @Test func aNewFileInAnAppliedReleaseIsSeen() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        try folder.write(
            "migrations/1.1.0/002_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")

        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.message.contains("1.1.0/002_more is not applied"))
        #expect(
            try await ferry.upgrade(UpgradeOptions(allowChanged: true)).applied == [
                "1.1.0/002_more"
            ])
        #expect(try scalar("SELECT history_rows FROM ferry_state", in: path) == "4")
        #expect(try await ferry.upgrade().wasUpToDate)
    }

    @Test func aNewReleaseFolderIsPending() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        try folder.write(
            "migrations/2.0.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")

        let report = try await ferry.upgrade()
        #expect(report.applied == ["2.0.0/001_more"])
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "2.0.0")
    }

    @Test func aRemovedFileIsRefused() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        try FileManager.default.removeItem(
            at: folder.url.appendingPathComponent("migrations/1.0.0/002_tags.sql"))
        try FileManager.default.removeItem(
            at: folder.url.appendingPathComponent("migrations/1.0.0/002_tags.down.sql"))

        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.message.contains("unknown to this program: 1.0.0/002_tags"))
    }

    @Test func aRenamedFileIsRefused() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        try FileManager.default.moveItem(
            at: folder.url.appendingPathComponent("migrations/1.1.0/001_notes.sql"),
            to: folder.url.appendingPathComponent("migrations/1.1.0/001_remarks.sql"))

        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.message.contains("1.1.0/001_notes"))
        #expect(try await ferry.history().count == 3)
    }

    @Test func aSwiftMigrationRegisteredLaterIsPendingAndOneNoLongerRegisteredIsRefused()
        async throws
    {
        try await Ferry(configuration()).upgrade()
        var withSwift = configuration()
        try withSwift.migrations.register(release: "1.2.0", name: "001_fill") { db in
            try await db.execute("INSERT INTO items (id) VALUES (1)")
        }

        let report = try await Ferry(withSwift).upgrade()
        #expect(report.applied == ["1.2.0/001_fill"])
        #expect(try await Ferry(withSwift).upgrade().wasUpToDate)

        var without = configuration()
        without.release = Release(1, 2, 0)
        let error = try await #require(throws: FerryError.self) {
            try await Ferry(without).upgrade()
        }
        #expect(error.message.contains("unknown to this program: 1.2.0/001_fill"))
    }

    @Test func aDatabaseAtANewerReleaseIsRefused() async throws {
        try folder.write(
            "migrations/2.0.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        try await Ferry(configuration()).upgrade()
        var older = configuration()
        older.release = Release(1, 1, 0)

        let error = try await #require(throws: FerryError.self) { try await Ferry(older).upgrade() }
        #expect(error.message.contains("written by release 2.0.0, newer than this program (1.1.0)"))
    }

    @Test func migrationsOfLaterReleasesThanTheProgramsAreNotExpected() async throws {
        var older = configuration()
        older.release = Release(1, 0, 0)
        try await Ferry(older).upgrade()
        #expect(await engine.recordedFingerprint() != nil)

        #expect(try await Ferry(older).upgrade().wasUpToDate)
        #expect(try await Ferry(configuration()).upgrade().applied == ["1.1.0/001_notes"])
    }

    @Test func aHistoryEditedByHandIsReadInFull() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        try edit(
            """
            INSERT INTO ferry_migrations (id, sequence, release, name, checksum, applied_at, duration, applied_by, kind)
            VALUES ('1.1.0/009_by_hand', 4, '1.1.0', '009_by_hand', 'x', '2026-11-21T00:00:00.000Z', 0, 'me', 'sql')
            """)

        #expect(
            await engine.recordedFingerprint() == nil,
            "the history has a row the fingerprint does not count")
        let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
        #expect(error.message.contains("1.1.0/009_by_hand"))
    }

    @Test func aDatabaseWithoutAFingerprintIsReadInFullAndGetsOneWithItsNextUpgrade() async throws {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        // As Ferry left databases before it kept a fingerprint.
        for column in ["history_fingerprint", "history_rows", "history_last_sequence"] {
            try edit("ALTER TABLE ferry_state DROP COLUMN \(column)")
        }
        #expect(await engine.recordedFingerprint() == nil)
        #expect(try await ferry.upgrade().wasUpToDate)

        try folder.write(
            "migrations/1.2.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        #expect(try await ferry.upgrade().applied == ["1.2.0/001_more"])
        #expect(await engine.recordedFingerprint()?.fingerprint.count == 4)
        #expect(try await ferry.upgrade().wasUpToDate)
    }

    @Test func theHistoryIsIndexedByItsSequenceAndAnOlderOneGetsTheIndexAtItsNextUpgrade()
        async throws
    {
        let ferry = Ferry(configuration())
        try await ferry.upgrade()
        let index = "SELECT sql FROM sqlite_schema WHERE name = 'ferry_migrations_sequence'"
        #expect(try scalar(index, in: path)?.contains("ON ferry_migrations (sequence)") == true)

        // As an earlier Ferry left the history: no index.
        try edit("DROP INDEX ferry_migrations_sequence")
        #expect(try await ferry.upgrade().wasUpToDate, "start-up reads without the index too")
        try folder.write(
            "migrations/1.2.0/001_more.sql", "CREATE TABLE more (id INTEGER PRIMARY KEY);")
        #expect(try await ferry.upgrade().applied == ["1.2.0/001_more"])
        #expect(try scalar(index, in: path) != nil)
    }

    @Test func aMissingDatabaseHasNoFingerprint() async throws {
        #expect(await engine.recordedFingerprint() == nil)
        #expect(!FileManager.default.fileExists(atPath: path), "looking did not create it")
    }
}
