import Foundation

/// One difference between a database's schema and the schema its applied
/// migrations make: an object missing, one no migration makes, or one
/// that differs.
public struct SchemaDifference: Sendable, Hashable, Encodable {
    /// How the database differs from what its migrations make.
    public enum Change: String, Sendable, Hashable, Encodable {
        /// The migrations make the object; the database lacks it (dropped by hand?).
        case missing
        /// The database has the object; no applied migration makes it (added by hand?).
        case unexpected
        /// Both have the object, with different definitions (changed by hand?).
        case differs
    }

    /// The object's kind.
    public let kind: SchemaObject.Kind
    /// The object's name, such as `readings_by_time` (its table is ``table``).
    public let object: String
    /// The table the object belongs to, if any.
    public let table: String?
    /// How it differs.
    public let change: Change
    /// The difference in a sentence, such as `index readings_by_time on
    /// sensor_history is missing (the migrations create it)`.
    public let detail: String
}

/// What the schema drift check found: how a database's schema differs from
/// the schema its own applied migrations make on a scratch database.
///
/// Drift never stops anything: preflight and `ferry verify` report each
/// difference as a warning for the operator to judge.
public struct SchemaDrift: Sendable, Encodable, WordedForReader {
    /// The differences, by object; empty when the schemas agree (or when
    /// the check was skipped).
    public let differences: [SchemaDifference]
    /// Why the check did not run, or nil when it did.
    public var skipped: String? { markedSkipped?.worded(for: wording) }
    /// Who reads the result: why the check did not run may name a setting.
    public var wording: FerryError.Wording = .library
    /// ``skipped`` as written, with its settings marked.
    let markedSkipped: MarkedText?

    private enum CodingKeys: String, CodingKey {
        case differences
        case markedSkipped = "skipped"
    }

    init(differences: [SchemaDifference], skipped: String?) {
        self.differences = differences
        self.markedSkipped = skipped.map(MarkedText.init)
    }

    /// A check that did not run, and why.
    static func skipped(_ reason: String) -> SchemaDrift {
        SchemaDrift(differences: [], skipped: reason)
    }

    /// The check in one line: `none`, the number of differences, or why it
    /// was skipped.
    public var summary: String { wording.apply(to: markedSummary) }

    /// ``summary`` as written, with its settings marked.
    package var markedSummary: String {
        if let skipped = markedSkipped?.text { return "not checked: \(skipped)" }
        if differences.isEmpty { return "none: the schema is what the applied migrations make" }
        let count = differences.count == 1 ? "1 difference" : "\(differences.count) differences"
        return
            "\(count) from what the applied migrations make (a warning; it never stops an upgrade)"
    }

    /// Compares a database's schema with the one its migrations make, object
    /// by object. The columns, keys, indexes and triggers of a table that is
    /// missing or unexpected as a whole are not listed again.
    ///
    /// - Parameters:
    ///   - live: The database's schema.
    ///   - expected: What its applied migrations make.
    static func differences(live: [SchemaObject], expected: [SchemaObject]) -> [SchemaDifference] {
        struct Key: Hashable {
            let kind: SchemaObject.Kind
            let table: String?
            let name: String
        }
        func byKey(_ objects: [SchemaObject]) -> [Key: SchemaObject] {
            let own = objects.filter { !HistoryStore.ownTables.contains($0.table ?? $0.name) }
            return Dictionary(
                own.map { (Key(kind: $0.kind, table: $0.table, name: $0.name), $0) },
                uniquingKeysWith: { first, _ in first })
        }
        let liveObjects = byKey(live)
        let expectedObjects = byKey(expected)
        let missingTables = Set(
            expectedObjects.keys.filter { $0.kind == .table && liveObjects[$0] == nil }.map(\.name))
        let unexpectedTables = Set(
            liveObjects.keys.filter { $0.kind == .table && expectedObjects[$0] == nil }.map(\.name))
        var differences: [SchemaDifference] = []
        func add(_ object: SchemaObject, _ change: SchemaDifference.Change, _ detail: String) {
            differences.append(
                SchemaDifference(
                    kind: object.kind, object: object.name, table: object.table, change: change,
                    detail: "\(object.kind.rawValue) \(object.displayName) \(detail)"))
        }
        for (key, object) in expectedObjects where liveObjects[key] == nil {
            if let table = key.table, missingTables.contains(table) { continue }
            add(object, .missing, "is missing (the migrations create it)")
        }
        // Another migration tool's history table (kept after `adopt`, or written by the tool
        // beside Ferry) is that tool's bookkeeping, not the application's schema.
        let toolHistories = Set(
            ForeignTool.allCases.filter { $0.registry == nil }.map(\.historyTable))
        for (key, object) in liveObjects {
            guard let wanted = expectedObjects[key] else {
                if let table = key.table, unexpectedTables.contains(table) { continue }
                if toolHistories.contains(key.table ?? key.name) { continue }
                add(object, .unexpected, "is not made by any migration (added by hand?)")
                continue
            }
            if wanted.definition != object.definition {
                add(
                    object, .differs,
                    "differs from what the migrations make: here "
                        + "'\(shortened(object.definition))', the migrations '\(shortened(wanted.definition))'"
                )
            }
        }
        return differences.sorted {
            ($0.table ?? $0.object, $0.kind.rawValue, $0.object) < (
                $1.table ?? $1.object, $1.kind.rawValue, $1.object
            )
        }
    }

