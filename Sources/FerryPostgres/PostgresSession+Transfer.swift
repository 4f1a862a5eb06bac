import Ferry
import Foundation
import PostgresNIO

extension PostgresHistoryDialect: TransferDialect {
    var conditionQuoting: TransferCondition.Quoting { .postgres }

    /// The server's 64-bit hash of the row's text (`hashtextextended` of
    /// `ROW(…)::text`), as text; the text read under fixed settings
    /// (``valueTextSettings(legacy:)``).
    func rowDigest(of columns: [String]) -> String {
        "CAST(\(packedDigest(of: columns)) AS TEXT)"
    }

    /// An older Ferry's digest is the MD5 of the row's text, 32 characters
    /// (the hash's text has at most 20).
    func recordedRowDigest(of columns: [String], recorded: String) -> String {
        "(CASE WHEN length(\(recorded)) = 32 THEN md5(ROW(\(columns.joined(separator: ", ")))::text) "
            + "ELSE \(rowDigest(of: columns)) END)"
    }

    func legacyDigestCondition(_ digest: String) -> String? { "length(\(digest)) = 32" }

    /// The settings of an export's exact text (UTC, ISO dates and intervals,
    /// shortest exact floats, hex bytes) and money in the C locale; for
    /// `legacy`, each back to the session's default (the server's, the
    /// database's or the role's), under which an older Ferry recorded rows.
    func valueTextSettings(legacy: Bool) -> [String] {
        let settings = PostgresExportSchema.exactTextValues + [("lc_monetary", "'C'")]
        return settings.map { "SET \($0.name) " + (legacy ? "TO DEFAULT" : "= \($0.value)") }
    }

    /// `CAST($n AS type)`: a key bound as text compared with a typed column.
    func parameter(_ position: Int, as declaredType: String) -> String {
        declaredType.isEmpty ? "$\(position)" : "CAST($\(position) AS \(declaredType))"
    }

    var recordedValueType: String { "text" }

    var recordedRowsTableOptions: String { "" }

    func recordedKey(_ column: String) -> String { "CAST(\(column) AS TEXT)" }

    func recordedKeyValue(_ recorded: String, as declaredType: String) -> String {
        declaredType.isEmpty ? recorded : "CAST(\(recorded) AS \(declaredType))"
    }

    /// None: the server packs the rows in a pass of its own before the
    /// `UPDATE` (``packingAggregates(key:digestOf:)``); a function of
    /// Ferry's cannot run inside the server.
    func recording(_ value: String, key: String, digestOf columns: [String]) -> String? { nil }

    /// The two arrays of the transfer's packs, side by side; each digest as
    /// text, as `ferry_transfer_rows` holds an older Ferry's.
    func unpackedRows(ofTransfer transfer: String) -> String? {
        "SELECT u.row_key, CAST(u.digest AS TEXT) AS digest FROM ferry_transfer_packs AS p "
            + "CROSS JOIN LATERAL unnest(p.row_keys, p.digests) AS u(row_key, digest) "
            + "WHERE p.transfer = \(transfer)"
    }

    /// ``rowDigest(of:)``: a pack holds the same digest.
    func packedRowDigest(of columns: [String]) -> String { rowDigest(of: columns) }

    private func packedDigest(of columns: [String]) -> String {
        "hashtextextended(ROW(\(columns.joined(separator: ", ")))::text, 0)"
    }

    /// Each key as text, and each digest.
    var packedRowsColumns: [(name: String, type: String)] {
        [("row_keys", "text[]"), ("digests", "bigint[]")]
    }

    /// Stored as they are: compressing a pack cost three times what
    /// writing it does. Changed only once, so that a transfer takes no
    /// stronger lock on the table than writing to it.
    var packsTableSettings: [String] {
        [
            """
            DO $ferry$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_attribute
                            WHERE attrelid = 'ferry_transfer_packs'::regclass
                              AND attname IN ('row_keys', 'digests') AND attstorage <> 'e') THEN
                    ALTER TABLE ferry_transfer_packs ALTER COLUMN row_keys SET STORAGE EXTERNAL,
                        ALTER COLUMN digests SET STORAGE EXTERNAL;
                END IF;
            END
            $ferry$
            """
        ]
    }

    /// `array_agg` of the keys as text and of the digests, in the same order.
    func packingAggregates(key: String, digestOf columns: [String]) -> [String]? {
        ["array_agg(\(recordedKey(key)))", "array_agg(\(packedDigest(of: columns)))"]
    }
}

extension PostgresSession: TransferringSession {
    var transferDialect: any TransferDialect { PostgresHistoryDialect() }

    /// Runs a statement of the transfer, describing the server's error as a Ferry error.
    private func transferAccess<T>(
        _ statement: HistoryStatement, _ work: () async throws -> T
    ) async throws -> T {
        do {
            return try await working(work)
        } catch let error as FerryError {
            throw error
        } catch {
            if let lost = loss(error, while: "run a statement of the transfer") { throw lost }
            let said = PostgresServerMessage(error)
            throw FerryError(
                .transferFailed, "Could not run a statement of the transfer in \(displayName).",
                engineMessage: (said?.text ?? "\(error)")
                    + " (statement: \(statement.sql.prefix(300)))",
                engineCode: said?.sqlState)
        }
    }

    func query(_ statement: HistoryStatement) async throws -> [[HistoryValue]] {
        try await transferAccess(statement) {
            try await PostgresHistory.run(statement, on: connection)
        }
    }

    /// The key columns of each index (not its `INCLUDE` columns; not a
    /// partial index), from the catalog.
    func indexedColumns(of table: String) async throws -> [[String]] {
        let statement = HistoryStatement(
            """
            SELECT c.relname::text, a.attname::text
              FROM pg_index AS x
              JOIN pg_class AS c ON c.oid = x.indexrelid
             CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
              LEFT JOIN pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             WHERE x.indrelid = to_regclass(quote_ident($1)) AND k.position <= x.indnkeyatts
               AND x.indpred IS NULL
             ORDER BY c.relname, k.position
            """, arguments: [.text(table)], columns: [.text, .text])
        return TransferDefinition.indexColumns(fromRows: try await query(statement))
    }

    /// The statement's changed rows, counted by the server: `WITH changed
    /// AS (… RETURNING 1) SELECT count(*)`.
    func changeRows(_ statement: HistoryStatement) async throws -> Int {
        let counted = HistoryStatement(
            "WITH changed AS (\(statement.sql) RETURNING 1) SELECT count(*) FROM changed",
            arguments: statement.arguments, columns: [.integer])
        return try await transferAccess(statement) {
            try await PostgresHistory.run(counted, on: connection).first?.first?.integer ?? 0
        }
    }

    /// The server checks every foreign key as each statement runs (a
    /// transfer disables only the table's own triggers), and the deferred
    /// ones before the commit: nothing is left to read again.
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, checkingReferencesOf tables: [String],
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await inTransaction(for: purpose, body)
    }

    /// `ALTER TABLE … DISABLE TRIGGER USER` for the body, in the open
    /// transaction (which a rollback undoes too).
    func withTriggersOff<Result: Sendable>(
        on table: String, _ body: () async throws -> Result
    ) async throws -> Result {
        let name = SQLIdentifier.quoted(table)
        _ = try await query(HistoryStatement("ALTER TABLE \(name) DISABLE TRIGGER USER"))
        let result = try await body()
        _ = try await query(HistoryStatement("ALTER TABLE \(name) ENABLE TRIGGER USER"))
        return result
    }
}
