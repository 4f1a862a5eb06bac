import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteSession: ImportingSession {
    func exportTables() async throws -> [ExportTable] {
        try await queue.writeWithoutTransactionHere { db in try SQLiteExportSchema.tables(db) }
    }

    /// Prepared `INSERT`s of about a thousand values each (``rowsPerInsert(columns:in:)``),
    /// and `INSERT … ON CONFLICT DO NOTHING` for the rows one at a time where
    /// a statement of many broke a constraint and for the last rows, in the
    /// session's open transaction. The table's triggers are dropped
    /// for the load and made again after it (in the same transaction): the
    /// rows hold what the triggers made when they were first written, and
    /// must not be changed again on the way in. An empty table's indexes
    /// that decide no conflict are made again after its rows, in one sort.
    func load(_ table: ExportTable, into present: ExportTable, from source: ExportRowSource)
        async throws -> TableLoad
    {
        let displayName = displayName
        let path = queue.path
        let columns = table.columns
        let sql = Self.insert(into: table, rows: 1, ignoringConflicts: true)
        return try queue.inDatabase { db in
            var load = TableLoad(rows: 0, inserted: 0, conflicts: 0, conflictKeys: [])
            // The rows of the statement that failed, when it held more than one.
            var rows: ClosedRange<Int>?
            var which: String {
                rows.map { "one of rows \($0.lowerBound)–\($0.upperBound)" } ?? "row \(load.rows)"
            }
            do {
                let triggers = try Row.fetchAll(
                    db,
                    sql:
                        "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?",
                    arguments: [table.name]
                ).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
                for trigger in triggers {
                    try db.execute(sql: "DROP TRIGGER \(SQLIdentifier.quoted(trigger.name))")
                }
                let deferred = try Self.indexesBuiltAfterLoad(of: table, in: db)
                for index in deferred {
                    try db.execute(sql: "DROP INDEX \(SQLIdentifier.quoted(index.name))")
                }
                // The statements live as long as their handles are used (GRDB finalizes them).
                let heldKeys = try Self.uniqueKeys(of: table, in: db)
                let singleStatement = try db.makeStatement(sql: sql)
                let single = singleStatement.sqliteStatement
                defer { withExtendedLifetime(singleStatement) { _ = sqlite3_reset(single) } }
                // One row at a time: each conflict counted and the first keys listed, or the
                // row's own error.
                func insertOneByOne(_ rows: ArraySlice<ExportValue>) throws {
                    var start = rows.startIndex
                    while start < rows.endIndex {
                        let row = rows[start..<start + columns.count]
                        start += columns.count
                        load.rows += 1
                        // Bound through SQLite's C API: a GRDB argument list per row cost more than the insert.
                        for (index, value) in row.enumerated() {
                            try RawStatement.bind(value, at: Int32(index + 1), to: single, in: db)
                        }
                        try RawStatement.run(single, in: db)
                        if sqlite3_changes(db.sqliteConnection) == 1 {
                            load.inserted += 1
                        } else {
                            load.conflicts += 1
                            if load.conflictKeys.count < TableLoad.keysListed {
                                load.conflictKeys.append(
                                    try Self.heldKey(of: row, among: heldKeys, in: table, db))
                            }
                        }
                    }
                }
                // Many rows at a time, by `INSERT OR ABORT`: a conflict (or any other broken
                // constraint) takes back that statement alone, and its rows go again one by one.
                // (`OR ABORT` also overrides a table's own `ON CONFLICT REPLACE` or `IGNORE`,
                // which would replace a target's row or skip a row uncounted.)
                let perStatement = Self.rowsPerInsert(columns: columns.count, in: db)
                let manyStatement =
                    perStatement > 1
                    ? try db.makeStatement(
                        sql: Self.insert(into: table, rows: perStatement, ignoringConflicts: false))
                    : nil
                let many = manyStatement?.sqliteStatement
                defer {
                    withExtendedLifetime(manyStatement) { if let many { sqlite3_reset(many) } }
                }
                func insertMany(_ values: ArraySlice<ExportValue>) throws {
                    guard let many else { return try insertOneByOne(values) }
                    for (index, value) in values.enumerated() {
                        try RawStatement.bind(value, at: Int32(index + 1), to: many, in: db)
                    }
                    let code = sqlite3_step(many)
                    sqlite3_reset(many)
                    if code == SQLITE_DONE {
                        load.rows += perStatement
                        load.inserted += perStatement
                    } else if code & 0xff == SQLITE_CONSTRAINT {
                        // SQLite took back this statement alone (a statement that may break a
                        // constraint always keeps a journal of its own): its rows one by one
                        // count each conflict, or stop at the very row that breaks another.
                        try insertOneByOne(values)
                    } else {
                        // Another failure (a full disk, an expression index's function) may have
                        // taken back more than the statement, or less: never written again.
                        rows = (load.rows + 1)...(load.rows + perStatement)
                        try RawStatement.fail(code, in: db)
                    }
                }
                // The rows are bound where the decoding thread put them; only those short of a
                // whole statement at the end of a batch wait in `pending` for the next batch.
                let statementValues = perStatement * columns.count
                var pending: [ExportValue] = []
                pending.reserveCapacity(statementValues)
                while var batch = try source.nextRows() {
                    if !pending.isEmpty {
                        let taken = batch.prefix(statementValues - pending.count)
                        pending.append(contentsOf: taken)
                        batch = batch.dropFirst(taken.count)
                        guard pending.count == statementValues else { continue }
                        try insertMany(pending[...])
                        pending.removeAll(keepingCapacity: true)
                    }
                    while batch.count >= statementValues {
                        try insertMany(batch.prefix(statementValues))
                        batch = batch.dropFirst(statementValues)
                    }
                    pending.append(contentsOf: batch)
                }
                try insertOneByOne(pending[...])
                for index in deferred { try db.execute(sql: index.sql) }
                for trigger in triggers { try db.execute(sql: trigger.sql) }
            } catch let error as DatabaseError
                where DiskSpace.isFull(error.extendedResultCode, near: path)
            {
                throw FerryError(
                    .fileSystem,
                    "Could not load \(which) of \(table.name) into \(displayName): "
                        + "\(DiskSpace.sentence(near: path)).",
                    changes: "Nothing was changed: the import was rolled back.",
                    advice: DiskSpace.advice(near: path),
                    engineMessage: error.message ?? "\(error.resultCode)")
            } catch let error as DatabaseError {
                throw FerryError(
                    .migrationFailed,
                    "Could not load \(which) of \(table.name) into \(displayName).",
                    changes: "Nothing was changed: the import was rolled back.",
                    advice:
                        "Check that the database is at the export's release and that the export came from this application.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
            return load
        }
    }

    /// How many rows one `INSERT` of a load takes: as many as make about a
    /// thousand values, within SQLite's limit on parameters. One statement
    /// per row spent most of a load starting and ending statements
    /// (opening the table, checking the schema, finding the table's last
    /// row again).
    static func rowsPerInsert(columns: Int, in db: Database) -> Int {
        let limit = Int(sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_VARIABLE_NUMBER, -1))
        return max(1, min(1024, limit) / max(1, columns))
    }

    /// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows:
    /// `ON CONFLICT DO NOTHING` when `ignoringConflicts`, else `INSERT OR
    /// ABORT`, which also overrides a table's own `ON CONFLICT` clauses.
    static func insert(into table: ExportTable, rows: Int, ignoringConflicts: Bool) -> String {
        let row =
            "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        return
            "INSERT \(ignoringConflicts ? "" : "OR ABORT ")INTO \(SQLIdentifier.quoted(table.name)) ("
            + table.columns.map { SQLIdentifier.quoted($0.name) }.joined(separator: ", ")
            + ") VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
            + (ignoringConflicts ? " ON CONFLICT DO NOTHING" : "")
    }

    /// The indexes of an empty table that the load leaves out and makes
    /// again after its last row (in the same transaction), as the sqlite3
    /// shell's dump does: one sort instead of an index insert per row. Only
    /// indexes that decide nothing: a unique index (or a table with rows
    /// already) keeps its index, which tells a conflict.
    static func indexesBuiltAfterLoad(of table: ExportTable, in db: Database) throws -> [(
        name: String, sql: String
    )] {
        let quoted = SQLIdentifier.quoted(table.name)
        guard try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM \(quoted))") == true
        else { return [] }
        let nonUnique = try Row.fetchAll(
            db, sql: "PRAGMA index_list(\(SQLLiteral.quoted(table.name)))"
        )
        .filter { ($0["unique"] as Int?) == 0 && ($0["origin"] as String?) == "c" }
        .compactMap { $0["name"] as String? }
        guard !nonUnique.isEmpty else { return [] }
        return try Row.fetchAll(
            db,
            sql:
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            arguments: [table.name]
        ).compactMap { row in
            let name: String = row["name"]
            return nonUnique.contains(name) ? (name: name, sql: row["sql"] as String) : nil
        }
    }

    func integers(_ sql: String) async throws -> [Int64] {
        let displayName = displayName
        return try queue.inDatabase { db in
            do {
                return try Int64?.fetchAll(db, sql: sql).compactMap { $0 }
            } catch let error as DatabaseError {
                throw FerryError(
                    .migrationFailed, "Could not read the keys of \(displayName).",
                    changes: "Nothing was changed: the import was rolled back.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
        }
    }

    /// SQLite stores a NaN as NULL; its texts may hold NUL.
    var importLimits: ImportLimits {
        // A NUMERIC column turns a decimal that is no 64-bit integer into a real: 15 digits.
        ImportLimits(keepsNaN: false, keepsNULInText: true, decimalDigits: 15)
    }

    /// Nothing to do: SQLite moves an AUTOINCREMENT table's sequence past
    /// every key inserted, and a plain rowid table's next key is past its largest.
    func advanceSequences(of table: ExportTable) async throws {}

    /// A unique key of the target table that the export's rows can be
    /// looked up by: the positions of its columns among the export's, and
    /// a statement that finds a row holding the same values.
    struct UniqueKey {
        let positions: [Int]
        let lookup: Statement
    }

    /// The target table's unique keys, its primary key first, then each
    /// `UNIQUE` constraint or unique index on plain columns (not a partial
    /// one, which holds only some rows), compared as the index compares
    /// (its collation). A key with a column the export does not hold is
    /// left out.
    static func uniqueKeys(of table: ExportTable, in db: Database) throws -> [UniqueKey] {
        let quoted = SQLIdentifier.quoted(table.name)
        var keys: [[(name: String, collation: String?)]] = []
        if !table.primaryKey.isEmpty { keys.append(table.primaryKey.map { ($0, nil) }) }
        for index in try Row.fetchAll(
            db, sql: "PRAGMA index_list(\(SQLLiteral.quoted(table.name)))")
        where (index["unique"] as Int?) == 1 && (index["partial"] as Int?) == 0
            && (index["origin"] as String?) != "pk"
        {
            let name: String = index["name"]
            let columns = try Row.fetchAll(
                db, sql: "PRAGMA index_xinfo(\(SQLLiteral.quoted(name)))"
            ).filter { ($0["key"] as Int?) == 1 }
            // An expression (cid -2) or the rowid (cid -1) is no column of the export's.
            guard !columns.isEmpty, columns.allSatisfy({ ($0["cid"] as Int? ?? -1) >= 0 }) else {
                continue
            }
            keys.append(columns.map { ($0["name"] as String, $0["coll"] as String?) })
        }
        return try keys.compactMap { columns in
            let positions = columns.compactMap { column in
                table.columns.firstIndex { $0.name == column.name }
            }
            guard positions.count == columns.count else { return nil }
            let condition = columns.map { column in
                SQLIdentifier.quoted(column.name) + " = ?"
                    + (column.collation.map { " COLLATE " + SQLIdentifier.quoted($0) } ?? "")
            }.joined(separator: " AND ")
            return UniqueKey(
                positions: positions,
                lookup: try db.makeStatement(
                    sql: "SELECT 1 FROM \(quoted) WHERE \(condition) LIMIT 1"))
        }
    }

    /// The key by which the database already holds a row that `values`
    /// conflicted with, as `column=value, …`: the first of `keys` whose
    /// values a row of the table holds, or the row's primary key (its first
    /// column without one) followed by what is known when none does.
    static func heldKey(
        of values: ArraySlice<ExportValue>, among keys: [UniqueKey], in table: ExportTable,
        _ db: Database
    ) throws -> String {
        let values = Array(values)
        for key in keys {
            let handle = key.lookup.sqliteStatement
            defer { sqlite3_reset(handle) }
            for (index, position) in key.positions.enumerated() {
                try RawStatement.bind(values[position], at: Int32(index + 1), to: handle, in: db)
            }
            if try RawStatement.nextRow(handle, in: db) {
                return Self.shown(values, at: key.positions, in: table)
            }
        }
        let primary = table.primaryKey.compactMap { key in
            table.columns.firstIndex { $0.name == key }
        }
        return Self.shown(values, at: primary.isEmpty ? [0] : primary, in: table)
            + " (another unique value of the row)"
    }

    /// Values of a row as `column=value, …`.
    static func shown(_ values: [ExportValue], at positions: [Int], in table: ExportTable)
        -> String
    {
        positions.filter { $0 < values.count }.map { position in
            "\(table.columns[position].name)=\(values[position].shown)"
        }.joined(separator: ", ")
    }
}
