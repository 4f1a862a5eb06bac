/// The statements of one transfer on the application's tables, written in
/// the engine's ``TransferDialect``: the selection of the rows (the source's,
/// the condition, and under policy skip those without a conflict), the
/// preview's queries, the move or copy, the record of each row's key and
/// digest, and the undo.
///
/// Every row moves in one statement, never through the application's logic;
/// the rows are named as `s` (source side) and `d` (the target's).
struct TransferStatements {
    let dialect: any TransferDialect
    let definition: TransferDefinition
    let request: TransferRequest
    /// The table whose rows move.
    let table: ExportTable
    /// The entity table.
    let entity: ExportTable
    /// Whether `ferry_transfer_packs` exists: where an older Ferry recorded
    /// the transfers, only `ferry_transfer_rows` does.
    var packsExist = true

    /// The parameters of one statement, numbered in the order they are written.
    private final class Binder {
        let dialect: any TransferDialect
        var arguments: [HistoryValue] = []

        init(_ dialect: any TransferDialect) { self.dialect = dialect }

        func callAsFunction(_ value: HistoryValue, as declaredType: String) -> String {
            arguments.append(value)
            return dialect.parameter(arguments.count, as: declaredType)
        }
    }

    private func q(_ name: String) -> String { SQLIdentifier.quoted(name) }
    private func type(of column: String, in table: ExportTable) -> String {
        table.columns.first { $0.name == column }?.declaredType ?? ""
    }

    private var tableName: String { q(table.name) }
    private var owner: String { q(definition.owner) }
    private var ownerType: String { type(of: definition.owner, in: table) }
    /// The table's key (one column; checked by ``Ferry``).
    private var key: String { q(table.primaryKey[0]) }
    private var keyType: String { type(of: table.primaryKey[0], in: table) }
    /// The columns of the row's digest: every column but the owner, which the transfer changes.
    private var digestColumns: [String] {
        table.columns.map(\.name).filter { $0 != definition.owner }.map { "s.\(q($0))" }
    }
    private var orderColumn: String { q(definition.order ?? table.primaryKey[0]) }
    /// The condition, checked to stay in its parenthesis (``TransferCondition``), which closes
    /// on a line of its own: a `--` comment at its end does not hide the rest of the statement.
    private var condition: String {
        request.condition.map { " AND (\($0)\n)" } ?? ""
    }

    /// The unique columns compared between a source and a target row.
    private var comparedColumns: [String] {
        definition.unique.filter { $0 != definition.owner }
    }

    /// Whether any row can conflict (``TransferDefinition/unique`` is declared).
    var detectsConflicts: Bool { !definition.unique.isEmpty }

    /// A target row `d` with the same unique values as the source row `s`.
    private func conflict(_ bind: Binder) -> String {
        let pairs = comparedColumns.map { " AND d.\(q($0)) = s.\(q($0))" }.joined()
        return "EXISTS (SELECT 1 FROM \(tableName) AS d WHERE d.\(owner) = "
            + "\(bind(.text(request.to), as: ownerType))\(pairs))"
    }

    /// The source's rows that match the condition.
    private func matching(_ bind: Binder) -> String {
        "s.\(owner) = \(bind(.text(request.from), as: ownerType))\(condition)"
    }

    /// The rows that move: those matching, less the conflicting ones under policy skip.
    private func moving(_ bind: Binder) -> String {
        let base = matching(bind)
        guard request.policy == .skip, detectsConflicts else { return base }
        return base + " AND NOT " + conflict(bind)
    }

    private func statement(
        _ bind: Binder, _ sql: String, columns: [HistoryValue.Kind] = []
    ) -> HistoryStatement {
        HistoryStatement(sql, arguments: bind.arguments, columns: columns)
    }

    // MARK: Preview

    /// How many rows of the entity table have this key.
    func entityCount(_ id: String) -> HistoryStatement {
        let bind = Binder(dialect)
        let keyColumn = definition.entityKey
        return statement(
            bind,
            "SELECT count(*) FROM \(q(entity.name)) AS e WHERE e.\(q(keyColumn)) = "
                + bind(.text(id), as: type(of: keyColumn, in: entity)), columns: [.integer])
    }

