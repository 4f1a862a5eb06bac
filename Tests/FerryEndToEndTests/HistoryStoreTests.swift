import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Ferry's own tables, written by one store on every engine: a database
/// written by an older release keeps working and gets the new columns with
/// its next upgrade; the start-up fingerprint guards PostgreSQL as SQLite.
struct HistoryStoreScenarios {
    let engine: TestEngine

    /// A database as an older release left it (no `accepted` column, no
    /// fingerprint columns, an accepted missing file said only in the note)
    /// is read as it is: the accepted row is not accepted again, and the
    /// next upgrade adds the columns and the fingerprint.
    func aDatabaseOfAnOlderReleaseKeepsItsAcceptedChangesAndGetsTheNewColumns() async throws {
        try await withTestDatabase(engine) { database in
            let migrations = database.folder.url.appendingPathComponent("migrations")
            try write(
                "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\n",
                to: migrations.appendingPathComponent("1.0.0/001_create_notes.sql"))
            try write(
                "INSERT INTO notes (id, body) VALUES (1, 'kept');\n",
                to: migrations.appendingPathComponent("1.0.0/002_fill_notes.sql"))
            let common =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let first = try await FerryProcess.run(["upgrade", "--create"] + common)
            #expect(first.status == 0, "\(first)")

            // What an older release left: its tables without the columns added since, and an accepted
            // missing file recorded in the note alone.
            let oldNote = "file missing; accepted with --allow-changed at 2026-01-01T00:00:00.000Z"
            try await database.load(
                """
                ALTER TABLE ferry_migrations DROP COLUMN accepted;
                ALTER TABLE ferry_state DROP COLUMN history_fingerprint;
                ALTER TABLE ferry_state DROP COLUMN history_rows;
                ALTER TABLE ferry_state DROP COLUMN history_last_sequence;
                UPDATE ferry_migrations SET note = '\(oldNote)' WHERE id = '1.0.0/002_fill_notes';
                """)
            try FileManager.default.removeItem(
                at: migrations.appendingPathComponent("1.0.0/002_fill_notes.sql"))
            #expect(await database.engine.recordedFingerprint() == nil)

            let history = try await Ferry(
                Ferry.Configuration(engine: database.engine, migrationsDirectory: migrations)
            )
            .history()
            #expect(history.map(\.acceptance) == [nil, .missing])
            #expect(history.map(\.kind) == [.sql, .sql])

            try write(
                "ALTER TABLE notes ADD COLUMN tag text;\n",
                to: migrations.appendingPathComponent("1.1.0/001_tag_notes.sql"))
            let upgrade = try await FerryProcess.run(["upgrade", "--allow-changed"] + common)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(!upgrade.stdout.contains("Accepted 1.0.0/002_fill_notes"), "\(upgrade)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.1.0")
            #expect(
                try await database.scalar(
                    "SELECT note FROM ferry_migrations WHERE id = '1.0.0/002_fill_notes'")
                    == oldNote)
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE accepted IS NULL") == "3")
            #expect(try await database.scalar("SELECT history_rows FROM ferry_state") == "3")
            let recorded = await database.engine.recordedFingerprint()
            #expect(recorded?.release == Release(1, 1, 0))
            #expect(
                recorded?.fingerprint
                    == HistoryFingerprint(
                        ids: [
                            "1.0.0/001_create_notes", "1.0.0/002_fill_notes", "1.1.0/001_tag_notes",
                        ]))
            #expect(try await database.scalar("SELECT body FROM notes WHERE id = 1") == "kept")

