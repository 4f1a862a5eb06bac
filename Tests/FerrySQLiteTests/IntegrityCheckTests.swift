import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerrySQLite

/// The full integrity check made of passes (``SQLiteIntegrityCheck``),
/// against SQLite's own `PRAGMA integrity_check` on real files: what one
/// finds the other finds, on healthy files of every shape and on files
/// damaged from outside (an index that no longer matches its table, a
/// `UNIQUE` index holding a key twice, a flipped byte).
@Suite struct IntegrityCheckTests {
    /// Tables and indexes of every kind the check meets: integers, reals
    /// (also whole ones, which SQLite stores as integers), texts, blobs,
    /// `NULL`s, a descending column, a stored generated column, a `UNIQUE`
    /// key over two columns, a rowid column shadowed by a column named
    /// `rowid`; and the shapes left to SQLite's own check (a `NOCASE` index,
    /// an index on a virtual generated column, one holding an `INTEGER
    /// PRIMARY KEY`, a partial index, an index on an expression, a `WITHOUT
    /// ROWID` table).
    static let schema = """
        CREATE TABLE readings (id INTEGER PRIMARY KEY, device INTEGER, at INTEGER, value REAL,
            label TEXT, raw BLOB, doubled INTEGER GENERATED ALWAYS AS (device * 2) STORED);
        CREATE INDEX readings_by_device ON readings (device, at DESC);
        CREATE INDEX readings_by_value ON readings (value);
        CREATE INDEX readings_by_label ON readings (label, raw);
        CREATE INDEX readings_by_doubled ON readings (doubled);
        CREATE UNIQUE INDEX readings_unique ON readings (device, at);
        CREATE TABLE shadowed (rowid TEXT, name TEXT UNIQUE);
        CREATE TABLE labels (id INTEGER PRIMARY KEY, label TEXT COLLATE NOCASE);
        CREATE INDEX labels_by_label ON labels (label);
        CREATE TABLE computed (id INTEGER PRIMARY KEY, device INTEGER,
            tripled INTEGER GENERATED ALWAYS AS (device * 3) VIRTUAL);
        CREATE INDEX computed_by_tripled ON computed (tripled);
        CREATE TABLE keyed (id INTEGER PRIMARY KEY, note TEXT);
        CREATE INDEX keyed_by_note_id ON keyed (note, id);
        CREATE TABLE tags (name TEXT PRIMARY KEY, note TEXT) WITHOUT ROWID;
        CREATE INDEX tags_by_note ON tags (note);
        CREATE TABLE partial (id INTEGER PRIMARY KEY, kind TEXT);
        CREATE INDEX partial_kind ON partial (kind) WHERE kind IS NOT NULL;
        CREATE TABLE expressions (id INTEGER PRIMARY KEY, name TEXT);
        CREATE INDEX expressions_lower ON expressions (lower(name));
        CREATE TABLE plain (id INTEGER PRIMARY KEY, note TEXT);
        CREATE TABLE mixed (id INTEGER PRIMARY KEY, anything);
        CREATE INDEX mixed_by_anything ON mixed (anything DESC);
        """

