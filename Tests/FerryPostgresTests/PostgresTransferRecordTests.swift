import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// How PostgreSQL records the rows a transfer moves: in one pack of two
/// arrays written in one pass before the `UPDATE`, read back exactly by an
/// undo for keys that arrays must quote; the same digest whatever the
/// server's settings say about the text of values; one row each beyond the
/// largest pack; and the one row each that an older Ferry wrote, still undone.
@Suite(
    "PostgreSQL transfer records",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresTransferRecordTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// Keys that an array's text must quote or escape, and an empty one.
    static let keys = [
        "plain", "with space", "comma,inside", "{braces}", "quote \" and backslash \\", "NULL",
        "", "ünïcödé ✓", "tab\tand new line\n",
    ]

    /// A database of owners and their things, every thing owned by owner 1
    /// but the last, owned by owner 2; each thing with an instant, a float
    /// and an interval, whose text depends on the session's settings.
    func withThings(_ body: (TestDatabase, Ferry) async throws -> Void) async throws {
        try await withTestDatabase(.postgres) { database in
            let values = Self.keys.enumerated().map { index, key in
                let owner = index == Self.keys.count - 1 ? 2 : 1
                return "(\(SQLLiteral.quoted(key)), \(owner), 'note \(index)', "
                    + "timestamptz '2026-03-29 01:30:00+00' + interval '\(index) hours', "
                    + "\(index).1 / 3, interval '\(index) days 3 hours')"
            }
            try await database.load(
                """
                CREATE TABLE owners (id integer PRIMARY KEY, name text NOT NULL);
                INSERT INTO owners VALUES (1, 'one'), (2, 'two');
                CREATE TABLE things (
                    k text PRIMARY KEY,
                    owner integer NOT NULL REFERENCES owners (id),
                    note text,
                    seen timestamptz NOT NULL,
                    weight double precision NOT NULL,
                    kept interval NOT NULL
                );
                INSERT INTO things VALUES \(values.joined(separator: ", "));
                """)
            var configuration = Ferry.Configuration(engine: database.engine)
            configuration.backupsDirectory = database.backupsFolder
            try await body(database, Ferry(configuration))
        }
    }

    /// Every thing's key with its owner.
    func owners(_ database: TestDatabase) async throws -> String? {
        try await database.scalar(
            "SELECT string_agg(k || '=' || owner, '|' ORDER BY k) FROM things")
    }

    /// Sets a setting of the database, for the sessions that start after.
    func setDatabase(_ setting: String, to value: String, in database: TestDatabase) async throws {
        try await database.load(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET \(setting) = %L', "
                + "current_database(), '\(value)'); END $$;")
    }

    @Test func movedRowsArePackedAndAnUndoFindsEachKey() async throws {
        try await withThings { database, ferry in
            let before = try await owners(database)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            #expect(report.transfer.rows == Self.keys.count - 1)
            #expect(
                try await database.scalar(
                    "SELECT part || ':' || row_count || ':' || cardinality(row_keys) || ':' "
                        + "|| cardinality(digests) FROM ferry_transfer_packs")
                    == "0:\(Self.keys.count - 1):\(Self.keys.count - 1):\(Self.keys.count - 1)")
            #expect(try await database.scalar("SELECT count(*) FROM ferry_transfer_rows") == "0")
            #expect(
                try await database.scalar(
                    "SELECT string_agg(k, '|' ORDER BY k) FROM things AS t JOIN ("
                        + "SELECT unnest(row_keys) AS k FROM ferry_transfer_packs) AS p USING (k)")
                    == Self.keys.dropLast().sorted().joined(separator: "|"))
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(database) == before)
        }
    }

    /// The time zone, the float digits and the interval style change the
    /// text of the rows between the transfer and its undo: the undo still
    /// finds them unchanged, and still sees the one row that did change.
    @Test func theServersSettingsDoNotChangeADigest() async throws {
        try await withThings { database, ferry in
            let before = try await owners(database)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            try await setDatabase("TimeZone", to: "Pacific/Chatham", in: database)
            try await setDatabase("extra_float_digits", to: "-2", in: database)
            try await setDatabase("IntervalStyle", to: "sql_standard", in: database)
            try await database.load(
                "UPDATE things SET seen = seen + interval '1 second' WHERE k = 'NULL'")
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.message.contains("1 of the \(Self.keys.count - 1) rows"), "\(error)")
            #expect(error.message.contains("k NULL"), "\(error)")
            try await database.load(
                "UPDATE things SET seen = seen - interval '1 second' WHERE k = 'NULL'")
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(database) == before)
        }
    }

    /// A condition on an instant is read in UTC by the preview and by the
    /// transfer alike, whatever the server's time zone: the rows previewed
    /// are the rows that move.
    @Test func aConditionOnAnInstantMovesTheRowsThePreviewCounted() async throws {
        try await withThings { database, ferry in
            try await setDatabase("TimeZone", to: "Pacific/Chatham", in: database)
            try await setDatabase("DateStyle", to: "SQL, DMY", in: database)
            let report = try await ferry.transfer(
                TransferRequest(
                    name: "things.owner", from: "1", to: "2",
                    condition: "seen < '2026-03-29 05:00:00'"), takingBackup: false)
            #expect(report.transfer.rows == 4, "the rows of 01:30 to 04:30 UTC")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM things WHERE owner = 2 AND seen < '2026-03-29 05:00:00+00'"
                )
                    == "4")
        }
    }

    /// More rows than a pack holds: one row of `ferry_transfer_rows` each.
    @Test func aMoveOfMoreRowsThanAPackHoldsIsRecordedOneRowEach() async throws {
        try await withThings { database, ferry in
            let before = try await owners(database)
            let report = try await TransferStore.$rowsPerStatementPack.withValue(3) {
                try await ferry.transfer(
                    TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            }
            #expect(try await database.scalar("SELECT count(*) FROM ferry_transfer_packs") == "0")
            #expect(
                try await database.scalar("SELECT count(*) FROM ferry_transfer_rows")
                    == "\(Self.keys.count - 1)")
            try await database.load("UPDATE things SET weight = weight + 1 WHERE k = ''")
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.message.contains("1 of the \(Self.keys.count - 1) rows"), "\(error)")
            try await database.load("UPDATE things SET weight = weight - 1 WHERE k = ''")
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(database) == before)
        }
    }

    /// Copies are packed as well, and an undo deletes exactly them.
    @Test func copiesArePackedAndAnUndoDeletesThem() async throws {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                """
                CREATE TABLE owners (id integer PRIMARY KEY);
                INSERT INTO owners VALUES (1), (2);
                CREATE TABLE things (
                    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    owner integer NOT NULL REFERENCES owners (id), note text);
                INSERT INTO things (owner, note) SELECT 1 + i % 2, 'n' || i FROM generate_series(1, 50) AS i;
                """)
            var configuration = Ferry.Configuration(engine: database.engine)
            configuration.backupsDirectory = database.backupsFolder
            let ferry = Ferry(configuration)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2", mode: .copy),
                takingBackup: false)
            #expect(report.transfer.rows == 25)
            #expect(try await database.scalar("SELECT count(*) FROM things") == "75")
            #expect(
                try await database.scalar("SELECT sum(row_count) FROM ferry_transfer_packs") == "25"
            )
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await database.scalar("SELECT count(*) FROM things") == "50")
            #expect(
                try await database.scalar("SELECT count(*) FROM things WHERE id > 50") == "0")
        }
    }

    /// Rows that an older Ferry recorded one each, with the MD5 of their
    /// text under the session's own settings (here a time zone that is not
    /// UTC, and PostgreSQL's own interval style), are still undone, and a
    /// changed one is still seen.
    @Test func aTransferRecordedOneRowEachByAnOlderFerryIsUndone() async throws {
        try await withThings { database, ferry in
            let before = try await owners(database)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            try await setDatabase("TimeZone", to: "Pacific/Chatham", in: database)
            try await database.load(
                """
                INSERT INTO ferry_transfer_rows (transfer, row_key, digest)
                SELECT \(report.transfer.id), t.k, md5(ROW(t.k, t.note, t.seen, t.weight, t.kept)::text)
                  FROM things AS t JOIN (SELECT unnest(row_keys) AS k FROM ferry_transfer_packs) AS p USING (k);
                DROP TABLE ferry_transfer_packs;
                """)
            try await database.load("UPDATE things SET note = 'edited' WHERE k = 'plain'")
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.message.contains("1 of the \(Self.keys.count - 1) rows"), "\(error)")
            try await database.load("UPDATE things SET note = 'note 0' WHERE k = 'plain'")
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(database) == before)
        }
    }
}