    /// A definition cut to a length a warning line can show.
    private static func shortened(_ definition: String) -> String {
        // On one line: PostgreSQL describes a view over several.
        let line = definition.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count <= 160 ? line : line.prefix(157) + "…"
    }
}

extension Ferry {
    /// Checks a database for schema drift: replays its applied migrations
    /// (and the hooks its history records), in the order they were applied,
    /// on a scratch database of the engine, and compares the two schemas.
    ///
    /// The history's own order is used rather than "every migration up to
    /// the release", so a database whose history legitimately differs is
    /// compared with what that history makes. Never throws: what stops the
    /// check (a history entry whose migration is not in the catalog, a
    /// scratch database the engine cannot make, a migration that fails on
    /// an empty database) is the reason it was skipped.
    ///
    /// - Parameters:
    ///   - db: The live database.
    ///   - applied: Its history.
    ///   - catalog: The program's migrations and hooks.
    func schemaDrift(
        of db: any DatabaseInspection, applied: [AppliedMigration], catalog: MigrationCatalog
    ) async -> SchemaDrift {
        guard configuration.checksSchemaDrift else {
            return .skipped(
                "turned off (\(.schemaDrift), FERRY_SCHEMA_DRIFT=0 or [preflight] schema_drift = false)"
            )
        }
        guard !applied.isEmpty else {
            return .skipped("the database has no applied migrations to compare with")
        }
        var steps: [(body: Migration.Body, transaction: Migration.Transaction)] = []
        var unknown: [String] = []
        for row in applied.sorted(by: { $0.sequence < $1.sequence }) {
            if row.kind == .hook {
                let name =
                    row.name.hasPrefix("hooks/")
                    ? String(row.name.dropFirst("hooks/".count)) : row.name
                if let hook = catalog.hooks.first(where: { $0.name == name }) {
                    steps.append((hook.body, .shared))
                } else {
                    unknown.append(row.id)
                }
            } else if let migration = catalog.migration(id: row.id)
                ?? catalog.baselines.first(where: { $0.id == row.id })
            {
                steps.append((migration.body, migration.transaction))
            } else {
                unknown.append(row.id)
            }
        }
        guard unknown.isEmpty else {
            let shown = unknown.prefix(3).joined(separator: ", ") + (unknown.count > 3 ? ", …" : "")
            return .skipped(
                "\(unknown.count) applied migration\(unknown.count == 1 ? " is" : "s are") not among the program's "
                    + "(\(shown)), so the schema the history made cannot be rebuilt")
        }
        let live: [SchemaObject]
        do {
            live = try await db.schemaObjects()
        } catch {
            return .skipped("the schema cannot be read: \(Self.reason(error))")
        }
        // In a fleet run, the databases whose scratch databases are alike and whose history is the
        // same compare with one schema, built once.
        let kept = configuration.engine.scratchKinship.map { kinship in
            ([kinship]
                + applied.sorted { $0.sequence < $1.sequence }.map {
                    "\($0.kind) \($0.id) \($0.checksum)"
                })
                .joined(separator: "\n")
        }
        if let kept, let expected = ScratchReuse.current?.schema(kept) {
            return SchemaDrift(
                differences: SchemaDrift.differences(live: live, expected: expected), skipped: nil)
        }
        let expected: [SchemaObject]
        do {
            expected = try await configuration.engine.withScratchDatabase(purpose: "drift") {
                scratch in
                try await scratch.withSession { session in
                    var index = steps.startIndex
                    while index < steps.endIndex {
                        // As the upgrade groups them: shared steps together, the others alone.
                        var end = index + 1
                        if steps[index].transaction == .shared {
                            while end < steps.endIndex && steps[end].transaction == .shared {
                                end += 1
                            }
                        }
                        let group = steps[index..<end]
                        if steps[index].transaction == Migration.Transaction.none {
                            try await Self.run(group, on: session)
                        } else {
                            try await session.inTransaction {
                                try await Self.run(group, on: session)
                            }
                        }
                        index = end
                    }
                    return try await session.schemaObjects()
                }
            }
        } catch {
            return .skipped(
                "the schema of the applied migrations could not be built on a scratch database: \(Self.reason(error))"
            )
        }
        if let kept { ScratchReuse.current?.keep(expected, as: kept) }
        return SchemaDrift(
            differences: SchemaDrift.differences(live: live, expected: expected), skipped: nil)
    }

    private static func run(
        _ steps: ArraySlice<(body: Migration.Body, transaction: Migration.Transaction)>,
        on session: any MigrationSession
    ) async throws {
        for step in steps {
            switch step.body {
            case .sql(let script): try await session.run(script)
            case .swift(let body): try await body(session)
            }
        }
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? FerryError else { return "\(error)" }
        // The reason is worded with the check it ends up in: its marks stay.
        return [
            error.markedMessage, error.location.map { "at \($0.file), line \($0.line)" },
            error.engineMessage,
        ]
        .compactMap { $0 }.joined(separator: " ")
    }
}
