import Dispatch
import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// SQLite's full integrity check, made of passes that each read a b-tree
/// once from start to end, and that can be shared out over several
/// connections.
///
/// `PRAGMA integrity_check` is `PRAGMA quick_check` (every page of every
/// b-tree, the free list, the order of each table's rowids, each row's
/// record, `NOT NULL` and `CHECK`) plus what only looking every row up in
/// every index finds: an index entry missing, extra, different or out of
/// the index's order, and a key held twice in a `UNIQUE` index. On
/// 5,000,000 rows with one index those lookups take 3.3 s against 0.74 s
/// for the quick check. Here the same things take one pass each:
/// - an index holds exactly its table's rows when the multiset of
///   (indexed columns…, rowid) read from the table equals the multiset of
///   entries read from the index. Each side is summed into a fingerprint
///   (the count, and the 64-bit sum of a hash of each tuple: a sum does not
///   depend on the order the rows come in). A changed, missing or extra
///   entry changes it, except with a probability of about 2⁻⁶⁴
///   (``SQLiteRowFingerprint``);
/// - the index pass also compares each entry with the one before in the
///   index's order (``SQLiteIndexFingerprint``);
/// - a `UNIQUE` index holds no key twice when grouping its entries by
///   their key (rows with a `NULL` left out) finds no group of two.
///
/// A table whose check would need more than this gets
/// `PRAGMA integrity_check(table)`: an index on an expression or on the
/// rowid, a partial index, an index whose column is an `INTEGER PRIMARY
/// KEY` or a virtual generated column (an index scan reads those from the
/// table, not from the index), a collation other than `BINARY`, a `WITHOUT
/// ROWID` table. Whatever the passes find against a table is then
/// confirmed by `PRAGMA integrity_check(table)`, whose lines are what is
/// reported: a fingerprint only tells that something differs, SQLite's own
/// check tells what, and a report never rests on the fingerprints alone.
/// Anything unexpected (a statement SQLite refuses) falls back to
/// `PRAGMA integrity_check` whole.
enum SQLiteIntegrityCheck {
    /// Below this many pages the whole check is SQLite's own
    /// `PRAGMA integrity_check`: on a small file its lookups are cheap, and
    /// one statement costs less than several.
    static let splitFromPages = 1024

    /// The problems the full check finds, as SQLite words them; empty when
    /// there are none.
    ///
    /// - Parameters:
    ///   - db: The connection, inside its transaction when it has one.
    ///   - helpers: Other connections to the same file, which no one changes
    ///     meanwhile (a copy Ferry has just made), to share the passes with.
    ///   - splitFromPages: The size from which the check is split into passes.
    ///   - leavingOut: Indexes whose entries are not compared with their
    ///     tables: SQLite built them in the transaction the check runs in
    ///     (see ``TransactionWitness``). The quick check still reads every
    ///     page of them; a file below `splitFromPages` gets SQLite's whole
    ///     check all the same.
    /// - Throws: `DatabaseError` when SQLite cannot run the check.
    static func problems(
        _ db: Database, helpers: [DatabaseQueue] = [], splitFromPages: Int = splitFromPages,
        leavingOut: Set<String> = []
    ) throws -> [String] {
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        // Large tables are read in pieces, four per connection, so that no connection is left
        // waiting for one pass at the end (an eighth of 5,000,000 rows takes a tenth of a second).
        let pieces = helpers.isEmpty ? 1 : 4 * (helpers.count + 1)
        guard pages >= splitFromPages,
            let passes = try? Self.passes(db, leavingOut: leavingOut, tablePieces: pieces)
        else {
            return try whole(db, table: nil)
        }
        let outcome: Outcome
        do {
            outcome = try run(passes, on: db, helpers: helpers)
        } catch let error as DatabaseError where !isDamage(error) {
            return try whole(db, table: nil)
        }
        var problems = outcome.problems
        for table in outcome.suspects.sorted() {
            problems += try whole(db, table: table)
        }
        return problems
    }

    /// `PRAGMA integrity_check`, of one table or of the whole file: its lines
    /// other than `ok`, and SQLite's error when the damage stops it.
    static func whole(_ db: Database, table: String?) throws -> [String] {
        let sql =
            "PRAGMA integrity_check" + (table.map { "(\(SQLLiteral.quoted($0)))" } ?? "")
        // Its lookups want a larger cache (``SQLiteEngine/checkingCacheKiB``); the passes read each
        // b-tree in order, and need no more than the default.
        let previousCache = try? Int.fetchOne(db, sql: "PRAGMA cache_size")
        if previousCache != nil {
            try? db.execute(sql: "PRAGMA cache_size = -\(SQLiteEngine.checkingCacheKiB)")
        }
        defer {
            if let previousCache { try? db.execute(sql: "PRAGMA cache_size = \(previousCache)") }
        }
        return try lines(of: sql, on: db)
    }

