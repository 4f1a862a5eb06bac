/// One entity to export (`ferry export --entity TABLE=KEY`): a row found
/// by its primary key, exported with every row that depends on it through
/// foreign keys, transitively, and the rows those reference, marked as
/// references.
public struct EntitySelection: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The entity's table.
    public var table: String
    /// Its primary key's value, as written.
    public var key: String

    /// Creates a selection.
    public init(table: String, key: String) {
        self.table = table
        self.key = key
    }

    /// Reads `TABLE=KEY`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for another form.
    public init(parsing text: String) throws {
        guard let (table, key) = NamedPair.split(text, at: "=") else {
            throw FerryError(
                .invalidConfiguration,
                "'\(text)' does not name an entity: write TABLE=KEY, such as devices=42.")
        }
        self.init(table: table, key: key)
    }

    /// `TABLE=KEY`.
    public var description: String { "\(table)=\(key)" }
}

/// Which rows of each table an export of entities holds, as SQL conditions
/// that both engines read (row values compared with `IN` subqueries, and
/// recursive subqueries up and down a table that references itself).
///
/// A table's rows fall in two parts: those that belong to the entities
/// (the entities' own rows and every row below them), and references, the
/// rows those point at that do not belong to them (a device's room, a
/// node's parent in the same table), which the target keeps if it has
/// them. Each part is exported, and loaded, on its own.
struct EntityRows {
    /// One part of a table's rows.
    struct Part {
        /// The table.
        let table: ExportTable
        /// The condition on its rows.
        let condition: String
        /// Whether the rows are references.
        let references: Bool
    }

    /// The parts, in load order: a table's references before its own rows,
    /// and a table after those it references. Tables without a part are
    /// not exported.
    let parts: [Part]
    /// Each entity's table, and the condition that finds its row.
    let roots: [(entity: EntitySelection, table: ExportTable, condition: String)]

