import Foundation

/// Ferry's record of transfers in the application's database: one row per
/// transfer in `ferry_transfers`, and the key and digest of each row it moved
/// or copied, so that an undo finds exactly those rows and sees whether they
/// changed since: a row each in `ferry_transfer_rows`, or, for an engine that
/// packs them (as it moves them, ``TransferDialect/recording(_:key:digestOf:)``,
/// or in one statement, ``TransferDialect/packingAggregates(key:digestOf:)``),
/// many rows in each row of `ferry_transfer_packs`. Written, like ``HistoryStore``,
/// in the engine's dialect; created by the first transfer.
public struct TransferStore: Sendable {
    /// The engine's dialect.
    public let dialect: any TransferDialect

    /// Creates the store for an engine's dialect.
    public init(dialect: any TransferDialect) {
        self.dialect = dialect
    }

    /// The table of transfers.
    public static let transfersTable = "ferry_transfers"
    /// The table of the rows each transfer moved or copied.
    public static let rowsTable = "ferry_transfer_rows"
    /// The table of the rows each transfer moved, packed in the engine's format.
    public static let packsTable = "ferry_transfer_packs"
    /// How many rows a pack holds at most, where the engine packs the rows
    /// as it moves them (SQLite).
    public static let rowsPerPack = 65_536

    /// How many rows a transfer packs at most in one statement (PostgreSQL,
    /// ``TransferDialect/packingAggregates(key:digestOf:)``): the server holds
    /// the pack in memory (about 80 bytes a row with short keys), and no
    /// array may pass 1 GB (keys of 500 bytes on average would). A transfer
    /// of more rows records them one row each.
    @TaskLocal public static var rowsPerStatementPack = 2_097_152

    /// Creates the table of packs when it is missing: each row holds
    /// `row_count` of a transfer's rows (`part` numbers them from 0), in the
    /// columns of ``TransferDialect/packedRowsColumns``.
    public var createPacksTable: [HistoryStatement] {
        let columns = dialect.packedRowsColumns.map { "\n    \($0.name) \($0.type) NOT NULL," }
        return [
            HistoryStatement(
                """
                CREATE TABLE IF NOT EXISTS ferry_transfer_packs (
                    transfer \(dialect.integerType) NOT NULL,
                    part \(dialect.integerType) NOT NULL,
                    row_count \(dialect.integerType) NOT NULL,\(columns.joined())
                    PRIMARY KEY (transfer, part)
                )
                """)
        ] + dialect.packsTableSettings.map { HistoryStatement($0) }
    }

    /// The columns of a pack, as ``insertPack`` and
    /// ``TransferStatements`` name them.
    var packColumns: String {
        (["transfer", "part", "row_count"] + dialect.packedRowsColumns.map(\.name))
            .joined(separator: ", ")
    }

    /// Adds a pack: the parameters are the transfer, the part, the number
    /// of rows and the columns of ``TransferDialect/packedRowsColumns``, in
    /// that order.
    public var insertPack: String {
        let values = (1...(3 + dialect.packedRowsColumns.count)).map(dialect.placeholder)
        return "INSERT INTO ferry_transfer_packs (\(packColumns)) "
            + "VALUES (\(values.joined(separator: ", ")))"
    }

    /// Creates the tables when they are missing (the packs only for an
    /// engine that reads them).
    public var createTables: [HistoryStatement] {
        let text = dialect.textType
        let integer = dialect.integerType
        return [
            HistoryStatement(
                """
                CREATE TABLE IF NOT EXISTS ferry_transfers (
                    id \(integer) PRIMARY KEY NOT NULL,
                    name \(text) NOT NULL,
                    table_name \(text) NOT NULL,
                    owner_column \(text) NOT NULL,
                    from_owner \(text) NOT NULL,
                    to_owner \(text) NOT NULL,
                    condition \(text),
                    mode \(text) NOT NULL,
                    policy \(text) NOT NULL,
                    row_count \(integer) NOT NULL,
                    replaced \(integer) NOT NULL,
                    deleted_source \(integer) NOT NULL,
                    backup \(text),
                    done_by \(text) NOT NULL,
                    at \(dialect.timestampType) NOT NULL,
                    undone_at \(dialect.timestampType)
                )
                """),
            HistoryStatement(
                """
                CREATE TABLE IF NOT EXISTS ferry_transfer_rows (
                    transfer \(integer) NOT NULL,
                    row_key \(dialect.recordedValueType) NOT NULL,
                    digest \(dialect.recordedValueType) NOT NULL,
                    PRIMARY KEY (transfer, row_key)
                )\(dialect.recordedRowsTableOptions)
                """),
        ] + (dialect.keepsPacks ? createPacksTable : [])
    }