    /// The matching rows, the conflicting ones among them, and the span of their order.
    var summary: HistoryStatement {
        let bind = Binder(dialect)
        let conflicts =
            detectsConflicts
            ? "coalesce(sum(CASE WHEN \(conflict(bind)) THEN 1 ELSE 0 END), 0)" : "0"
        let order = "s.\(orderColumn)"
        return statement(
            bind,
            "SELECT count(*), \(conflicts), CAST(min(\(order)) AS TEXT), CAST(max(\(order)) AS TEXT) "
                + "FROM \(tableName) AS s WHERE \(matching(bind))",
            columns: [.integer, .integer, .text, .text])
    }

    /// The rows that would move.
    var movingCount: HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind, "SELECT count(*) FROM \(tableName) AS s WHERE \(moving(bind))",
            columns: [.integer])
    }

    /// The target's rows that policy replace would delete.
    var replacedCount: HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind,
            "SELECT count(*) FROM \(tableName) AS d WHERE \(replacedRows(bind))",
            columns: [.integer])
    }

    /// The target's rows `d` that conflict with a matching source row.
    private func replacedRows(_ bind: Binder) -> String {
        let pairs = comparedColumns.map { " AND s.\(q($0)) = d.\(q($0))" }.joined()
        let target = "d.\(owner) = \(bind(.text(request.to), as: ownerType))"
        return target + " AND EXISTS (SELECT 1 FROM \(tableName) AS s WHERE "
            + matching(bind) + pairs + ")"
    }

    /// The first (or last) few matching rows, every column as text.
    ///
    /// The rows are chosen by their keys alone and only those few are read
    /// whole: sorting every matching row with all its columns (the engine
    /// reading each from the table) cost the preview of a million rows half
    /// of what the move itself costs.
    func rows(last: Bool, limit: Int) -> HistoryStatement {
        let bind = Binder(dialect)
        let columns = table.columns.map { "CAST(s.\(q($0.name)) AS TEXT)" }
        let direction = last ? " DESC" : ""
        let order = "ORDER BY s.\(orderColumn)\(direction), s.\(key)\(direction)"
        return statement(
            bind,
            "SELECT \(columns.joined(separator: ", ")) FROM \(tableName) AS s WHERE s.\(key) IN "
                + "(SELECT s.\(key) FROM \(tableName) AS s WHERE \(matching(bind)) \(order) "
                + "LIMIT \(limit)) \(order)",
            columns: Array(repeating: .text, count: columns.count))
    }

    /// The target's rows in a span of the order (the matching rows', as
    /// ``summary`` read it).
    func targetInSpan(from first: String, to last: String) -> HistoryStatement {
        let bind = Binder(dialect)
        let orderType = type(of: definition.order ?? table.primaryKey[0], in: table)
        let target = "d.\(owner) = \(bind(.text(request.to), as: ownerType))"
        let lower = "d.\(orderColumn) >= \(bind(.text(first), as: orderType))"
        let upper = "d.\(orderColumn) <= \(bind(.text(last), as: orderType))"
        return statement(
            bind,
            "SELECT count(*) FROM \(tableName) AS d WHERE \(target) AND \(lower) AND \(upper)",
            columns: [.integer])
    }

    /// The rows of `other` whose `column` references the source entity.
    func references(in other: ExportTable, column: String) -> HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind,
            "SELECT count(*) FROM \(q(other.name)) AS x WHERE x.\(q(column)) = "
                + bind(.text(request.from), as: type(of: column, in: other)),
            columns: [.integer])
    }

    // MARK: The transfer

    /// After a move or copy (in its transaction): the recorded rows that
    /// have a twin by the unique columns among the target's other rows.
    func conflictsAfterMove(transfer id: Int) -> HistoryStatement {
        let bind = Binder(dialect)
        let pairs = comparedColumns.map { " AND d.\(q($0)) = s.\(q($0))" }.joined()
        return statement(
            bind,
            "SELECT count(*) FROM \(tableName) AS s WHERE \(recordedKeys(bind, transfer: id)) "
                + "AND EXISTS (SELECT 1 FROM \(tableName) AS d WHERE d.\(owner) = s.\(owner) "
                + "AND d.\(key) <> s.\(key)\(pairs) AND NOT \(recordedKeys(bind, transfer: id, alias: "d")))",
            columns: [.integer])
    }

    /// Deletes the target's conflicting rows (policy replace).
    var deleteReplaced: HistoryStatement {
        let bind = Binder(dialect)
        return statement(bind, "DELETE FROM \(tableName) AS d WHERE \(replacedRows(bind))")
    }

    /// Moves the rows and records each (``TransferringSession/move(_:)``);
    /// `rows` is how many the preview showed.
    func moving(transfer id: Int, rows: Int) -> TransferMove {
        TransferMove(
            transfer: id,
            record: recording(transfer: id, rows: rows) { bind in
                "FROM \(tableName) AS s WHERE \(moving(bind))"
            }, move: move, recordingMove: recordingMove)
    }

    /// Moves the rows, recording each as the engine updates it; nil when
    /// the engine cannot.
    private var recordingMove: HistoryStatement? {
        let bind = Binder(dialect)
        let target = bind(.text(request.to), as: ownerType)
        guard
            let value = dialect.recording(target, key: "s.\(key)", digestOf: digestColumns)
        else { return nil }
        return statement(
            bind, "UPDATE \(tableName) AS s SET \(owner) = \(value) WHERE \(moving(bind))")
    }

    /// Records the key and digest of each row that `source` (the `FROM`
    /// and `WHERE` of a query, the row named `s`) reads: in one pack where
    /// the engine packs in a statement and the rows fit one, else one row
    /// of `ferry_transfer_rows` each.
    private func recording(
        transfer id: Int, rows: Int, from source: (Binder) -> String
    ) -> TransferRecording {
        let bind = Binder(dialect)
        let transfer = bind(.integer(id), as: dialect.integerType)
        if rows <= TransferStore.rowsPerStatementPack,
            let aggregates = dialect.packingAggregates(key: "s.\(key)", digestOf: digestColumns)
        {
            let part = bind(.integer(0), as: dialect.integerType)
            let insert =
                "INSERT INTO ferry_transfer_packs (\(TransferStore(dialect: dialect).packColumns)) "
                + "SELECT \(transfer), \(part), count(*), \(aggregates.joined(separator: ", ")) "
                + "\(source(bind)) HAVING count(*) > 0 RETURNING row_count"
            return TransferRecording(
                statement: statement(
                    bind,
                    "WITH packed AS (\(insert)) SELECT coalesce(sum(row_count), 0) FROM packed",
                    columns: [.integer]), isPack: true)
        }
        return TransferRecording(
            statement: statement(
                bind,
                "INSERT INTO ferry_transfer_rows (transfer, row_key, digest) SELECT \(transfer), "
                    + "\(dialect.recordedKey("s.\(key)")), \(dialect.rowDigest(of: digestColumns)) "
                    + source(bind)), isPack: false)
    }

    /// Moves the rows: one `UPDATE` of the owner column.
    private var move: HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind,
            "UPDATE \(tableName) AS s SET \(owner) = \(bind(.text(request.to), as: ownerType)) "
                + "WHERE \(moving(bind))")
    }

    /// The table's largest key now, as text (before a copy).
    var largestKey: HistoryStatement {
        HistoryStatement(
            "SELECT CAST(max(s.\(key)) AS TEXT) FROM \(tableName) AS s", columns: [.text])
    }

    /// Copies the rows in key order, the owner replaced and the key left to the engine.
    var copy: HistoryStatement {
        let bind = Binder(dialect)
        let columns = table.columns.map(\.name).filter { $0 != table.primaryKey[0] }
        let values = columns.map { column in
            column == definition.owner
                ? bind(.text(request.to), as: ownerType) : "s.\(q(column))"
        }
        return statement(
            bind,
            "INSERT INTO \(tableName) (\(columns.map(q).joined(separator: ", "))) SELECT "
                + "\(values.joined(separator: ", ")) FROM \(tableName) AS s WHERE \(moving(bind)) "
                + "ORDER BY s.\(key)")
    }

    /// Records the key and digest of each copy: the target's rows with a
    /// key past `largest`; `rows` is how many the preview showed.
    func recordCopies(transfer id: Int, after largest: String?, rows: Int) -> TransferRecording {
        recording(transfer: id, rows: rows) { bind in
            var source =
                "FROM \(tableName) AS s WHERE s.\(owner) = \(bind(.text(request.to), as: ownerType))"
            if let largest { source += " AND s.\(key) > \(bind(.text(largest), as: keyType))" }
            return source
        }
    }

    /// Deletes the source entity.
    var deleteSource: HistoryStatement {
        let bind = Binder(dialect)
        let keyColumn = definition.entityKey
        return statement(
            bind,
            "DELETE FROM \(q(entity.name)) AS e WHERE e.\(q(keyColumn)) = "
                + bind(.text(request.from), as: type(of: keyColumn, in: entity)))
    }

    // MARK: Undo

    /// The recorded rows of one transfer (`row_key`, `digest`, and
    /// `packed`: 1 for a row of a pack), from either of the two tables that
    /// hold them; each is read for that transfer alone, so that no other
    /// transfer's packs are unpacked.
    private func recordedRows(_ bind: Binder, transfer id: Int) -> String {
        let rows =
            "SELECT row_key, digest, 0 AS packed FROM ferry_transfer_rows WHERE transfer = "
            + bind(.integer(id), as: dialect.integerType)
        guard packsExist,
            let packed = dialect.unpackedRows(
                ofTransfer: bind(.integer(id), as: dialect.integerType))
        else { return "(\(rows))" }
        return "(\(rows) UNION ALL SELECT row_key, digest, 1 FROM (\(packed)) AS packs)"
    }

    /// The digest of the row `s` as its record `r` holds it.
    private var recordedDigest: String {
        let recorded = dialect.recordedRowDigest(of: digestColumns, recorded: "r.digest")
        guard packsExist, dialect.keepsPacks else { return recorded }
        return "(CASE WHEN r.packed = 1 THEN \(dialect.packedRowDigest(of: digestColumns)) "
            + "ELSE \(recorded) END)"
    }

    /// The recorded rows of a transfer that are no longer as it left them
    /// (gone, another owner, or another value): their count, or their keys.
    func changedRows(transfer id: Int, keys limit: Int? = nil) -> HistoryStatement {
        let bind = Binder(dialect)
        // Bound in the order the statement names them (SQLite's `?` are numbered by place).
        let rows = recordedRows(bind, transfer: id)
        let recorded = dialect.recordedKeyValue("r.row_key", as: keyType)
        let owned = bind(.text(request.to), as: ownerType)
        let what = limit == nil ? "count(*)" : "CAST(r.row_key AS TEXT)"
        return statement(
            bind,
            "SELECT \(what) FROM \(rows) AS r LEFT JOIN \(tableName) AS s "
                + "ON s.\(key) = \(recorded) AND s.\(owner) = \(owned) "
                + "WHERE s.\(key) IS NULL OR \(recordedDigest) <> r.digest"
                + (limit.map { " ORDER BY r.row_key LIMIT \($0)" } ?? ""),
            columns: [limit == nil ? .integer : .text])
    }

    /// The recorded rows of a transfer, as keys of the table (named `alias`).
    private func recordedKeys(_ bind: Binder, transfer id: Int, alias: String = "s") -> String {
        "\(alias).\(key) IN (SELECT \(dialect.recordedKeyValue("r.row_key", as: keyType)) "
            + "FROM \(recordedRows(bind, transfer: id)) AS r)"
    }

    /// Gives the moved rows back to the source.
    func undoMove(transfer id: Int) -> HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind,
            "UPDATE \(tableName) AS s SET \(owner) = \(bind(.text(request.from), as: ownerType)) "
                + "WHERE \(recordedKeys(bind, transfer: id))")
    }

    /// Deletes the copies.
    func undoCopy(transfer id: Int) -> HistoryStatement {
        let bind = Binder(dialect)
        return statement(
            bind, "DELETE FROM \(tableName) AS s WHERE \(recordedKeys(bind, transfer: id))")
    }
}
