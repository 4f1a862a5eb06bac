import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteHistoryDialect: TransferDialect {
    /// `ferry_row_digest(…)`, a function that each transfer access adds to
    /// the connection (``SQLiteSession/rowDigest``): SQLite has no digest of its own.
    func rowDigest(of columns: [String]) -> String {
        "ferry_row_digest(\(columns.joined(separator: ", ")))"
    }

    /// A bare `?`: SQLite converts a text compared with an integer column
    /// by the column's affinity.
    func parameter(_ position: Int, as declaredType: String) -> String { "?" }

    /// No type: a column without one keeps each key as the table holds it
    /// (an integer stays an integer), so that it finds its row by the key's
    /// index, and each digest as the integer it is.
    var recordedValueType: String { "" }

    var recordedRowsTableOptions: String { " WITHOUT ROWID" }

    func recordedKey(_ column: String) -> String { column }

    func recordedKeyValue(_ recorded: String, as declaredType: String) -> String { recorded }
}

extension SQLiteSession: TransferringSession {
    var transferDialect: any TransferDialect { SQLiteHistoryDialect() }

    /// Adds `ferry_row_digest(…)` to the connection: 64-bit FNV-1a over
    /// each value's type and bytes, as an integer (eight bytes a row in
    /// `ferry_transfer_rows`). It tells a changed row from an unchanged one;
    /// it is not meant to resist someone who forges rows. Through SQLite's C
    /// API, reading each value where it is: a Swift value per column cost
    /// more than the whole `UPDATE` of a million rows.
    static func addRowDigest(to db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_row_digest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, count, values in
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                @inline(__always) func mix(_ byte: UInt8) {
                    hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                }
                @inline(__always) func mix(_ word: UInt64) {
                    var word = word
                    for _ in 0..<8 {
                        mix(UInt8(truncatingIfNeeded: word))
                        word >>= 8
                    }
                }
                @inline(__always) func mix(_ bytes: UnsafeRawPointer?, _ length: Int32) {
                    mix(UInt64(length))
                    guard let bytes, length > 0 else { return }
                    for offset in 0..<Int(length) {
                        mix(bytes.load(fromByteOffset: offset, as: UInt8.self))
                    }
                }
                for index in 0..<Int(count) {
                    let value = values?[index]
                    let type = sqlite3_value_type(value)
                    mix(UInt8(truncatingIfNeeded: type))
                    switch type {
                    case SQLITE_INTEGER: mix(UInt64(bitPattern: sqlite3_value_int64(value)))
                    case SQLITE_FLOAT: mix(sqlite3_value_double(value).bitPattern)
                    case SQLITE_TEXT:
                        let text = UnsafeRawPointer(sqlite3_value_text(value))
                        mix(text, sqlite3_value_bytes(value))
                    case SQLITE_BLOB:
                        let blob = sqlite3_value_blob(value)
                        mix(blob, sqlite3_value_bytes(value))
                    default: break
                    }
                }
                sqlite3_result_int64(context, Int64(bitPattern: hash))
            }, nil, nil, nil)
    }

    /// Runs `work` on the connection with the digest function added,
    /// describing SQLite's error as a Ferry error.
    private func transferAccess<T: Sendable>(
        _ statement: HistoryStatement, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransaction { db in
            Self.addRowDigest(to: db)
            do {
                return try work(db)
            } catch let error as DatabaseError {
                throw FerryError(
                    .transferFailed, "Could not run a statement of the transfer in \(displayName).",
                    engineMessage: (error.message ?? "\(error.resultCode)")
                        + " (statement: \(statement.sql.prefix(300)))")
            }
        }
    }

    func query(_ statement: HistoryStatement) async throws -> [[HistoryValue]] {
        try await transferAccess(statement) { db in try SQLiteHistory.run(statement, in: db) }
    }

    func changeRows(_ statement: HistoryStatement) async throws -> Int {
        try await transferAccess(statement) { db in
            try SQLiteHistory.run(statement, in: db)
            return db.changesCount
        }
    }

    /// Foreign keys are off in the transaction, so `PRAGMA
    /// foreign_key_check` of `tables` before the commit.
    func inTransaction<Result: Sendable>(
        checkingReferencesOf tables: [String], _ body: () async throws -> Result
    ) async throws -> Result {
        try await inTransaction(checkingForeignKeysOf: tables, body)
    }

    /// Drops the table's triggers and makes them again afterwards, in the
    /// open transaction (SQLite cannot switch a trigger off); a rollback
    /// brings them back too.
    func withTriggersOff<Result: Sendable>(
        on table: String, _ body: () async throws -> Result
    ) async throws -> Result {
        let triggers = try await queue.writeWithoutTransaction { db in
            let triggers = try Row.fetchAll(
                db,
                sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?",
                arguments: [table]
            ).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
            for trigger in triggers {
                try db.execute(sql: "DROP TRIGGER \(SQLIdentifier.quoted(trigger.name))")
            }
            return triggers.map(\.sql)
        }
        let result = try await body()
        try await queue.writeWithoutTransaction { db in
            for sql in triggers { try db.execute(sql: sql) }
        }
        return result
    }
}
