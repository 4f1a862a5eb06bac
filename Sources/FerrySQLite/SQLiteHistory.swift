import Ferry
import Foundation
import GRDB

/// Ferry's own tables in a SQLite database, as ``HistoryStore`` writes
/// them: this runs the store's statements on a GRDB connection, inside
/// the caller's access (and transaction).
enum SQLiteHistory {
    static let store = HistoryStore(dialect: SQLiteHistoryDialect())

    /// Runs a statement of the store and reads its rows as the store typed them.
    @discardableResult
    static func run(_ statement: HistoryStatement, in db: Database) throws -> [[HistoryValue]] {
        let prepared = try db.cachedStatement(sql: statement.sql)
        // A statement without parameters binds none (building empty arguments costs microseconds).
        if !statement.arguments.isEmpty {
            try prepared.setArguments(StatementArguments(statement.arguments.map(databaseValue)))
        }
        guard !statement.columns.isEmpty else {
            try prepared.execute()
            return []
        }
        return try Row.fetchAll(prepared).map { row in values(of: row, as: statement.columns) }
    }

    /// A row's values as the store typed its columns (SQLite keeps dates as
    /// ``Timestamp`` text and booleans as integers).
    private static func values(of row: Row, as kinds: [HistoryValue.Kind]) -> [HistoryValue] {
        var values: [HistoryValue] = []
        values.reserveCapacity(kinds.count)
        // By position, in the order of the SELECT: a thousand rows by name cost a millisecond.
        for (index, kind) in kinds.enumerated() {
            let value = row[index] as DatabaseValue
            switch (value.storage, kind) {
            case (.null, _): values.append(.null)
            case (.string(let text), .date):
                values.append(Timestamp.date(from: text).map(HistoryValue.date) ?? .null)
            case (.string(let text), _): values.append(.text(text))
            case (.int64(let integer), .boolean): values.append(.boolean(integer != 0))
            case (.int64(let integer), .real): values.append(.real(Double(integer)))
            case (.int64(let integer), .text): values.append(.text(String(integer)))
            case (.int64(let integer), _): values.append(.integer(Int(integer)))
            case (.double(let double), .integer): values.append(.integer(Int(double)))
            case (.double(let double), _): values.append(.real(double))
            case (.blob(let data), _): values.append(.text(String(decoding: data, as: UTF8.self)))
            }
        }
        return values
    }

    private static func databaseValue(_ value: HistoryValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .text(let text): return text.databaseValue
        case .integer(let integer): return integer.databaseValue
        case .real(let real): return real.databaseValue
        case .date(let date): return Timestamp.string(from: date).databaseValue
        case .boolean(let boolean): return (boolean ? 1 : 0).databaseValue
        }
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
        try record(migration, with: prepareRecording(in: db))
    }

    /// Prepares Ferry's tables and the history's `INSERT`, for ``record(_:with:)``.
    static func prepareRecording(in db: Database) throws -> Statement {
        try prepareTables(in: db)
        return try db.makeStatement(sql: store.insertMigration)
    }

    /// Writes a history row with the statement of ``prepareRecording(in:)``.
    static func record(_ migration: AppliedMigration, with insert: Statement) throws {
        try insert.execute(
            arguments: StatementArguments(store.arguments(of: migration).map(databaseValue)))
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
