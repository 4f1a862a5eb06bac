import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteHistoryDialect: TransferDialect {
    var conditionQuoting: TransferCondition.Quoting { .sqlite }

    /// `ferry_row_digest(…)`, a function that each transfer access adds to
    /// the connection (``SQLiteTransferRecorder``): SQLite has no digest of its own.
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

    /// `ferry_record_row(value, key, column, …)`: ``SQLiteTransferRecorder``.
    func recording(_ value: String, key: String, digestOf columns: [String]) -> String? {
        "ferry_record_row(\(([value, key] + columns).joined(separator: ", ")))"
    }

    func unpackedRows(ofTransfer transfer: String) -> String? {
        // json_extract rather than ->>, which SQLite has only since 3.38.
        "SELECT json_extract(e.value, '$[0]') AS row_key, json_extract(e.value, '$[1]') AS digest "
            + "FROM ferry_transfer_packs AS p, json_each(ferry_unpacked_rows(p.rows)) AS e "
            + "WHERE p.transfer = \(transfer)"
    }

    /// `ferry_packed_row_digest(…)`: ``SQLiteTransferRecorder/packedDigest(_:count:)``.
    func packedRowDigest(of columns: [String]) -> String {
        "ferry_packed_row_digest(\(columns.joined(separator: ", ")))"
    }

    /// One blob: ``SQLiteTransferRecorder``'s format.
    var packedRowsColumns: [(name: String, type: String)] { [("rows", "BLOB")] }

    var packsTableSettings: [String] { [] }

    /// None: SQLite packs the rows as the `UPDATE` moves them
    /// (``recording(_:key:digestOf:)``).
    func packingAggregates(key: String, digestOf columns: [String]) -> [String]? { nil }
}

extension SQLiteSession: TransferringSession {
    var transferDialect: any TransferDialect { SQLiteHistoryDialect() }

    /// Runs `work` on the connection with Ferry's transfer functions added
    /// (``SQLiteTransferRecorder/addFunctions(to:)``), describing SQLite's
    /// error as a Ferry error.
    private func transferAccess<T: Sendable>(
        _ statement: HistoryStatement, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransactionHere { db in
            SQLiteTransferRecorder.addFunctions(to: db)
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

    func indexedColumns(of table: String) async throws -> [[String]] {
        let statement = HistoryStatement(
            "SELECT l.name, i.name FROM pragma_index_list(?) AS l, pragma_index_info(l.name) AS i "
                + "WHERE l.partial = 0 ORDER BY l.name, i.seqno", arguments: [.text(table)],
            columns: [.text, .text])
        return TransferDefinition.indexColumns(fromRows: try await query(statement))
    }

    func changeRows(_ statement: HistoryStatement) async throws -> Int {
        try await transferAccess(statement) { db in
            try SQLiteHistory.run(statement, in: db)
            return db.changesCount
        }
    }

    /// One `UPDATE` that records each row as it moves it
    /// (``SQLiteTransferRecorder``), then the packs of what it recorded; or,
    /// when a key cannot be packed (a blob), the record's own pass then the
    /// `UPDATE`, after SQLite took back the statement that failed.
    func move(_ move: TransferMove) async throws -> (moved: Int, recorded: Int) {
        if let statement = move.recordingMove {
            let insertPack = TransferStore(dialect: transferDialect).insertPack
            let packed: (moved: Int, recorded: Int)? = try await transferAccess(statement) { db in
                let recorder = SQLiteTransferRecorder()
                recorder.install(on: db)
                defer { SQLiteTransferRecorder.remove(from: db) }
                do {
                    try SQLiteHistory.run(statement, in: db)
                } catch  where recorder.metUnpackableKey {
                    // SQLite took the statement back (an UPDATE of many rows keeps a statement
                    // journal; one row fails before it is written): the transaction goes on.
                    return nil
                }
                let moved = db.changesCount
                for (part, pack) in recorder.finish().enumerated() {
                    try db.execute(
                        sql: insertPack,
                        arguments: [move.transfer, part, pack.rows, Data(pack.bytes)])
                }
                return (moved, recorder.count)
            }
            if let packed { return packed }
        }
        return try await recordThenMove(move)
    }

    /// Foreign keys are off in the transaction, so `PRAGMA
    /// foreign_key_check` of `tables` before the commit.
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, checkingReferencesOf tables: [String],
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await inTransaction(for: purpose, checkingForeignKeysOf: tables, body)
    }

    /// Drops the table's triggers and makes them again afterwards, in the
    /// open transaction (SQLite cannot switch a trigger off); a rollback
    /// brings them back too.
    func withTriggersOff<Result: Sendable>(
        on table: String, _ body: () async throws -> Result
    ) async throws -> Result {
        let triggers = try await queue.writeWithoutTransactionHere { db in
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
        try await queue.writeWithoutTransactionHere { db in
            for sql in triggers { try db.execute(sql: sql) }
        }
        return result
    }
}
