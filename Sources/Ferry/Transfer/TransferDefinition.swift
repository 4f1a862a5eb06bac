import Foundation

/// What can be transferred from one entity to another: the rows of a table
/// whose owner column says whose they are (a sensor's history, a device's
/// readings), declared in `ferry.toml` or found from a foreign key.
///
/// ```toml
/// [[transfer]]
/// name = "sensor history"
/// table = "sensor_history"
/// owner = "sensor_id"
/// references = "sensors(id)"
/// order = "taken_at"
/// unique = ["sensor_id", "taken_at"]
/// ```
public struct TransferDefinition: Sendable, Hashable, Codable {
    /// How Ferry knows of a definition.
    public enum Origin: String, Sendable, Hashable, Codable {
        /// Declared by a `[[transfer]]` table of `ferry.toml`.
        case declared
        /// Found from a foreign key, because `ferry.toml` declares none.
        case foreignKey = "foreign-key"
    }

    /// The name the user gives on the command line.
    public var name: String
    /// The table whose rows move.
    public var table: String
    /// The column that says whose a row is.
    public var owner: String
    /// The table of the entities that own rows.
    public var entityTable: String
    /// The entity table's key, which the owner column holds.
    public var entityKey: String
    /// The rows' natural order (a time), for previews; nil orders by key.
    public var order: String?
    /// The columns that make a row the same row on the target (the owner
    /// column among them counts as the target's); empty: no row conflicts.
    public var unique: [String]
    /// How Ferry knows of it.
    public var origin: Origin

    /// Creates a definition.
    public init(
        name: String, table: String, owner: String, entityTable: String, entityKey: String,
        order: String? = nil, unique: [String] = [], origin: Origin = .declared
    ) {
        self.name = name
        self.table = table
        self.owner = owner
        self.entityTable = entityTable
        self.entityKey = entityKey
        self.order = order
        self.unique = unique
        self.origin = origin
    }

    /// The entity reference as `ferry.toml` writes it: `sensors(id)`.
    public var references: String { "\(entityTable)(\(entityKey))" }

    /// How it was found, in words.
    public var foundBy: String {
        switch origin {
        case .declared: return "declared in ferry.toml ([[transfer]] \(name))"
        case .foreignKey:
            return "found from the foreign key \(table)(\(owner)) → \(references)"
                + (order.map { ", in the order of the index on (\(owner), \($0))" } ?? "")
        }
    }

    /// Reads `references = "sensors(id)"`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when it is not
    ///   written `table(key)`.
    public static func parseReferences(_ text: String) throws -> (table: String, key: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")") else {
            throw FerryError(
                .invalidConfiguration,
                "references = \"\(text)\" is not written table(key).",
                advice: "Write the entity table and its key, such as references = \"sensors(id)\".")
        }
        let table = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        let key = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            .trimmingCharacters(in: .whitespaces)
        guard !table.isEmpty, !key.isEmpty, !key.contains(",") else {
            throw FerryError(
                .invalidConfiguration,
                "references = \"\(text)\" is not written table(key) with one key column.",
                advice: "Write the entity table and its key, such as references = \"sensors(id)\".")
        }
        return (table, key)
    }

    /// A definition for every foreign key of one column that references
    /// another table's key (a table's key of one column when the foreign
    /// key names none), named `table.column`. Its order is the second
    /// column of the table's first index (by name; not a partial one) that
    /// starts with the owner column, such as `(sensor_id, taken_at)`, when
    /// that column is a number, a text or a time: the order the
    /// application reads an entity's rows in, and the one its engine gives
    /// the first and last rows of a preview in without sorting them all.
    ///
    /// - Parameters:
    ///   - tables: The application's tables.
    ///   - indexes: The columns of each index of a table, by table name,
    ///     the indexes in name order.
    public static func discovered(
        in tables: [ExportTable], indexes: [String: [[String]]] = [:]
    ) -> [TransferDefinition] {
        let byName = Dictionary(tables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var found: [TransferDefinition] = []
        for table in tables.sorted(by: { $0.name < $1.name }) {
            for key in table.foreignKeys where key.columns.count == 1 {
                guard key.referencedTable != table.name,
                    let entity = byName[key.referencedTable]
                else { continue }
                let referenced =
                    key.referencedColumns.isEmpty
                    ? entity.primaryKey : key.referencedColumns
                guard referenced.count == 1 else { continue }
                let owner = key.columns[0]
                let ordering = (indexes[table.name] ?? []).first { columns in
                    columns.count >= 2 && columns[0] == owner && columns[1] != owner
                        && table.columns.contains {
                            $0.name == columns[1] && Self.orderable.contains($0.logicalType)
                        }
                }
                let order: String? = ordering.map { $0[1] }
                found.append(
                    TransferDefinition(
                        name: "\(table.name).\(owner)", table: table.name, owner: owner,
                        entityTable: entity.name, entityKey: referenced[0], order: order,
                        unique: [], origin: .foreignKey))
            }
        }
        return found
    }

    /// The types a preview can order rows by and take the span of
    /// (`min` and `max`): not booleans, blobs or JSON, which PostgreSQL
    /// cannot compare that way.
    static let orderable: Set<LogicalType> = [
        .integer, .real, .numeric, .text, .date, .time, .timestamp, .timestampWithTimeZone,
        .interval,
    ]

    /// The columns of each index from rows of (index name, column name or
    /// NULL for an expression), ordered by index and position: an index
    /// ends at its first expression.
    package static func indexColumns(fromRows rows: [[HistoryValue]]) -> [[String]] {
        var indexes: [(name: String, columns: [String], ended: Bool)] = []
        for row in rows {
            guard let name = row.first?.text else { continue }
            if indexes.last?.name != name { indexes.append((name, [], false)) }
            guard !indexes[indexes.count - 1].ended else { continue }
            if let column = row.dropFirst().first?.text {
                indexes[indexes.count - 1].columns.append(column)
            } else {
                indexes[indexes.count - 1].ended = true
            }
        }
        return indexes.map(\.columns).filter { !$0.isEmpty }
    }
}