    /// Whether the tables exist: the rows of ``tablesQuery`` (table, column).
    public var tablesQuery: HistoryStatement {
        HistoryStatement(
            dialect.columnsQuery(of: [Self.transfersTable, Self.rowsTable, Self.packsTable]),
            columns: [.text, .text])
    }

    /// The next transfer's id.
    public var nextID: HistoryStatement {
        HistoryStatement(
            "SELECT coalesce(max(id), 0) + 1 FROM ferry_transfers", columns: [.integer])
    }

    private static let columns =
        "id, name, table_name, owner_column, from_owner, to_owner, condition, mode, policy, "
        + "row_count, replaced, deleted_source, backup, done_by, at, undone_at"
    private static let kinds: [HistoryValue.Kind] = [
        .integer, .text, .text, .text, .text, .text, .text, .text, .text, .integer, .integer,
        .integer, .text, .text, .date, .date,
    ]

    /// Records a transfer.
    public func insert(_ record: TransferRecord) -> HistoryStatement {
        let values = (1...16).map(dialect.placeholder).joined(separator: ", ")
        return HistoryStatement(
            "INSERT INTO ferry_transfers (\(Self.columns)) VALUES (\(values))",
            arguments: [
                .integer(record.id), .text(record.name), .text(record.table), .text(record.owner),
                .text(record.from), .text(record.to),
                record.condition.map(HistoryValue.text) ?? .null,
                .text(record.mode.rawValue), .text(record.policy.rawValue), .integer(record.rows),
                .integer(record.replaced), .integer(record.deletedSource ? 1 : 0),
                record.backup.map(HistoryValue.text) ?? .null, .text(record.by), .date(record.at),
                record.undoneAt.map(HistoryValue.date) ?? .null,
            ])
    }

    /// Every transfer, oldest first; or the one with `id`.
    public func select(id: Int? = nil) -> HistoryStatement {
        HistoryStatement(
            "SELECT \(Self.columns) FROM ferry_transfers"
                + (id == nil ? "" : " WHERE id = \(dialect.placeholder(1))") + " ORDER BY id",
            arguments: id.map { [.integer($0)] } ?? [], columns: Self.kinds)
    }

    /// The transfers not undone that did what `request` asks (the same
    /// definition, entities, condition and mode), newest first.
    public func sameTransfers(as request: TransferRequest) -> HistoryStatement {
        let p = dialect.placeholder
        return HistoryStatement(
            "SELECT \(Self.columns) FROM ferry_transfers WHERE name = \(p(1)) AND from_owner = \(p(2)) "
                + "AND to_owner = \(p(3)) AND coalesce(condition, '') = \(p(4)) AND mode = \(p(5)) "
                + "AND undone_at IS NULL ORDER BY id DESC",
            arguments: [
                .text(request.name), .text(request.from), .text(request.to),
                .text(request.condition ?? ""), .text(request.mode.rawValue),
            ], columns: Self.kinds)
    }

    /// How many of a transfer's rows an older Ferry recorded under the
    /// session's own settings (``TransferDialect/legacyDigestCondition(_:)``);
    /// nil when the engine has no such rows.
    public func legacyRows(of id: Int) -> HistoryStatement? {
        dialect.legacyDigestCondition("digest").map { condition in
            HistoryStatement(
                "SELECT count(*) FROM ferry_transfer_rows WHERE transfer = \(dialect.placeholder(1)) "
                    + "AND \(condition)", arguments: [.integer(id)], columns: [.integer])
        }
    }

    /// Marks a transfer undone.
    public func markUndone(id: Int, at date: Date) -> HistoryStatement {
        HistoryStatement(
            "UPDATE ferry_transfers SET undone_at = \(dialect.placeholder(1)) WHERE id = \(dialect.placeholder(2))",
            arguments: [.date(date), .integer(id)])
    }

    /// Reads the rows of ``select(id:)`` or ``sameTransfers(as:)``.
    public func records(from rows: [[HistoryValue]]) -> [TransferRecord] {
        rows.map { row in
            TransferRecord(
                id: row[0].integer ?? 0, name: row[1].text ?? "", table: row[2].text ?? "",
                owner: row[3].text ?? "", from: row[4].text ?? "", to: row[5].text ?? "",
                condition: row[6].text,
                mode: row[7].text.flatMap(TransferRequest.Mode.init(rawValue:)) ?? .move,
                policy: row[8].text.flatMap(TransferConflictPolicy.init(rawValue:)) ?? .refuse,
                rows: row[9].integer ?? 0, replaced: row[10].integer ?? 0,
                deletedSource: (row[11].integer ?? 0) != 0, backup: row[12].text,
                by: row[13].text ?? "", at: row[14].date ?? Date(timeIntervalSince1970: 0),
                undoneAt: row[15].date)
        }
    }
}
