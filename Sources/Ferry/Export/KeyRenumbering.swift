import Foundation

/// The keys of an exported entity's rows imported under another owner
/// (`ferry import --into TABLE=KEY`): every foreign key that pointed at the
/// named table now points at the given row, and an integer primary key
/// that the target already holds is renumbered past the target's largest,
/// with every foreign key of the export that points at it rewritten.
struct KeyRenumbering {
    /// The new owner.
    let into: EntitySelection
    /// The new owner's key as a value.
    let intoValue: ExportValue
    /// Per table, the keys renumbered: old → new.
    private(set) var mappings: [String: [Int64: Int64]] = [:]

    init(into: EntitySelection) {
        self.into = into
        intoValue = Int64(into.key).map(ExportValue.integer) ?? .text(into.key)
    }

    /// Checks that the new owner exists, before anything is loaded.
    ///
    /// - Throws: ``FerryError`` (code `invalidExport`) when it does not, or
    ///   when the export is not of entities that reference its table.
    func check(
        _ manifest: ExportManifest, against tables: [ExportTable], in database: String,
        session: any ImportingSession
    ) async throws {
        guard manifest.entities != nil else {
            throw FerryError(
                .invalidExport,
                "This export holds whole tables, not entities: it cannot be put under \(into).",
                changes: "Nothing was changed.",
                advice:
                    "Export the entity on its own, by its table and key, then import that export.")
        }
        let referenced = manifest.tables.filter { $0.references == true }.map(\.table.name)
        guard referenced.contains(into.table) else {
            throw FerryError(
                .invalidExport,
                "The exported entities (\(manifest.entities?.joined(separator: ", ") ?? "")) do not reference \(into.table): they reference \(referenced.isEmpty ? "no table" : referenced.joined(separator: ", ")).",
                changes: "Nothing was changed.",
                advice: "Name a row of a table the entities reference.")
        }
        // Every foreign key to the named table is pointed at the new owner: in a table of the
        // entities' own rows (a tree), their links to each other would all be.
        guard
            !manifest.tables.contains(where: {
                $0.table.name == into.table && $0.references != true
            })
        else {
            throw FerryError(
                .invalidExport,
                "\(into.table) holds the exported entities' own rows, not only rows they reference: put under \(into), every link between them would point at it.",
                changes: "Nothing was changed.",
                advice:
                    "Name a row of a table the entities only reference, or import without --into."
            )
        }
        guard let table = tables.first(where: { $0.name == into.table }),
            table.primaryKey.count == 1
        else {
            throw FerryError(
                .invalidExport, "\(into.table) has no one-column primary key in \(database).",
                changes: "Nothing was changed.")
        }
        let literal = Int64(into.key).map(String.init) ?? SQLLiteral.quoted(into.key)
        let found = try await session.integers(
            "SELECT count(*) FROM \(SQLIdentifier.quoted(table.name)) WHERE \(SQLIdentifier.quoted(table.primaryKey[0])) = \(literal)"
        )
        guard found.first ?? 0 > 0 else {
            throw FerryError(
                .invalidExport, "\(database) has no row \(into) to put the entities under.",
                changes: "Nothing was changed.",
                advice: "Name a row that exists in the target.")
        }
    }

    /// Renumbers the table's keys that the target already holds: reads the
    /// export's keys of the table, asks the target which it has, and gives
    /// each of those a new key past the largest of both.
    mutating func plan(
        _ table: ExportManifest.Table, from folder: URL, compressed: Bool,
        session: any ImportingSession
    ) async throws {
        guard table.references != true, table.table.primaryKey.count == 1,
            let position = table.table.columns.firstIndex(where: {
                $0.name == table.table.primaryKey[0]
            }),
            table.table.columns[position].logicalType == .integer
        else { return }
        let source = try ExportRowSource(
            folder: folder, files: table.files, types: table.table.columns.map(\.logicalType),
            compressed: compressed)
        var keys: [Int64] = []
        while let row = try source.next() {
            if case .integer(let key) = row[position] { keys.append(key) }
        }
        guard !keys.isEmpty else { return }
        let name = SQLIdentifier.quoted(table.table.name)
        let column = SQLIdentifier.quoted(table.table.primaryKey[0])
        var taken: Set<Int64> = []
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 500, keys.count)]
            start += batch.count
            taken.formUnion(
                try await session.integers(
                    "SELECT \(column) FROM \(name) WHERE \(column) IN (\(batch.map(String.init).joined(separator: ", ")))"
                ))
        }
        guard !taken.isEmpty else { return }
        let largest = try await session.integers("SELECT max(\(column)) FROM \(name)").first ?? 0
        var next = max(largest, keys.max() ?? 0)
        var mapping: [Int64: Int64] = [:]
        for key in keys where taken.contains(key) {
            guard next < .max else {
                throw FerryError(
                    .invalidExport, "\(table.table.name) has no free key left past \(next).",
                    changes: "Nothing was changed: the import was rolled back.")
            }
            next += 1
            mapping[key] = next
        }
        mappings[table.table.name] = mapping
    }

    /// The rewrite of a table's rows: its key by its mapping, its foreign
    /// keys to the new owner and to renumbered rows; nil when none applies.
    func rewrite(for table: ExportTable) -> (@Sendable (inout [ExportValue]) -> Void)? {
        var steps: [(position: Int, into: ExportValue?, mapping: [Int64: Int64])] = []
        let position = { (name: String) in table.columns.firstIndex { $0.name == name } }
        if table.primaryKey.count == 1, let mapping = mappings[table.name],
            let key = position(table.primaryKey[0])
        {
            steps.append((key, nil, mapping))
        }
        for foreign in table.foreignKeys where foreign.columns.count == 1 {
            guard let column = position(foreign.columns[0]) else { continue }
            if foreign.referencedTable == into.table {
                steps.append((column, intoValue, [:]))
            } else if let mapping = mappings[foreign.referencedTable] {
                steps.append((column, nil, mapping))
            }
        }
        guard !steps.isEmpty else { return nil }
        let rewrites = steps
        return { row in
            for step in rewrites {
                if case .null = row[step.position] { continue }
                if let value = step.into {
                    row[step.position] = value
                } else if case .integer(let key) = row[step.position], let new = step.mapping[key] {
                    row[step.position] = .integer(new)
                }
            }
        }
    }
}
