import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerrySQLite

/// How SQLite records the rows a transfer moves: packed as the `UPDATE`
/// goes (``SQLiteTransferRecorder``), read back exactly by an undo, for keys
/// of every kind SQLite stores; and the one row per moved row that an older
/// Ferry wrote still undone.
@Suite struct TransferRecordTests {
    /// Keys of every kind a key column without a type holds: integers at
    /// both ends of 64 bits, reals, and texts that JSON must escape.
    static let keys: [DatabaseValue] = [
        0.databaseValue, (-1).databaseValue, Int64.max.databaseValue, Int64.min.databaseValue,
        1.5.databaseValue, (-2.25e-300).databaseValue, "plain".databaseValue,
        "quote \" and backslash \\".databaseValue, "tab\tnew line\ncontrol \u{1}".databaseValue,
        "ünïcödé ✓".databaseValue, "12".databaseValue,
    ]

    /// A database of owners and their things, every thing owned by owner 1
    /// but the last, owned by owner 2.
    func withThings(_ body: (DatabaseQueue, Ferry) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("things.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                    INSERT INTO owners VALUES (1, 'one'), (2, 'two');
                    CREATE TABLE things (
                        k PRIMARY KEY NOT NULL,
                        owner INTEGER NOT NULL REFERENCES owners (id),
                        note TEXT,
                        weight REAL
                    );
                    """)
            for (index, key) in Self.keys.enumerated() {
                try db.execute(
                    sql: "INSERT INTO things VALUES (?, ?, ?, ?)",
                    arguments: [key, index == Self.keys.count - 1 ? 2 : 1, "note \(index)", index])
            }
        }
        var configuration = Ferry.Configuration(engine: SQLiteEngine(path: path))
        configuration.backupsDirectory = folder.url.appendingPathComponent("backups")
        try await body(queue, Ferry(configuration))
        try queue.close()
        withExtendedLifetime(folder) {}
    }

    /// Every thing's key, as SQLite stores it, with its owner.
    func owners(_ queue: DatabaseQueue) async throws -> [String: Int] {
        try await queue.read { db in
            var owners: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT quote(k) AS k, owner FROM things") {
                owners[row["k"]] = row["owner"]
            }
            return owners
        }
    }

    @Test func movedRowsArePackedAndAnUndoFindsEachKeyOfEveryKind() async throws {
        try await withThings { queue, ferry in
            let before = try await owners(queue)
            let request = TransferRequest(name: "things.owner", from: "1", to: "2")
            let report = try await ferry.transfer(request, takingBackup: false)
            #expect(report.transfer.rows == Self.keys.count - 1)
            #expect(try await owners(queue).values.allSatisfy { $0 == 2 })
            let (packs, rows) = try await queue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT sum(row_count) FROM ferry_transfer_packs"),
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM ferry_transfer_rows")
                )
            }
            #expect(packs == Self.keys.count - 1)
            #expect(rows == 0)

            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(queue) == before)
        }
    }

    /// The digest of `ferry_transfer_rows` is the one older Ferrys wrote
    /// there (FNV-1a over each value's type and bytes), or their undo would
    /// call every row changed: pinned to a value worked out by hand.
    @Test func theDigestOfRecordedRowsStaysTheSame() throws {
        let queue = try DatabaseQueue()
        let digest = try queue.inDatabase { db in
            SQLiteTransferRecorder.addFunctions(to: db)
            return try Int64.fetchOne(db, sql: "SELECT ferry_row_digest(1, 'a', 2.5, NULL)")
        }
        #expect(digest == -152_750_083_727_064_081)
    }

    @Test func anUndoNamesTheRowThatChangedAndChangesNothing() async throws {
        try await withThings { queue, ferry in
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            try await queue.write { db in
                try db.execute(
                    sql: "UPDATE things SET weight = 99 WHERE k = ?",
                    arguments: ["quote \" and backslash \\"])
            }
            let moved = try await owners(queue)
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.code == .transferRefused)
            #expect(error.message.contains("1 of the \(Self.keys.count - 1) rows"))
            #expect(error.message.contains("quote \" and backslash \\"))
            #expect(error.changes == "Nothing was changed.")
            #expect(try await owners(queue) == moved)
        }
    }

    /// What an older Ferry left of a transfer: each moved row's key and its
    /// digest by `ferry_row_digest` of every column but the owner, one row
    /// each; with `ferry_transfer_packs` dropped, or kept for later transfers.
    @Test(arguments: [true, false])
    func aTransferRecordedOneRowEachByAnOlderFerryIsUndone(dropsPacks: Bool) async throws {
        try await withThings { queue, ferry in
            let before = try await owners(queue)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            try await queue.write { db in
                SQLiteTransferRecorder.addFunctions(to: db)
                let unpacked = try #require(
                    SQLiteHistoryDialect().unpackedRows(ofTransfer: "\(report.transfer.id)"))
                try db.execute(
                    sql: """
                        INSERT INTO ferry_transfer_rows (transfer, row_key, digest)
                        SELECT \(report.transfer.id), t.k, ferry_row_digest(t.k, t.note, t.weight)
                          FROM (\(unpacked)) AS r JOIN things AS t ON t.k = r.row_key;
                        \(dropsPacks ? "DROP TABLE ferry_transfer_packs" : "DELETE FROM ferry_transfer_packs");
                        """)
            }
            // A row changed since is still seen, by the digest that the record holds.
            try await queue.write { db in
                try db.execute(sql: "UPDATE things SET note = 'edited' WHERE k = 'plain'")
            }
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.message.contains("1 of the \(Self.keys.count - 1) rows"), "\(error)")
            try await queue.write { db in
                try db.execute(sql: "UPDATE things SET note = 'note 6' WHERE k = 'plain'")
            }
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(queue) == before)
        }
    }

    @Test func copiesAreRecordedOneRowEachAndAnUndoDeletesThem() async throws {
        try await withThings { queue, ferry in
            try await queue.write { db in
                try db.execute(
                    sql:
                        "CREATE TABLE numbered (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES owners (id), note TEXT)"
                )
                try db.execute(
                    sql: "INSERT INTO numbered (owner, note) VALUES (1, 'a'), (1, 'b'), (2, 'c')")
            }
            let report = try await ferry.transfer(
                TransferRequest(name: "numbered.owner", from: "1", to: "2", mode: .copy),
                takingBackup: false)
            #expect(report.transfer.rows == 2)
            #expect(
                try await queue.read { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM numbered WHERE owner = 2")
                } == 3)
            try await ferry.undoTransfer(id: report.transfer.id)
            let left = try await queue.read { db in
                try String.fetchAll(db, sql: "SELECT owner || note FROM numbered ORDER BY id")
            }
            #expect(left == ["1a", "1b", "2c"])
        }
    }

    /// 70,000 rows: two packs, the first one full.
    @Test func aMoveOfMoreRowsThanAPackHoldsIsUndone() async throws {
        try await withThings { queue, ferry in
            let rows = TransferStore.rowsPerPack + 4_464
            try await queue.write { db in
                try db.execute(
                    sql: """
                        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                        INSERT INTO things SELECT 'key ' || i, 1, NULL, i FROM n
                        """)
            }
            let before = try await owners(queue)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            #expect(report.transfer.rows == rows + Self.keys.count - 1)
            let parts = try await queue.read { db in
                try Int.fetchAll(
                    db, sql: "SELECT row_count FROM ferry_transfer_packs ORDER BY part")
            }
            #expect(
                parts == [
                    TransferStore.rowsPerPack,
                    rows + Self.keys.count - 1 - TransferStore.rowsPerPack,
                ])
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(queue) == before)
        }
    }

    @Test func aDamagedPackIsRefusedByTheUndoAndChangesNothing() async throws {
        try await withThings { queue, ferry in
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            try await queue.write { db in
                try db.execute(sql: "UPDATE ferry_transfer_packs SET rows = substr(rows, 1, 5)")
            }
            let moved = try await owners(queue)
            let error = try await #require(throws: FerryError.self) {
                try await ferry.undoTransfer(id: report.transfer.id)
            }
            #expect(error.engineMessage?.contains("damaged") == true, "\(error)")
            #expect(try await owners(queue) == moved)
        }
    }

    /// Keys that a pack cannot hold (a blob, a text with a NUL) are
    /// recorded one row each instead, in the same transaction, and undone.
    @Test(arguments: ["x'00ff'", "'nul' || char(0) || 'inside'"])
    func aKeyThatNoPackHoldsIsRecordedOneRowEach(key: String) async throws {
        try await withThings { queue, ferry in
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO things VALUES (\(key), 1, 'unpackable', 0)")
            }
            let before = try await owners(queue)
            let report = try await ferry.transfer(
                TransferRequest(name: "things.owner", from: "1", to: "2"), takingBackup: false)
            #expect(report.transfer.rows == Self.keys.count)
            let (packs, rows) = try await queue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM ferry_transfer_packs"),
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM ferry_transfer_rows")
                )
            }
            #expect(packs == 0)
            #expect(rows == Self.keys.count)
            #expect(try await owners(queue).values.allSatisfy { $0 == 2 })
            try await ferry.undoTransfer(id: report.transfer.id)
            #expect(try await owners(queue) == before)
        }
    }
}
