import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Ferry's own tables in a SQLite database, as ``HistoryStore`` writes
/// them: this runs the store's statements on a GRDB connection, inside
/// the caller's access (and transaction).
enum SQLiteHistory {
    static let store = HistoryStore(dialect: SQLiteHistoryDialect())

    /// Runs a statement of the store and reads its rows as the store typed them.
    ///
    /// Bound, stepped and read through SQLite's C API: `status` reads a
    /// row per migration, an upgrade writes one, and GRDB's argument lists
    /// and rows cost more than SQLite's work.
    @discardableResult
    static func run(_ statement: HistoryStatement, in db: Database) throws -> [[HistoryValue]] {
        let prepared = try db.cachedStatement(sql: statement.sql)
        let handle = prepared.sqliteStatement
        // The cached statement is this function's alone: left reset, with no values bound.
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (index, value) in statement.arguments.enumerated() {
            try bind(value, at: Int32(index + 1), to: handle, in: db)
        }
        var rows: [[HistoryValue]] = []
        while try RawStatement.nextRow(handle, in: db) {
            if !statement.columns.isEmpty { rows.append(values(at: handle, as: statement.columns)) }
        }
        return rows
    }

    /// The current row's values as the store typed its columns (SQLite keeps
    /// dates as ``Timestamp`` text and booleans as integers), by position,
    /// in the order of the SELECT.
    private static func values(at handle: OpaquePointer, as kinds: [HistoryValue.Kind])
        -> [HistoryValue]
    {
        var values: [HistoryValue] = []
        values.reserveCapacity(kinds.count)
        for (index, kind) in kinds.enumerated() {
            let column = Int32(index)
            switch (sqlite3_column_type(handle, column), kind) {
            case (SQLITE_INTEGER, .boolean):
                values.append(.boolean(sqlite3_column_int64(handle, column) != 0))
            case (SQLITE_INTEGER, .real):
                values.append(.real(Double(sqlite3_column_int64(handle, column))))
            case (SQLITE_INTEGER, .text):
                values.append(.text(String(sqlite3_column_int64(handle, column))))
            case (SQLITE_INTEGER, _):
                values.append(.integer(Int(sqlite3_column_int64(handle, column))))
            case (SQLITE_FLOAT, .integer):
                // Ferry writes integers here: a real was written by hand, and one out of range
                // reads as nothing.
                let real = sqlite3_column_double(handle, column).rounded(.towardZero)
                values.append(Int(exactly: real).map(HistoryValue.integer) ?? .null)
            case (SQLITE_FLOAT, _): values.append(.real(sqlite3_column_double(handle, column)))
            case (SQLITE_TEXT, .date):
                values.append(
                    Timestamp.date(from: text(at: column, of: handle)).map(HistoryValue.date)
                        ?? .null)
            case (SQLITE_TEXT, _), (SQLITE_BLOB, _):
                values.append(.text(text(at: column, of: handle)))
            default: values.append(.null)
            }
        }
        return values
    }

    /// A text or blob column's bytes as text.
    private static func text(at column: Int32, of handle: OpaquePointer) -> String {
        // The bytes are read before their count: SQLite's documented order.
        guard let bytes = sqlite3_column_blob(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(
            decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    static func readState(_ db: Database) throws -> DatabaseState {
        let tables = store.tables(from: try run(store.tablesQuery, in: db))
        let rows = try store.stateQueries(for: tables).map { try run($0, in: db) }
        return store.state(tables: tables, rows: rows)
    }

    /// Creates Ferry's tables when they are missing, and adds the columns
    /// of this release to those of an older one.
    static func prepareTables(in db: Database) throws {
        for statement in store.createTables { try run(statement, in: db) }
        let tables = store.tables(from: try run(store.tablesQuery, in: db))
        for statement in store.ownTablesMigration(existing: tables) { try run(statement, in: db) }
    }

    static func recordEvent(_ event: HistoryEvent, in db: Database) throws {
        try run(store.createEvents, in: db)
        try run(store.record(event), in: db)
    }

    static func record(_ migration: AppliedMigration, in db: Database) throws {
        try record(migration, with: prepareRecording(in: db), in: db)
    }

    /// Prepares Ferry's tables and the history's `INSERT`, for ``record(_:with:)``.
    static func prepareRecording(in db: Database) throws -> Statement {
        try prepareTables(in: db)
        return try db.makeStatement(sql: store.insertMigration)
    }

    /// Writes a history row with the statement of ``prepareRecording(in:)``.
    ///
    /// Bound through SQLite's C API: an upgrade writes a row per migration,
    /// and GRDB's argument list cost more than the insert.
    static func record(_ migration: AppliedMigration, with insert: Statement, in db: Database)
        throws
    {
        let handle = insert.sqliteStatement
        for (index, value) in store.arguments(of: migration).enumerated() {
            try bind(value, at: Int32(index + 1), to: handle, in: db)
        }
        try RawStatement.run(handle, in: db)
    }

    /// Binds a value of the store to a parameter of a prepared statement,
    /// as SQLite keeps it (a date as ``Timestamp`` text).
    ///
    /// - Throws: `DatabaseError` when SQLite refuses it.
    private static func bind(
        _ value: HistoryValue, at index: Int32, to handle: OpaquePointer, in db: Database
    ) throws {
        let bound: ExportValue
        switch value {
        case .null: bound = .null
        case .integer(let integer): bound = .integer(Int64(integer))
        case .real(let real): bound = .real(real)
        case .boolean(let flag): bound = .boolean(flag)
        case .date(let date): bound = .text(Timestamp.string(from: date))
        case .text(let text): bound = .text(text)
        }
        try RawStatement.bind(bound, at: index, to: handle, in: db)
    }

    static func updateHistory(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance,
        in db: Database
    ) throws {
        try prepareTables(in: db)
        try run(
            store.accept(id: id, checksum: checksum, note: note, acceptance: acceptance), in: db)
    }

    static func deleteHistory(id: String, in db: Database) throws {
        try run(store.delete(id: id), in: db)
    }

    /// Records the release, with the fingerprint of the history as it is
    /// now (see ``HistoryFingerprint``), in the transaction that wrote the
    /// history.
    static func stamp(_ release: Release, at date: Date, in db: Database) throws {
        try prepareTables(in: db)
        let history = try run(store.fingerprintSourceQuery, in: db)
        try run(store.stamp(release, at: date, history: history), in: db)
    }
}

/// SQLite's spelling of Ferry's tables.
struct SQLiteHistoryDialect: HistoryDialect {
    func placeholder(_ position: Int) -> String { "?" }
    var textType: String { "TEXT" }
    var integerType: String { "INTEGER" }
    var realType: String { "REAL" }
    var timestampType: String { "TEXT" }
    var numberedKey: String { "INTEGER PRIMARY KEY" }

    func columnsQuery(of tables: [String]) -> String {
        let names = tables.map { "'\($0)'" }.joined(separator: ", ")
        return """
            SELECT m.name, c.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c
            WHERE m.type = 'table' AND m.name IN (\(names))
            """
    }

    var applicationTablesQuery: String {
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    }
}
