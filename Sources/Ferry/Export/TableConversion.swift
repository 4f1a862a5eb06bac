/// The conversions of one table's columns on their way into the target
/// (see ``ColumnConversion``), with what they changed and refused.
final class TableConversion: @unchecked Sendable {
    let table: String
    private let columns: [String]
    /// The target's columns, in the export's order.
    private let targetColumns: [ExportTable.Column]
    private let conversions: [ColumnConversion]
    private let keyPositions: [Int]
    private let types: [(from: String, to: String)]
    private var changed: [Int]
    /// What the target cannot keep, checked of every value: nil when the
    /// export came from the same engine, which kept the same values.
    private let limits: ImportLimits?

    /// The conversions from a table of the export to the target's table;
    /// nil when every value goes as it is.
    ///
    /// - Parameter limits: What the target's engine cannot keep.
    init?(
        from source: ExportTable, to target: ExportTable, crossesEngines: Bool,
        rules: [ImportConversionRule], limits: ImportLimits
    ) {
        let byName = Dictionary(
            target.columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var conversions: [ColumnConversion] = []
        var types: [(String, String)] = []
        var targetColumns: [ExportTable.Column] = []
        for column in source.columns {
            guard let targetColumn = byName[column.name] else { return nil }
            targetColumns.append(targetColumn)
            let epoch = rules.first { $0.table == source.name && $0.column == column.name }?.from
            conversions.append(
                ColumnConversion(
                    from: column.logicalType, to: targetColumn.logicalType,
                    crossesEngines: crossesEngines, epoch: epoch))
            types.append(
                (
                    "\(column.declaredType) (\(column.logicalType.rawValue))",
                    "\(targetColumn.declaredType) (\(targetColumn.logicalType.rawValue))"
                ))
        }
        let checked = crossesEngines && !limits.keepsEverything ? limits : nil
        guard checked != nil || conversions.contains(where: { $0 != .none }) else { return nil }
        self.limits = checked
        self.targetColumns = targetColumns
        table = source.name
        columns = source.columns.map(\.name)
        self.conversions = conversions
        self.types = types
        keyPositions = target.primaryKey.compactMap { key in
            source.columns.firstIndex { $0.name == key }
        }
        changed = Array(repeating: 0, count: conversions.count)
    }

    /// Converts a row in place.
    ///
    /// - Returns: Nil, or why a value was refused, naming the row's key,
    ///   the column and the value.
    func apply(_ row: inout [ExportValue]) -> String? {
        for (position, conversion) in conversions.enumerated() {
            var value = row[position]
            if conversion != .none {
                do {
                    value = try conversion.apply(value)
                } catch let refusal as ColumnConversion.Refusal {
                    return refused(row, at: position, refusal.reason)
                } catch {
                    return "\(table) \(key(of: row)): \(columns[position]): \(error)"
                }
            }
            // What goes into the target, as the target's engine would keep it.
            if let limits, let reason = limits.refusal(of: value, into: targetColumns[position]) {
                return refused(row, at: position, reason)
            }
            if conversion != .none, value != row[position] {
                changed[position] += 1
                row[position] = value
            }
        }
        return nil
    }

    /// A value refused: the row's key, the column, the value as the export holds it, and why.
    private func refused(_ row: [ExportValue], at position: Int, _ reason: String) -> String {
        "\(table) \(key(of: row)): \(columns[position]) = \(row[position].shown) \(reason)"
    }

    /// The columns whose values changed kind, and how many.
    var converted: [ImportReport.ConvertedColumn] {
        changed.indices.filter { changed[$0] > 0 }.map {
            ImportReport.ConvertedColumn(
                column: columns[$0], from: types[$0].from, to: types[$0].to, values: changed[$0])
        }
    }

    private func key(of row: [ExportValue]) -> String {
        guard !keyPositions.isEmpty else { return "(a row without a primary key)" }
        return keyPositions.map { "\(columns[$0])=\(row[$0].shown)" }.joined(separator: ", ")
    }
}
