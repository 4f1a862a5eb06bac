/// One table of an export, as the manifest describes it: its columns with
/// their declared and logical types, its primary key and foreign keys.
public struct ExportTable: Sendable, Codable, Hashable {
    /// One column.
    public struct Column: Sendable, Codable, Hashable {
        /// The column's name.
        public var name: String
        /// The type as the source engine declares it (`INTEGER`, `timestamp with time zone`).
        public var declaredType: String
        /// What the column holds, in engine-neutral terms.
        public var logicalType: LogicalType
        /// Whether the column accepts NULL.
        public var isNullable: Bool

        /// Creates a column.
        public init(name: String, declaredType: String, logicalType: LogicalType, isNullable: Bool)
        {
            self.name = name
            self.declaredType = declaredType
            self.logicalType = logicalType
            self.isNullable = isNullable
        }
    }

    /// One foreign key: these columns reference those of another table.
    public struct ForeignKey: Sendable, Codable, Hashable {
        /// The referencing columns, in this table.
        public var columns: [String]
        /// The referenced table.
        public var referencedTable: String
        /// The referenced columns (the referenced table's primary key when empty).
        public var referencedColumns: [String]

        /// Creates a foreign key.
        public init(columns: [String], referencedTable: String, referencedColumns: [String]) {
            self.columns = columns
            self.referencedTable = referencedTable
            self.referencedColumns = referencedColumns
        }
    }

    /// The table's name.
    public var name: String
    /// The columns that hold data, in order (generated columns left out).
    public var columns: [Column]
    /// The primary key's columns; empty when the table has none.
    public var primaryKey: [String]
    /// The foreign keys.
    public var foreignKeys: [ForeignKey]

    /// Creates a table description.
    public init(name: String, columns: [Column], primaryKey: [String], foreignKeys: [ForeignKey]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.foreignKeys = foreignKeys
    }

    /// Orders tables so that a table comes after those it references, as a
    /// load whose foreign keys are checked row by row needs; tables in a
    /// cycle keep their order. Otherwise sorted by name.
    public static func inLoadOrder(_ tables: [ExportTable]) -> [ExportTable] {
        var remaining = tables.sorted { $0.name < $1.name }
        var placed: Set<String> = []
        var ordered: [ExportTable] = []
        let names = Set(tables.map(\.name))
        while !remaining.isEmpty {
            let ready = remaining.firstIndex { table in
                table.foreignKeys.allSatisfy { key in
                    key.referencedTable == table.name || placed.contains(key.referencedTable)
                        || !names.contains(key.referencedTable)
                }
            }
            let next = remaining.remove(at: ready ?? 0)
            placed.insert(next.name)
            ordered.append(next)
        }
        return ordered
    }
}