    /// The rows of `entities` in `tables`.
    ///
    /// - Throws: ``FerryError`` (code `invalidExport`) for a table the
    ///   database does not have, or one without a one-column primary key.
    init(_ entities: [EntitySelection], in tables: [ExportTable]) throws {
        let ordered = ExportTable.inLoadOrder(tables)
        let byName = Dictionary(
            tables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var roots: [String: [String]] = [:]
        var found: [(EntitySelection, ExportTable, String)] = []
        for entity in entities {
            guard let table = byName[entity.table] else {
                throw FerryError(
                    .invalidExport, "The database has no table \(entity.table) to export from.",
                    changes: "Nothing was changed.",
                    advice: "Known tables: \(byName.keys.sorted().joined(separator: ", ")).")
            }
            guard table.primaryKey.count == 1, let key = table.primaryKey.first else {
                throw FerryError(
                    .invalidExport,
                    "\(entity.table) has \(table.primaryKey.isEmpty ? "no primary key" : "a primary key of several columns"), so \(entity) cannot name one row.",
                    changes: "Nothing was changed.",
                    advice: "Name a row of a table whose primary key is one column.")
            }
            let literal = Int64(entity.key).map(String.init) ?? SQLLiteral.quoted(entity.key)
            let condition = "\(SQLIdentifier.quoted(key)) = \(literal)"
            roots[table.name, default: []].append(condition)
            found.append((entity, table, condition))
        }
        self.roots = found

        // Downwards, parents first: a table's rows belong to the entities when they are a root
        // or reference a row that does.
        var belonging: [String: String] = [:]
        for table in ordered {
            var alternatives = roots[table.name] ?? []
            for key in table.foreignKeys where key.referencedTable != table.name {
                guard let parent = belonging[key.referencedTable],
                    let referenced = Self.referencedColumns(of: key, in: byName)
                else { continue }
                alternatives.append(
                    "\(Self.row(key.columns)) IN (SELECT \(Self.list(referenced)) FROM \(SQLIdentifier.quoted(key.referencedTable)) WHERE \(parent))"
                )
            }
            guard !alternatives.isEmpty else { continue }
            belonging[table.name] = Self.following(
                table, Self.any(alternatives), downwards: true, in: byName)
        }
        // Tables that reference each other have no order with parents first: a row below the
        // entities through a table placed after its own would be left out without a word.
        let place = Dictionary(
            ordered.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for table in ordered {
            for key in table.foreignKeys
            where key.referencedTable != table.name && belonging[key.referencedTable] != nil
                && place[key.referencedTable, default: 0] > place[table.name, default: 0]
            {
                throw FerryError(
                    .invalidExport,
                    "\(table.name) references \(key.referencedTable) (\(key.columns.joined(separator: ", "))), which leads back to \(table.name) through foreign keys: an export of entities cannot yet follow such a cycle to every row that belongs to \(entities.map(\.description).joined(separator: ", ")).",
                    changes: "Nothing was changed.",
                    advice:
                        "Export whole tables instead (without --entity, or with --table for the tables you need)."
                )
            }
        }

        // Upwards, children first: rows that exported rows reference and that do not belong to
        // the entities, which the target needs (up a tree of rows, to its top).
        var references: [String: String] = [:]
        func exported(_ table: String) -> String? {
            switch (belonging[table], references[table]) {
            case (let own?, let referenced?): Self.any([own, referenced])
            case (let own, let referenced): own ?? referenced
            }
        }
        for table in ordered.reversed() {
            var alternatives: [String] = []
            for child in ordered {
                let condition =
                    child.name == table.name ? belonging[child.name] : exported(child.name)
                guard let condition else { continue }
                for key in child.foreignKeys where key.referencedTable == table.name {
                    guard let referenced = Self.referencedColumns(of: key, in: byName) else {
                        continue
                    }
                    alternatives.append(
                        "\(Self.row(referenced)) IN (SELECT \(Self.list(key.columns)) FROM \(SQLIdentifier.quoted(child.name)) WHERE \(condition))"
                    )
                }
            }
            guard !alternatives.isEmpty else { continue }
            let referenced = Self.following(
                table, Self.any(alternatives), downwards: false, in: byName)
            references[table.name] =
                belonging[table.name].map { "(\(referenced)) AND ((\($0)) IS NOT TRUE)" }
                ?? referenced
        }
        parts = ordered.flatMap { table in
            [
                references[table.name].map { Part(table: table, condition: $0, references: true) },
                belonging[table.name].map { Part(table: table, condition: $0, references: false) },
            ].compactMap { $0 }
        }
    }

    /// The referenced columns of a foreign key: those it names, or the
    /// referenced table's primary key.
    private static func referencedColumns(
        of key: ExportTable.ForeignKey, in tables: [String: ExportTable]
    ) -> [String]? {
        let columns =
            key.referencedColumns.isEmpty
            ? tables[key.referencedTable]?.primaryKey ?? [] : key.referencedColumns
        return columns.count == key.columns.count && !columns.isEmpty ? columns : nil
    }

    /// The condition widened through the table's reference to itself (a
    /// tree of rows), when its primary key is one column: to the rows below
    /// those it selects, or to the rows above them.
    private static func following(
        _ table: ExportTable, _ condition: String, downwards: Bool,
        in tables: [String: ExportTable]
    ) -> String {
        guard table.primaryKey.count == 1, let key = table.primaryKey.first,
            let tree = table.foreignKeys.first(where: { foreign in
                foreign.referencedTable == table.name && foreign.columns.count == 1
                    && referencedColumns(of: foreign, in: tables) == [key]
            })
        else { return condition }
        let name = SQLIdentifier.quoted(table.name)
        let column = SQLIdentifier.quoted(key)
        let parent = SQLIdentifier.quoted(tree.columns[0])
        // Down: the rows whose parent is a row found. Up: the parent of a row found.
        let step =
            downwards
            ? "SELECT c.\(column) FROM \(name) c JOIN ferry_rows r ON c.\(parent) = r.\(column)"
            : "SELECT c.\(parent) FROM \(name) c JOIN ferry_rows r ON c.\(column) = r.\(column) WHERE c.\(parent) IS NOT NULL"
        return
            "\(column) IN (WITH RECURSIVE ferry_rows(\(column)) AS (SELECT \(column) FROM \(name) WHERE \(condition) UNION \(step)) SELECT \(column) FROM ferry_rows)"
    }

    private static func row(_ columns: [String]) -> String {
        columns.count == 1 ? SQLIdentifier.quoted(columns[0]) : "(\(list(columns)))"
    }

    private static func list(_ columns: [String]) -> String {
        columns.map(SQLIdentifier.quoted).joined(separator: ", ")
    }

    private static func any(_ alternatives: [String]) -> String {
        alternatives.count == 1
            ? alternatives[0] : alternatives.map { "(\($0))" }.joined(separator: " OR ")
    }
}