            let events = try await FerryProcess.run(["history", "--json"] + common)
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [String: Any],
                "\(events)")
            #expect((result["events"] as? [Any])?.isEmpty == true, "\(events)")
            let applied = try #require(result["migrations"] as? [[String: Any]], "\(events)")
            #expect(applied.map { $0["kind"] as? String } == ["sql", "sql", "sql"], "\(events)")
            #expect(applied.allSatisfy { $0["acceptance"] == nil }, "\(events)")
        }
    }

    /// A history row added by hand after the fingerprint was written, and a
    /// kind that this release does not know: start-up does not answer from
    /// the fingerprint, the full read refuses the unknown row, and nothing
    /// changes.
    func aHistoryEditedByHandIsNotAnsweredFromTheFingerprint() async throws {
        try await withTestDatabase(engine) { database in
            let migrations = database.folder.url.appendingPathComponent("migrations")
            try write(
                "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\n",
                to: migrations.appendingPathComponent("1.0.0/001_create_notes.sql"))
            var configuration = Ferry.Configuration(
                engine: database.engine, migrationsDirectory: migrations)
            configuration.backupsDirectory = database.backupsFolder
            let ferry = Ferry(configuration)
            try await ferry.upgrade()
            let recorded = try #require(await database.engine.recordedFingerprint())
            #expect(recorded.release == Release(1, 0, 0))
            #expect(recorded.fingerprint == HistoryFingerprint(ids: ["1.0.0/001_create_notes"]))
            #expect(try await ferry.upgrade().wasUpToDate)

            let appliedAt = database.kind == .sqlite ? "'2026-01-01T00:00:00.000Z'" : "now()"
            try await database.load(
                """
                INSERT INTO ferry_migrations (id, sequence, release, name, checksum, applied_at, duration, applied_by, kind)
                VALUES ('1.0.0/002_by_hand', 2, '1.0.0', '002_by_hand', 'x', \(appliedAt), 0, '9.9.9', 'future-kind');
                INSERT INTO notes (id, body) VALUES (1, 'kept');
                """)
            #expect(await database.engine.recordedFingerprint() == nil)
            let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
            #expect(error.code == .migrationMissing)
            #expect(error.message.contains("1.0.0/002_by_hand"))
            let history = try await ferry.history()
            #expect(history.last?.kind == .unknown("future-kind"))
            #expect(try await database.scalar("SELECT count(*) FROM ferry_migrations") == "2")
            #expect(try await database.scalar("SELECT body FROM notes WHERE id = 1") == "kept")

            let common =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let shown = try await FerryProcess.run(["history"] + common)
            #expect(shown.status == 0, "\(shown)")
            #expect(
                shown.lines.contains {
                    $0.hasPrefix("1.0.0/002_by_hand") && $0.contains("[future-kind]")
                }, "\(shown)")
        }
    }

    private func write(_ text: String, to file: URL) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }
}

@Suite("Ferry's tables on SQLite") struct SQLiteHistoryStoreTests {
    @Test func aDatabaseOfAnOlderReleaseKeepsItsAcceptedChangesAndGetsTheNewColumns() async throws {
        try await HistoryStoreScenarios(engine: .sqlite)
            .aDatabaseOfAnOlderReleaseKeepsItsAcceptedChangesAndGetsTheNewColumns()
    }

    @Test func aHistoryEditedByHandIsNotAnsweredFromTheFingerprint() async throws {
        try await HistoryStoreScenarios(engine: .sqlite)
            .aHistoryEditedByHandIsNotAnsweredFromTheFingerprint()
    }
}

@Suite(
    "Ferry's tables on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresHistoryStoreTests {
    @Test func aDatabaseOfAnOlderReleaseKeepsItsAcceptedChangesAndGetsTheNewColumns() async throws {
        _ = try PostgresTestServer.requireURL()
        try await HistoryStoreScenarios(engine: .postgres)
            .aDatabaseOfAnOlderReleaseKeepsItsAcceptedChangesAndGetsTheNewColumns()
    }

    @Test func aHistoryEditedByHandIsNotAnsweredFromTheFingerprint() async throws {
        _ = try PostgresTestServer.requireURL()
        try await HistoryStoreScenarios(engine: .postgres)
            .aHistoryEditedByHandIsNotAnsweredFromTheFingerprint()
    }
}
