import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteEngine: ExportingEngine {
    /// One read transaction on a read-only connection, begun before the
    /// first read and ended after the last: every table is read as it was
    /// at one moment, while the application keeps writing (in WAL mode; in
    /// rollback-journal mode its writers wait for the export).
    public func withExportSnapshot<Result: Sendable>(
        _ body: (any ExportSnapshot) async throws -> Result
    ) async throws -> Result {
        guard try databaseExists() else {
            throw FerryError(
                .databaseUnavailable, "The SQLite database \(path) does not exist.",
                changes: "Nothing was changed.", advice: "Check \(.database).")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN DEFERRED")
                // The snapshot starts at the first read.
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
            }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
        defer { try? queue.close() }
        let snapshot = SQLiteExportSnapshot(queue: queue, displayName: path)
        do {
            let result = try await body(snapshot)
            try? await queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            return result
        } catch {
            try? await queue.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            throw error
        }
    }
}

/// The export's read transaction on a SQLite database.
struct SQLiteExportSnapshot: ExportSnapshot {
    let queue: DatabaseQueue
    let displayName: String

    func readState() async throws -> DatabaseState {
        try await access("read the history") { db in try SQLiteHistory.readState(db) }
    }

    func engineVersion() async throws -> String {
        try await access("read the version") { db in
            try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "unknown"
        }
    }

    func exportTables() async throws -> [ExportTable] {
        try await access("read the tables") { db in try SQLiteExportSchema.tables(db) }
    }

    func schemaSQL() async throws -> String {
        try await access("read the schema") { db in try SQLiteExportSchema.schemaSQL(db) }
    }

    func rowCount(of table: ExportTable, where condition: String?) async throws -> Int? {
        let sql =
            "SELECT count(*) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
        return try await access("count the rows of \(table.name)") { db in
            try Int.fetchOne(db, sql: sql)
        }
    }

    func readRows(of table: ExportTable, where condition: String?, into rows: ExportRowBuffer)
        async throws
    {
        let columns = table.columns.map { SQLIdentifier.quoted($0.name) }.joined(separator: ", ")
        let sql =
            "SELECT \(columns) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
        let displayName = displayName
        // The rows are handed over inside one access to the connection: a cursor, never the table.
        // A synchronous access, so that `rows` (which hands the rows on) is used on this thread only.
        try queue.inDatabase { db in
            do {
                let statement = try db.makeStatement(sql: sql)
                let handle = statement.sqliteStatement
                let count = Int32(table.columns.count)
                var rows = rows
                while try RawStatement.nextRow(handle, in: db) {
                    for index in 0..<count { SQLiteColumnReader.read(handle, index, into: &rows) }
                    try rows.endRow()
                }
                sqlite3_reset(handle)
            } catch let error as DatabaseError {
                throw FerryError(
                    .databaseUnavailable, "Could not read \(table.name) in \(displayName).",
                    changes: "Nothing was changed; the unfinished export has no manifest.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
        }
    }

    private func access<T: Sendable>(
        _ what: String, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransaction { db in
            do {
                return try work(db)
            } catch let error as DatabaseError {
                throw FerryError(
                    .databaseUnavailable, "Could not \(what) in \(displayName).",
                    changes: "Nothing was changed.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
        }
    }
}
