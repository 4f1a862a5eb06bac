import Ferry
import Foundation
import GRDB

extension SQLiteSession: ImportingSession {
    func exportTables() async throws -> [ExportTable] {
        try await queue.writeWithoutTransaction { db in try SQLiteExportSchema.tables(db) }
    }

    /// One prepared `INSERT … ON CONFLICT DO NOTHING`, reused for every row,
    /// in the session's open transaction. The table's triggers are dropped
    /// for the load and made again after it (in the same transaction): the
    /// rows hold what the triggers made when they were first written, and
    /// must not be changed again on the way in.
    func load(_ table: ExportTable, from source: ExportRowSource) async throws -> TableLoad {
        let displayName = displayName
        let columns = table.columns.map { SQLIdentifier.quoted($0.name) }
        let sql =
            "INSERT INTO \(SQLIdentifier.quoted(table.name)) (\(columns.joined(separator: ", "))) "
            + "VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", "))) "
            + "ON CONFLICT DO NOTHING"
        let keyPositions = table.primaryKey.compactMap { key in
            table.columns.firstIndex { $0.name == key }
        }
        return try queue.inDatabase { db in
            var load = TableLoad(rows: 0, inserted: 0, conflicts: 0, conflictKeys: [])
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
                let statement = try db.makeStatement(sql: sql)
                while let values = try source.next() {
                    load.rows += 1
                    statement.setUncheckedArguments(
                        StatementArguments(values.map(\.databaseValue)))
                    try statement.execute()
                    if db.changesCount == 1 {
                        load.inserted += 1
                    } else {
                        load.conflicts += 1
                        if load.conflictKeys.count < TableLoad.keysListed {
                            load.conflictKeys.append(
                                Self.key(of: values, at: keyPositions, in: table))
                        }
                    }
                }
                for trigger in triggers { try db.execute(sql: trigger.sql) }
            } catch let error as DatabaseError {
                throw FerryError(
                    .migrationFailed,
                    "Could not load row \(load.rows) of \(table.name) into \(displayName).",
                    changes: "Nothing was changed: the import was rolled back.",
                    advice:
                        "Check that the database is at the export's release and that the export came from this application.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
            return load
        }
    }

    /// Nothing to do: SQLite moves an AUTOINCREMENT table's sequence past
    /// every key inserted, and a plain rowid table's next key is past its largest.
    func advanceSequences(of table: ExportTable) async throws {}

    /// A row's key as `column=value, …` (its first column when it has no primary key).
    static func key(of values: [ExportValue], at positions: [Int], in table: ExportTable)
        -> String
    {
        let shown = positions.isEmpty ? [0] : positions
        return shown.filter { $0 < values.count }.map { position in
            "\(table.columns[position].name)=\(values[position].shown)"
        }.joined(separator: ", ")
    }
}

extension ExportValue {
    /// The value as GRDB binds it: a boolean as 0 or 1, as SQLite keeps it.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let value): return value.databaseValue
        case .real(let value): return value.databaseValue
        case .text(let value): return value.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        case .boolean(let flag): return (flag ? 1 : 0).databaseValue
        }
    }
}
