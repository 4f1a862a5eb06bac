/// The conversions of one table's columns on their way into the target
/// (see ``ColumnConversion``), with what they changed and refused.
final class TableConversion: @unchecked Sendable {
    let table: String
    private let columns: [String]
    /// The target's columns, in the export's order, as ``limits`` reads them.
    private let targets: [ImportLimits.Target]
    private let conversions: [ColumnConversion]
    private let keyPositions: [Int]
    private let types: [(from: String, to: String)]
    private var changed: [Int]
    private var changedInRow: [Int] = []
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
        targets = checked.map { limits in targetColumns.map(limits.target) } ?? []
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
    /// - Returns: Nil, or why its values were refused (each of them, so
    ///   that one reading of a dry run lists all there is to fix), naming
    ///   the row's key, the columns and the values.
    func apply(_ row: inout [ExportValue]) -> String? {
        var reasons: [String] = []
        // The positions changed in this row, counted once the row is taken (kept from row to
        // row: no allocation per row).
        changedInRow.removeAll(keepingCapacity: true)
        for (position, conversion) in conversions.enumerated() {
            var value = row[position]
            if conversion != .none {
                do {
                    value = try conversion.apply(value)
                } catch let refusal as ColumnConversion.Refusal {
                    reasons.append(refused(row, at: position, refusal.reason))
                    continue
                } catch {
                    reasons.append("\(columns[position]): \(error)")
                    continue
                }
            }
            // What goes into the target, as the target's engine would keep it.
            if let limits, let reason = limits.refusal(of: value, into: targets[position]) {
                reasons.append(refused(row, at: position, reason))
                continue
            }
            // A refused row is left out whole: converting its other values in place is harmless.
            if conversion != .none, value != row[position] {
                changedInRow.append(position)
                row[position] = value
            }
        }
        guard reasons.isEmpty else {
            return "\(table) \(key(of: row)): " + reasons.joined(separator: "; ")
        }
        for position in changedInRow { changed[position] += 1 }
        return nil
    }

    /// A value refused: the column, the value as the export holds it, and why.
    private func refused(_ row: [ExportValue], at position: Int, _ reason: String) -> String {
        "\(columns[position]) = \(row[position].shown) \(reason)"
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
