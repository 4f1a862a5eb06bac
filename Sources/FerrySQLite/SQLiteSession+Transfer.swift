import Ferry
import Foundation
import GRDB

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
    /// (an integer stays an integer), so that it finds its row by the key's index.
    var recordedKeyType: String { "" }

    func recordedKey(_ column: String) -> String { column }

    func recordedKeyValue(_ recorded: String, as declaredType: String) -> String { recorded }
}

extension SQLiteSession: TransferringSession {
    var transferDialect: any TransferDialect { SQLiteHistoryDialect() }

    /// The digest of a row's values: 64-bit FNV-1a over each value's type
    /// and bytes, as 16 hexadecimal digits. It tells a changed row from an
    /// unchanged one; it is not meant to resist someone who forges rows.
    static let rowDigest = DatabaseFunction("ferry_row_digest", pure: true) { values in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        func mix(_ integer: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                mix(UInt8(truncatingIfNeeded: integer >> shift))
            }
        }
        for value in values {
            switch value.storage {
            case .null: mix(UInt8(0))
            case .int64(let integer):
                mix(UInt8(1))
                mix(UInt64(bitPattern: integer))
            case .double(let double):
                mix(UInt8(2))
                mix(double.bitPattern)
            case .string(let text):
                mix(UInt8(3))
                mix(UInt64(text.utf8.count))
                for byte in text.utf8 { mix(byte) }
            case .blob(let data):
                mix(UInt8(4))
                mix(UInt64(data.count))
                for byte in data { mix(byte) }
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Runs `work` on the connection with the digest function added,
    /// describing SQLite's error as a Ferry error.
    private func transferAccess<T: Sendable>(
        _ statement: HistoryStatement, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransaction { db in
            db.add(function: Self.rowDigest)
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
