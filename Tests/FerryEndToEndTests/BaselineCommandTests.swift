import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry baseline`: a database that no tool managed, made by hand, taken
/// over when its schema is a release's, refused with every difference
/// otherwise; run by the real `ferry` binary on both engines.
@Suite("ferry baseline") struct BaselineCommandTests {
    /// A project of Ferry's own layout: release 1.0.0 makes devices and
    /// rooms (with an index), 2.0.0 adds a column.
    static func project(_ database: TestDatabase) throws {
        let folder = database.folder
        _ = try folder.write(
            "migrations/1.0.0/001_devices.sql",
            "CREATE TABLE devices (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n")
        _ = try folder.write(
            "migrations/1.0.0/002_rooms.sql",
            "CREATE TABLE rooms (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES devices (id), name TEXT NOT NULL);\n"
                + "CREATE INDEX rooms_by_name ON rooms (name);\n")
        _ = try folder.write(
            "migrations/2.0.0/001_notes.sql", "ALTER TABLE rooms ADD COLUMN notes TEXT;\n")
        _ = try folder.write(
            "ferry.toml",
            """
            [app]
            name = "app"

            [database]
            url = "\(database.location)"
            migrations = "migrations"

            [backups]
            directory = "backups"

            """)
    }

    /// The schema of release 1.0.0 written by hand, otherwise than the
    /// migrations write it (another order, other spacing, the index first
    /// made under another table's rows), with rows; `extra` is added to devices.
    static func handMade(_ database: TestDatabase, extra: String = "") async throws {
        try await database.load(
            """
            CREATE TABLE devices(
                id   INTEGER PRIMARY KEY,
                name TEXT NOT NULL\(extra)
            );
            INSERT INTO devices (id, name) VALUES (1, 'hub'), (2, 'lamp');
            CREATE TABLE rooms(id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES devices(id), name TEXT NOT NULL);
            INSERT INTO rooms (id, device_id, name) VALUES (1, 1, 'kitchen');
            CREATE INDEX rooms_by_name ON rooms(name);
            """)
    }

    @Test(arguments: TestEngine.underTest)
    func aHandMadeDatabaseWithTheReleasesSchemaIsRecordedAndUpgradedFromThere(engine: TestEngine)
        async throws
    {
        try await withTestDatabase(engine) { database in
            try Self.project(database)
            try await Self.handMade(database)
            let rows = try await database.snapshot().rows

            let baseline = try await FerryProcess.run(
                ["baseline", "--release", "1.0.0", "--json"], in: database.folder.url)
            #expect(baseline.status == 0, "\(baseline)")
            let report = try #require(try baseline.jsonLines().last?["report"] as? [String: Any])
            #expect(report["recorded"] as? [String] == ["1.0.0/001_devices", "1.0.0/002_rooms"])
            #expect((report["backup"] as? String)?.contains("pre-baseline") == true)
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'baseline'") == "2")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
            #expect(
                try await database.snapshot().rows.filter { !$0.key.hasPrefix("ferry_") } == rows)

            let upgrade = try await FerryProcess.run(
                ["upgrade", "--json"], in: database.folder.url)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(try upgrade.jsonLines().last?["applied"] as? [String] == ["2.0.0/001_notes"])
            #expect(try await database.scalar("SELECT count(*) FROM devices") == "2")

            // Ferry manages it now: a second baseline is refused.
            let again = try await FerryProcess.run(
                ["baseline", "--release", "1.0.0"], in: database.folder.url)
            #expect(again.status == 3, "\(again)")
            #expect(again.stderr.contains("already managed"), "\(again)")
        }
    }

    /// A reference without its row, written from outside by the real
    /// `sqlite3` shell (foreign keys off): Ferry's own records (the baseline,
    /// the event of a restore) change no row of the application's, so they
    /// are neither refused nor lost for it, and the row stays as it was.
    @Test func aDatabaseWithADanglingReferenceIsBaselinedAndRestoredAsItIs() async throws {
        try await withTestDatabase(.sqlite) { database in
            try Self.project(database)
            try await Self.handMade(database)
            let dangling = try sqlite3Shell(
                database.location,
                sql: "INSERT INTO rooms (id, device_id, name) VALUES (2, 9, 'attic')")
            #expect(dangling.status == 0, "\(dangling)")
            let rows = try await database.snapshot().rows

            let baseline = try await FerryProcess.run(
                ["baseline", "--release", "1.0.0"], in: database.folder.url)
            #expect(baseline.status == 0, "\(baseline)")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'baseline'") == "2")

            let backup = try await FerryProcess.run(["backup"], in: database.folder.url)
            #expect(backup.status == 0, "\(backup)")
            let restore = try await FerryProcess.run(
                ["restore", "--latest", "--yes"], in: database.folder.url)
            #expect(restore.status == 0, "\(restore)")
            #expect(!restore.stderr.contains("could not be recorded"), "\(restore)")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_events WHERE kind = 'restore'")
                    == "1")
            #expect(
                try await database.snapshot().rows.filter { !$0.key.hasPrefix("ferry_") } == rows)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDatabaseThatDiffersByOneColumnIsRefusedWithTheDifferenceAndNothingRecorded(
        engine: TestEngine
    ) async throws {
        try await withTestDatabase(engine) { database in
            try Self.project(database)
            try await Self.handMade(database, extra: ",\n    location TEXT")
            let before = try await database.snapshot()

            let baseline = try await FerryProcess.run(
                ["baseline", "--release", "1.0.0"], in: database.folder.url)
            #expect(baseline.status == 3, "\(baseline)")
            #expect(
                baseline.stderr.contains("not that of release 1.0.0 (1 difference)"), "\(baseline)")
            #expect(
                baseline.stderr.contains(
                    "column devices.location is not made by any migration"), "\(baseline)")
            #expect(baseline.stderr.contains("Nothing was changed"), "\(baseline)")
            let after = try await database.snapshot()
            #expect(after.rows == before.rows)
            #expect(after.schema == before.schema)
            #expect(
                try await database.scalar(LayoutFixture.tableCount("ferry_migrations", engine))
                    == "0")
            let backups =
                (try? FileManager.default.contentsOfDirectory(atPath: database.backupsFolder.path))
                ?? []
            #expect(backups.isEmpty, "no backup is taken before a refusal: \(backups)")

            // Compared with release 2.0.0, the column it lacks is named too.
            let json = try await FerryProcess.run(
                ["baseline", "--release", "2.0.0", "--dry-run", "--json"], in: database.folder.url)
            #expect(json.status == 3, "\(json)")
            let error = try #require(try json.jsonLines().last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "schemaDiffers")
            #expect(
                (error["message"] as? String)?.contains("column rooms.notes is missing") == true)
        }
    }
}