    /// The lines of `PRAGMA quick_check` or `integrity_check` other than
    /// `ok`, and SQLite's error after them when the damage stops it.
    static func lines(of check: String, on db: Database) throws -> [String] {
        var lines: [String] = []
        do {
            let cursor = try String.fetchCursor(db, sql: check)
            while let line = try cursor.next() { lines.append(line) }
        } catch let error as DatabaseError where isDamage(error) {
            lines.append(error.message ?? "\(error.resultCode)")
        }
        return lines == ["ok"] ? [] : lines
    }

    /// Whether SQLite stopped because the file is damaged.
    static func isDamage(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    // MARK: The passes

    /// An index checked against its table by fingerprints.
    struct Index: Sendable {
        let table: String
        let name: String
        /// The entry's columns, as the table and the index both name them.
        let columns: [String]
        /// Each entry column's direction in the index: `a` ascending, `d` descending.
        let directions: String
        /// The key's columns with their collations, quoted, for a `UNIQUE` index; nil otherwise.
        let uniqueKey: [(column: String, collation: String)]?
    }

    /// Rowids from `bounds.lowerBound` to `bounds.upperBound`, by a name
    /// of the rowid that no column of the table takes.
    struct Rowids: Sendable {
        let name: String
        let bounds: ClosedRange<Int64>
    }

    /// One pass: a statement (or a pragma) that reads one b-tree through.
    enum Pass: Sendable {
        /// `PRAGMA quick_check` of the whole file.
        case quickCheck
        /// A table read once (or the rows of a range of its rowids: the
        /// pieces' fingerprints add up to the table's), with a fingerprint per index.
        case table(String, [Index], rowids: Rowids? = nil)
        /// An index read once, for its fingerprint.
        case index(Index)
        /// A `UNIQUE` index's keys grouped, looking for a key held twice.
        case uniqueness(Index)
        /// `PRAGMA integrity_check(table)`, for a table the passes above do not cover.
        case wholeTable(String)
    }

    /// Tables with fewer rows are read in one piece.
    static let piecesFromRows = 100_000

    /// The passes that make up the full check, largest tables first; the
    /// indexes of `leavingOut` get none.
    ///
    /// A table of `piecesFromRows` rows or more (by the span of its
    /// rowids) is read in `tablePieces` ranges of its rowids, after its
    /// indexes: passes shared over connections then end at about the same time.
    static func passes(
        _ db: Database, leavingOut: Set<String> = [], tablePieces: Int = 1,
        piecesFromRows: Int = piecesFromRows
    ) throws -> [Pass] {
        var tables: [(name: String, rows: Int, passes: [Pass])] = []
        // Every table's indexes in one statement, table by table in the catalog's order: a table
        // without one needs no pass, and a database of thousands of tables is not asked about
        // each of them in turn.
        var indexed: [(name: String, withoutRowid: Bool, indexes: [Row])] = []
        for index in try Row.fetchAll(
            db,
            sql: """
                SELECT t.name AS tableName, t.wr, i.name, i."unique", i.partial
                FROM pragma_table_list AS t, pragma_index_list(t.name) AS i
                WHERE t.schema = 'main' AND t.type IN ('table', 'shadow')
                """) where !leavingOut.contains(index["name"])
        {
            let table: String = index["tableName"]
            if indexed.last?.name == table {
                indexed[indexed.count - 1].indexes.append(index)
            } else {
                indexed.append((table, (index["wr"] as Int) != 0, [index]))
            }
        }
        for (table, withoutRowid, indexes) in indexed {
            let quoted = SQLIdentifier.quoted(table)
            let tableColumns = try Row.fetchAll(
                db, sql: "SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)",
                arguments: [table])
            let columnNames = Set(tableColumns.map { ($0["name"] as String).lowercased() })
            // The rowid by a name no column of the table takes.
            let rowid = RowidRanges.name(notTakenBy: columnNames)
            // The table's size, to take the largest first: the span of its rowids (two lookups;
            // counting would read a whole b-tree before any pass starts), counted without rowids.
            var rowids: ClosedRange<Int64>?
            if let rowid, !withoutRowid {
                rowids = try RowidRanges.bounds(of: table, rowid: rowid, in: db)
            }
            let rows =
                try rowids.map { Int(clamping: UInt64(bitPattern: $0.upperBound &- $0.lowerBound)) }
                ?? Int.fetchOne(db, sql: "SELECT count(*) FROM \(quoted)") ?? 0
            // Columns an index scan does not read from the index: an INTEGER PRIMARY KEY (read
            // as the entry's rowid) and a virtual generated column (computed from the table's row).
            let keys = tableColumns.filter { ($0["pk"] as Int) > 0 }
            var notInIndex = Set(
                tableColumns.filter { ($0["hidden"] as Int) == 2 }.map { $0["name"] as String })
            if keys.count == 1, (keys[0]["type"] as String).uppercased() == "INTEGER" {
                notInIndex.insert(keys[0]["name"])
            }
            var checked: [Index] = []
            for index in indexes {
                let name: String = index["name"]
                let entry = try Row.fetchAll(
                    db,
                    sql:
                        "SELECT cid, name, desc, coll, key FROM pragma_index_xinfo(?) ORDER BY seqno",
                    arguments: [name])
                // SQLite's own check for what the passes cannot read or order: an index on an
                // expression or on the rowid, a partial index, a collation other than BINARY.
                let readable = entry.allSatisfy { column in
                    let cid: Int = column["cid"]
                    guard cid != -1 else { return true }
                    guard cid >= 0, let columnName = column["name"] as String?,
                        !notInIndex.contains(columnName)
                    else { return false }
                    return (column["coll"] as String?)?.uppercased() == "BINARY"
                }
                guard let rowid, !withoutRowid, (index["partial"] as Int) == 0, readable
                else {
                    checked = []
                    break
                }
                let columns = entry.map { column in
                    (column["cid"] as Int) == -1
                        ? rowid : SQLIdentifier.quoted(column["name"] as String)
                }
                let key = entry.filter { ($0["key"] as Int) == 1 }.map { column in
                    (
                        column: SQLIdentifier.quoted(column["name"] as String),
                        collation: SQLIdentifier.quoted(column["coll"] as String)
                    )
                }
                checked.append(
                    Index(
                        table: table, name: name, columns: columns,
                        directions: String(entry.map { ($0["desc"] as Int) == 1 ? "d" : "a" }),
                        uniqueKey: (index["unique"] as Int) != 0 ? key : nil))
            }
            guard !checked.isEmpty else {
                tables.append((table, rows, [.wholeTable(table)]))
                continue
            }
            var passes: [Pass] = []
            for index in checked {
                passes.append(.index(index))
                if index.uniqueKey != nil { passes.append(.uniqueness(index)) }
            }
            if let rowid, let rowids, rows >= piecesFromRows, tablePieces > 1 {
                for piece in RowidRanges.split(
                    from: rowids.lowerBound, to: rowids.upperBound, count: tablePieces)
                {
                    passes.append(
                        .table(table, checked, rowids: Rowids(name: rowid, bounds: piece)))
                }
            } else {
                passes.append(.table(table, checked))
            }
            tables.append((table, rows, passes))
        }
        return [.quickCheck] + tables.sorted { $0.rows > $1.rows }.flatMap(\.passes)
    }

    /// What the passes found.
    struct Outcome: Sendable {
        /// Lines of SQLite's own checks (the quick check, a whole table's check).
        var problems: [String] = []
        /// Tables whose passes found something for SQLite's own check to confirm.
        var suspects: Set<String> = []
        /// The fingerprints read from the tables, by index.
        var fromTables: [String: Fingerprint] = [:]
        /// The fingerprints read from the indexes, by index.
        var fromIndexes: [String: Fingerprint] = [:]
        /// Each index's table.
        var tableOfIndex: [String: String] = [:]

        /// Adds what another pass found.
        mutating func merge(_ other: Outcome) {
            problems += other.problems
            suspects.formUnion(other.suspects)
            // A table read in pieces: each piece's fingerprint adds to the others'.
            fromTables.merge(other.fromTables) { $0.adding($1) }
            fromIndexes.merge(other.fromIndexes) { $1 }
            tableOfIndex.merge(other.tableOfIndex) { $1 }
        }
    }

    /// Runs the passes on `db` and the helpers at once, each connection
    /// taking the next pass when it is done with one. SQLite's own check of
    /// a table runs on `db` alone, first: it takes a larger page cache
    /// (``whole(_:table:)``), which one connection at a time keeps memory bounded.
    static func run(_ passes: [Pass], on db: Database, helpers: [DatabaseQueue]) throws -> Outcome {
        let ownChecks = passes.filter { if case .wholeTable = $0 { true } else { false } }
        let passes = passes.filter { if case .wholeTable = $0 { false } else { true } }
        let shared = Locked((next: 0, outcome: Outcome(), failure: nil as (any Error)?))
        /// Runs passes on a connection until none is left or one failed.
        @Sendable func work(_ db: Database, first: [Pass] = []) {
            SQLiteRowFingerprint.register(on: db)
            SQLiteIndexFingerprint.register(on: db)
            defer {
                SQLiteRowFingerprint.unregister(from: db)
                SQLiteIndexFingerprint.unregister(from: db)
            }
            var own = first[...]
            while true {
                let pass: Pass? = shared.withLock { state in
                    guard state.failure == nil else { return nil }
                    if let pass = own.popFirst() { return pass }
                    guard state.next < passes.count else { return nil }
                    defer { state.next += 1 }
                    return passes[state.next]
                }
                guard let pass else { return }
                do {
                    let found = try run(pass, on: db)
                    shared.withLock { $0.outcome.merge(found) }
                } catch {
                    shared.withLock { state in
                        if state.failure == nil { state.failure = error }
                    }
                    return
                }
            }
        }
        let group = DispatchGroup()
        for helper in helpers {
            DispatchQueue.global().async(group: group) {
                do {
                    try helper.read { work($0) }
                } catch {
                    // A helper that cannot start leaves its passes to the others.
                }
            }
        }
        work(db, first: ownChecks)
        group.wait()
        let (_, outcome, failure) = shared.value
        if let failure { throw failure }
        var result = outcome
        for (index, fromTable) in outcome.fromTables where outcome.fromIndexes[index] != fromTable {
            if let table = outcome.tableOfIndex[index] { result.suspects.insert(table) }
        }
        return result
    }

    /// Runs one pass.
    static func run(_ pass: Pass, on db: Database) throws -> Outcome {
        var found = Outcome()
        do {
            switch pass {
            case .quickCheck:
                found.problems = try lines(of: "PRAGMA quick_check", on: db)
            case .wholeTable(let table):
                found.problems = try whole(db, table: table)
            case .table(let table, let indexes, let rowids):
                let sums = indexes.map {
                    "ferry_row_fingerprint(\($0.columns.joined(separator: ", ")))"
                }
                let range = rowids.map {
                    " WHERE \($0.name) BETWEEN \($0.bounds.lowerBound) AND \($0.bounds.upperBound)"
                }
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT \(sums.joined(separator: ", ")) FROM \(SQLIdentifier.quoted(table)) NOT INDEXED"
                        + (range ?? "")
                )
                for (position, index) in indexes.enumerated() {
                    found.fromTables[index.name] = Fingerprint(
                        result: row.flatMap { $0[position] as Data? })
                    found.tableOfIndex[index.name] = table
                }
            case .index(let index):
                // Without a sum when the index's entries are not in its order: unequal to any table's.
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT ferry_index_fingerprint('\(index.directions)', "
                        + "\(index.columns.joined(separator: ", "))) "
                        + "FROM \(SQLIdentifier.quoted(index.table)) INDEXED BY \(SQLIdentifier.quoted(index.name))"
                )
                found.fromIndexes[index.name] = Fingerprint(result: row.flatMap { $0[0] as Data? })
            case .uniqueness(let index):
                let key = index.uniqueKey ?? []
                let present = key.map { "\($0.column) IS NOT NULL" }.joined(separator: " AND ")
                let grouped = key.map { "\($0.column) COLLATE \($0.collation)" }
                    .joined(separator: ", ")
                let twice = try Bool.fetchOne(
                    db,
                    sql:
                        "SELECT 1 FROM \(SQLIdentifier.quoted(index.table)) INDEXED BY \(SQLIdentifier.quoted(index.name)) "
                        + "WHERE \(present) GROUP BY \(grouped) HAVING count(*) > 1 LIMIT 1")
                if twice == true { found.suspects.insert(index.table) }
            }
        } catch let error as DatabaseError where isDamage(error) {
            // SQLite's own check of the table then says where.
            switch pass {
            case .table(let table, _, _): found.suspects.insert(table)
            case .index(let index), .uniqueness(let index): found.suspects.insert(index.table)
            case .quickCheck, .wholeTable:
                found.problems.append(error.message ?? "\(error.resultCode)")
            }
        }
        return found
    }
}