    /// A file with ``schema`` and a few thousand rows of each kind.
    func makeDatabase(in folder: TemporaryFolder) throws -> String {
        let path = folder.url.appendingPathComponent("checked.db").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: Self.schema)
            for row in 0..<3000 {
                let value: DatabaseValue =
                    row % 7 == 0
                    ? .null
                    : (row % 3 == 0
                        ? Double(row / 3).databaseValue : (Double(row) / 7).databaseValue)
                try db.execute(
                    sql:
                        "INSERT INTO readings (device, at, value, label, raw) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        row % 50, row, value, row % 5 == 0 ? nil : "Label \(row % 40)",
                        row % 4 == 0 ? nil : Data([UInt8(row % 256), 0, 7]),
                    ])
                try db.execute(
                    sql: "INSERT INTO shadowed (rowid, name) VALUES (?, ?)",
                    arguments: ["r\(row)", "name \(row)"])
                try db.execute(
                    sql: "INSERT INTO tags (name, note) VALUES (?, ?)",
                    arguments: ["tag \(row)", row % 2 == 0 ? nil : "note \(row % 9)"])
                try db.execute(
                    sql: "INSERT INTO partial (kind) VALUES (?)",
                    arguments: [row % 3 == 0 ? nil : "kind \(row % 11)"])
                try db.execute(
                    sql: "INSERT INTO expressions (name) VALUES (?)", arguments: ["Name \(row)"])
                try db.execute(sql: "INSERT INTO plain (note) VALUES (?)", arguments: ["\(row)"])
                try db.execute(
                    sql: "INSERT INTO labels (label) VALUES (?)", arguments: ["Label \(row % 40)"])
                try db.execute(
                    sql: "INSERT INTO computed (device) VALUES (?)", arguments: [row % 50])
                try db.execute(
                    sql: "INSERT INTO keyed (note) VALUES (?)", arguments: ["note \(row % 13)"])
            }
            // Every storage class in one column, numbers of both kinds side by side and at the
            // integers' ends.
            let values: [DatabaseValue] = [
                1.databaseValue, 1.5.databaseValue, 2.databaseValue, (-3.25).databaseValue,
                Int64.max.databaseValue, 9.3e18.databaseValue, Int64.min.databaseValue,
                (-9.3e18).databaseValue, 9_007_199_254_740_993.databaseValue,
                9_007_199_254_740_992.0.databaseValue, "a".databaseValue, "B".databaseValue,
                "".databaseValue, Data([0]).databaseValue, Data().databaseValue, .null,
            ]
            for _ in 0..<3 {
                for value in values {
                    try db.execute(
                        sql: "INSERT INTO mixed (anything) VALUES (?)", arguments: [value])
                }
            }
        }
        try queue.close()
        return path
    }

    @Test func aHealthyFileOfEveryShapePassesWithoutASuspect() throws {
        let folder = try TemporaryFolder()
        let path = try makeDatabase(in: folder)
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            let passes = try SQLiteIntegrityCheck.passes(db)
            // Each index read against its table, the unique ones grouped; the other shapes whole.
            let names = passes.map { pass -> String in
                switch pass {
                case .quickCheck: return "quick"
                case .table(let table, let indexes, _):
                    return "table \(table): \(indexes.map(\.name).sorted().joined(separator: " "))"
                case .index(let index): return "index \(index.name)"
                case .uniqueness(let index): return "unique \(index.name)"
                case .wholeTable(let table): return "whole \(table)"
                }
            }
            #expect(names.first == "quick")
            #expect(
                names.contains(
                    "table readings: readings_by_device readings_by_doubled readings_by_label readings_by_value readings_unique"
                ))
            #expect(names.contains("unique readings_unique"))
            #expect(names.contains("unique sqlite_autoindex_shadowed_1"))
            #expect(!names.contains("unique readings_by_device"))
            for table in ["labels", "computed", "keyed", "tags", "partial", "expressions"] {
                #expect(names.contains("whole \(table)"), "\(table)")
            }
            #expect(
                !names.contains { $0.contains("plain") },
                "a table without an index: the quick check")
            let outcome = try SQLiteIntegrityCheck.run(passes, on: db, helpers: [])
            #expect(outcome.problems.isEmpty)
            #expect(outcome.suspects.isEmpty)
            #expect(outcome.fromTables.count == 7)
            #expect(outcome.fromTables == outcome.fromIndexes)
            #expect(try SQLiteIntegrityCheck.problems(db, splitFromPages: 0).isEmpty)
        }
        try queue.close()
    }

    @Test func helperConnectionsFindTheSame() throws {
        let folder = try TemporaryFolder()
        let path = try makeDatabase(in: folder)
        let queue = try DatabaseQueue(path: path)
        let helpers = try (0..<3).map { _ in try DatabaseQueue(path: path) }
        try queue.read { db in
            let passes = try SQLiteIntegrityCheck.passes(db)
            let alone = try SQLiteIntegrityCheck.run(passes, on: db, helpers: [])
            let shared = try SQLiteIntegrityCheck.run(passes, on: db, helpers: helpers)
            #expect(shared.fromTables == alone.fromTables)
            #expect(shared.fromIndexes == alone.fromIndexes)
            #expect(shared.suspects.isEmpty && shared.problems.isEmpty)
        }
        for helper in helpers { try helper.close() }
        try queue.close()
    }

    @Test func largeTablesReadInPiecesOverConnectionsAddUpToTheWhole() throws {
        let folder = try TemporaryFolder()
        let path = try makeDatabase(in: folder)
        let queue = try DatabaseQueue(path: path)
        let helpers = try (0..<2).map { _ in try DatabaseQueue(path: path) }
        try queue.read { db in
            let passes = try SQLiteIntegrityCheck.passes(db, tablePieces: 4, piecesFromRows: 1000)
            // The tables of 3,000 rows in four ranges of rowids each, after their indexes' passes.
            var pieces: [String: [ClosedRange<Int64>]] = [:]
            var indexesRead: Set<String> = []
            for pass in passes {
                switch pass {
                case .table(let table, let indexes, let rowids):
                    for index in indexes {
                        #expect(indexesRead.contains(index.name), "\(index.name) read first")
                    }
                    if let rowids { pieces[table, default: []].append(rowids.bounds) }
                case .index(let index): indexesRead.insert(index.name)
                default: break
                }
            }
            #expect(pieces["readings"]?.count == 4)
            #expect(pieces["readings"]?.first?.lowerBound == 1)
            #expect(pieces["readings"]?.last?.upperBound == 3000)
            #expect(pieces["shadowed"]?.count == 4, "by _rowid_: a column is named rowid")
            let whole = try SQLiteIntegrityCheck.run(
                try SQLiteIntegrityCheck.passes(db), on: db, helpers: [])
            let shared = try SQLiteIntegrityCheck.run(passes, on: db, helpers: helpers)
            #expect(shared.fromTables == whole.fromTables)
            #expect(shared.fromTables == shared.fromIndexes)
            #expect(shared.suspects.isEmpty && shared.problems.isEmpty)
        }
        for helper in helpers { try helper.close() }
        try queue.close()
    }

    @Test func rowidRangesCoverEveryRowidOnce() {
        let cases: [(Int64, Int64, Int)] = [
            (1, 3000, 4), (1, 3, 8), (5, 5, 4), (-10, 10, 3), (1, 1_000_000, 1),
            (Int64.min, Int64.max, 8), (Int64.min, Int64.min + 2, 2), (Int64.max - 7, Int64.max, 8),
        ]
        for (low, high, count) in cases {
            let pieces = RowidRanges.split(from: low, to: high, count: count)
            #expect(!pieces.isEmpty && pieces.count <= count, "\(low)...\(high) in \(count)")
            #expect(pieces.first?.lowerBound == low && pieces.last?.upperBound == high)
            for (before, after) in zip(pieces, pieces.dropFirst()) {
                #expect(before.upperBound &+ 1 == after.lowerBound, "\(pieces)")
            }
        }
        #expect(RowidRanges.split(from: 3, to: 2, count: 4).isEmpty)
    }

    @Test func anIndexThatNoLongerMatchesItsTableIsFoundAndWordedBySQLite() throws {
        // From outside: the index's definition names another column than the one its entries hold.
        let (folder, queue) = try makeDatabase(redefining: [
            "readings_by_value": "CREATE INDEX readings_by_value ON readings (at)"
        ])
        defer { withExtendedLifetime(folder) {} }
        try queue.read { db in
            let quick = try String.fetchAll(db, sql: "PRAGMA quick_check")
            #expect(quick == ["ok"], "the quick check does not see it")
            let sqlite = try SQLiteIntegrityCheck.whole(db, table: nil)
            #expect(!sqlite.isEmpty)
            let outcome = try passesOutcome(db)
            #expect(outcome.suspects == ["readings"])
            let problems = try SQLiteIntegrityCheck.problems(db, splitFromPages: 0)
            #expect(problems == (try SQLiteIntegrityCheck.whole(db, table: "readings")))
            #expect(problems.contains { $0.contains("readings_by_value") }, "\(problems)")
            #expect(Set(problems) == Set(sqlite), "the same lines as SQLite's whole check")
        }
        try queue.close()
    }

    @Test func anIndexWhoseEntriesAreOutOfOrderIsFound() throws {
        // From outside: the index holds the same entries, but is declared in the other direction.
        let (folder, queue) = try makeDatabase(redefining: [
            "readings_by_value": "CREATE INDEX readings_by_value ON readings (value DESC)"
        ])
        defer { withExtendedLifetime(folder) {} }
        try queue.read { db in
            #expect(try String.fetchAll(db, sql: "PRAGMA quick_check") == ["ok"])
            let outcome = try passesOutcome(db)
            // The same number of entries, not in the index's order: no fingerprint.
            let fromTable = try #require(outcome.fromTables["readings_by_value"])
            #expect(
                outcome.fromIndexes["readings_by_value"]
                    == Fingerprint(count: fromTable.count, sum: nil))
            #expect(outcome.suspects == ["readings"])
            let problems = try SQLiteIntegrityCheck.problems(db, splitFromPages: 0)
            #expect(problems.contains { $0.contains("readings_by_value") }, "\(problems)")
        }
        try queue.close()
    }

    @Test func aUniqueIndexHoldingAKeyTwiceIsFound() throws {
        // From outside: an index whose entries repeat keys is declared unique.
        let (folder, queue) = try makeDatabase(redefining: [
            "readings_by_device":
                "CREATE UNIQUE INDEX readings_by_device ON readings (device, at DESC)",
            "readings_by_label": "CREATE UNIQUE INDEX readings_by_label ON readings (label, raw)",
        ])
        defer { withExtendedLifetime(folder) {} }
        try queue.read { db in
            let outcome = try passesOutcome(db)
            // (device, at) is unique in the rows; (label, raw) is not.
            #expect(outcome.suspects == ["readings"])
            let problems = try SQLiteIntegrityCheck.problems(db, splitFromPages: 0)
            #expect(
                problems.contains { $0.contains("non-unique entry in index readings_by_label") })
            #expect(!problems.contains { $0.contains("readings_by_device") })
        }
        try queue.close()
    }

    @Test func aFlippedByteInAnIndexPageIsFound() throws {
        let folder = try TemporaryFolder()
        let path = try makeDatabase(in: folder)
        let (root, pageSize) = try DatabaseQueue(path: path).read { db in
            (
                try Int.fetchOne(
                    db, sql: "SELECT rootpage FROM sqlite_schema WHERE name = 'readings_by_label'")!,
                try Int.fetchOne(db, sql: "PRAGMA page_size")!
            )
        }
        // From outside: one byte of the index's root page, in its cell pointers.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let offset = UInt64((root - 1) * pageSize + 13)
        try handle.seek(toOffset: offset)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0x5A]))
        try handle.close()
        let queue = try DatabaseQueue(path: path)
        let listener = ProgressListener(sink: nil)
        // Outside a transaction: the damage makes a read transaction's end fail too.
        let problems = try queue.inDatabase { db in
            try SQLiteIntegrityCheck.problems(db, splitFromPages: 0)
        }
        let sqlite = try queue.inDatabase { db in
            try SQLiteInspection.integrityProblems(db, thorough: true, reportingTo: listener)
        }
        #expect(!problems.isEmpty)
        #expect(!sqlite.isEmpty, "SQLite's own check agrees")
        try queue.close()
    }

    /// ``makeDatabase(in:)`` with index definitions changed under their
    /// entries by the real `sqlite3` shell (`writable_schema`), opened.
    func makeDatabase(redefining definitions: [String: String]) throws
        -> (TemporaryFolder, DatabaseQueue)
    {
        let folder = try TemporaryFolder()
        let path = try makeDatabase(in: folder)
        let updates = definitions.sorted { $0.key < $1.key }.map { name, sql in
            "UPDATE sqlite_schema SET sql = \(SQLLiteral.quoted(sql)) WHERE name = \(SQLLiteral.quoted(name));"
        }
        let edit = try sqlite3Shell(
            path, sql: "PRAGMA writable_schema = ON; " + updates.joined(separator: " "))
        #expect(edit.status == 0, "\(edit.stderr)")
        return (folder, try DatabaseQueue(path: path))
    }

    /// What the passes find, on one connection; the same as when the tables
    /// are read in pieces.
    func passesOutcome(_ db: Database) throws -> SQLiteIntegrityCheck.Outcome {
        let whole = try SQLiteIntegrityCheck.run(
            try SQLiteIntegrityCheck.passes(db), on: db, helpers: [])
        let pieces = try SQLiteIntegrityCheck.run(
            try SQLiteIntegrityCheck.passes(db, tablePieces: 3, piecesFromRows: 100), on: db,
            helpers: [])
        #expect(pieces.fromTables == whole.fromTables)
        #expect(pieces.fromIndexes == whole.fromIndexes)
        #expect(pieces.suspects == whole.suspects)
        #expect(pieces.problems == whole.problems)
        return whole
    }
}
