import Foundation

/// Ferry's own tables in an application's database, for every engine: the
/// history `ferry_migrations`, the one-row `ferry_state` (the release and
/// the ``HistoryFingerprint`` that start-up reads), and the events
/// `ferry_events`.
///
/// The store writes every statement, in the engine's ``HistoryDialect``,
/// and reads their rows back; the engine only runs them, on its connection
/// and in its transaction (SQLite inside one access to its queue, PostgreSQL
/// on the upgrade's session). A sequence of steps reads, for example, the
/// state:
///
/// ```swift
/// let tables = store.tables(from: try run(store.tablesQuery))
/// let rows = try store.stateQueries(for: tables).map(run)
/// let state = store.state(tables: tables, rows: rows)
/// ```
///
/// Tables and columns added by later releases of Ferry are added to older
/// databases by the first write (``ownTablesMigration(existing:)``); until
/// then they are read as they are.
public struct HistoryStore: Sendable {
    /// The engine's dialect.
    public let dialect: any HistoryDialect

    /// Creates the store for an engine's dialect.
    public init(dialect: any HistoryDialect) {
        self.dialect = dialect
    }

    // MARK: Tables

    /// The history table.
    public static let migrationsTable = "ferry_migrations"
    /// The one-row table of the release and the fingerprint.
    public static let stateTable = "ferry_state"
    /// The events table.
    public static let eventsTable = "ferry_events"
    /// Ferry's own tables: never the application's, so left out wherever an
    /// engine lists, counts or compares the application's tables.
    package static let ownTables: Set<String> = [
        migrationsTable, stateTable, eventsTable, TransferStore.transfersTable,
        TransferStore.rowsTable,
        TransferStore.packsTable,
    ]

    /// The phrase that notes wrote, before the column `accepted`, for an
    /// applied migration whose missing file was accepted.
    static let acceptedMissingNote = "file missing; accepted"
    /// The phrase that notes wrote, before the column `accepted`, for an
    /// applied migration whose changed file was accepted.
    static let acceptedChangedNote = "accepted with --allow-changed"

    /// Columns added to Ferry's tables after they were first released, in
    /// the order they were added: an older database gets them with its
    /// next write.
    private var addedColumns: [(table: String, definition: String)] {
        [
            (Self.stateTable, "history_fingerprint \(dialect.textType)"),
            (Self.stateTable, "history_rows \(dialect.integerType)"),
            (Self.stateTable, "history_last_sequence \(dialect.integerType)"),
            (Self.migrationsTable, "accepted \(dialect.textType)"),
        ]
    }

    /// Creates the history and state tables when they are missing, with
    /// every column of this release.
    public var createTables: [HistoryStatement] {
        let text = dialect.textType
        return [
            HistoryStatement(
                """
                CREATE TABLE IF NOT EXISTS ferry_migrations (
                    id \(text) PRIMARY KEY NOT NULL,
                    sequence \(dialect.integerType) NOT NULL,
                    release \(text) NOT NULL,
                    name \(text) NOT NULL,
                    checksum \(text) NOT NULL,
                    applied_at \(dialect.timestampType) NOT NULL,
                    duration \(dialect.realType) NOT NULL,
                    applied_by \(text) NOT NULL,
                    kind \(text) NOT NULL,
                    note \(text),
                    accepted \(text)
                )
                """),
            Self.sequenceIndex,
            HistoryStatement(
                """
                CREATE TABLE IF NOT EXISTS ferry_state (
                    id \(dialect.integerType) PRIMARY KEY CHECK (id = 1),
                    release \(text) NOT NULL,
                    updated_at \(dialect.timestampType) NOT NULL,
                    history_fingerprint \(text),
                    history_rows \(dialect.integerType),
                    history_last_sequence \(dialect.integerType)
                )
                """),
        ]
    }

    /// Creates the events table when it is missing: the first event does.
    public var createEvents: HistoryStatement {
        HistoryStatement(
            """
            CREATE TABLE IF NOT EXISTS ferry_events (
                sequence \(dialect.numberedKey),
                kind \(dialect.textType) NOT NULL,
                at \(dialect.timestampType) NOT NULL,
                from_release \(dialect.textType),
                to_release \(dialect.textType),
                backup \(dialect.textType),
                note \(dialect.textType)
            )
            """)
    }

    /// The (table, column) rows of Ferry's three tables that exist.
    public var tablesQuery: HistoryStatement {
        HistoryStatement(
            dialect.columnsQuery(of: [Self.migrationsTable, Self.stateTable, Self.eventsTable]),
            columns: [.text, .text])
    }

    /// Ferry's tables that exist, and their columns.
    public struct Tables: Sendable {
        /// The columns of each table that exists.
        public var columns: [String: Set<String>] = [:]

        /// Whether the table exists.
        public func contains(_ table: String) -> Bool { columns[table] != nil }
    }

    /// Reads the rows of ``tablesQuery``.
    public func tables(from rows: [[HistoryValue]]) -> Tables {
        var tables = Tables()
        for row in rows {
            guard let table = row[0].text, let column = row[1].text else { continue }
            tables.columns[table, default: []].insert(column)
        }
        return tables
    }

    /// What makes Ferry's tables those of this release, after ``createTables``
    /// ran and ``tablesQuery`` read them: the columns added since, and the
    /// index on the history's sequence numbers.
    public func ownTablesMigration(existing tables: Tables) -> [HistoryStatement] {
        let columns = addedColumns.compactMap { added -> HistoryStatement? in
            let column = String(added.definition.prefix { $0 != " " })
            guard let columns = tables.columns[added.table], !columns.contains(column) else {
                return nil
            }
            return HistoryStatement("ALTER TABLE \(added.table) ADD COLUMN \(added.definition)")
        }
        return columns + [Self.sequenceIndex]
    }

    /// The index on the history's sequence numbers: with it, start-up's one
    /// query finds the last number and counts the rows in microseconds at
    /// any length of history, and the history reads in order. A history that
    /// an earlier Ferry wrote gets it at its next upgrade (`IF NOT EXISTS`).
    static let sequenceIndex = HistoryStatement(
        "CREATE INDEX IF NOT EXISTS ferry_migrations_sequence ON ferry_migrations (sequence)")

    // MARK: Reading

    /// The queries that read the state, in the order ``state(tables:rows:)``
    /// expects their rows.
    public func stateQueries(for tables: Tables) -> [HistoryStatement] {
        var queries: [HistoryStatement] = []
        if tables.contains(Self.migrationsTable) {
            let accepted =
                tables.columns[Self.migrationsTable]?.contains("accepted") == true
                ? "accepted" : "NULL"
            queries.append(
                HistoryStatement(
                    """
                    SELECT id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note, \(accepted)
                    FROM ferry_migrations ORDER BY sequence
                    """,
                    columns: [
                        .text, .integer, .text, .text, .text, .date, .real, .text, .text, .text,
                        .text,
                    ]))
        }
        if tables.contains(Self.stateTable) {
            queries.append(
                HistoryStatement(
                    "SELECT release, updated_at FROM ferry_state WHERE id = 1",
                    columns: [.text, .date]))
        }
        if tables.contains(Self.eventsTable) {
            queries.append(
                HistoryStatement(
                    "SELECT kind, at, from_release, to_release, backup, note FROM ferry_events ORDER BY sequence",
                    columns: [.text, .date, .text, .text, .text, .text]))
        }
        if !tables.contains(Self.migrationsTable) && !tables.contains(Self.stateTable) {
            queries.append(HistoryStatement(dialect.applicationTablesQuery, columns: [.text]))
        }
        return queries
    }

    /// The state from the rows of ``stateQueries(for:)``, in their order.
    public func state(tables: Tables, rows: [[[HistoryValue]]]) -> DatabaseState {
        var results = rows.makeIterator()
        var applied: [AppliedMigration] = []
        if tables.contains(Self.migrationsTable) {
            // A history holds few distinct releases: each text is parsed once, not twice per row.
            var releases: [String: RecordedRelease] = [:]
            func release(_ value: HistoryValue) -> RecordedRelease {
                let text = value.text ?? ""
                if let known = releases[text] { return known }
                let release = RecordedRelease(text)
                releases[text] = release
                return release
            }
            applied = (results.next() ?? []).map { appliedMigration($0, release: release) }
        }
        var recorded: String?
        var updatedAt: Date?
        if tables.contains(Self.stateTable), let row = results.next()?.first {
            recorded = row[0].text
            updatedAt = row[1].date
        }
        var state = DatabaseState(
            exists: true, release: recorded.flatMap(Release.init), recordedRelease: recorded,
            updatedAt: updatedAt,
            applied: applied)
        if tables.contains(Self.eventsTable) {
            state.events = (results.next() ?? []).compactMap { row in
                guard let kind = row[0].text.flatMap(HistoryEvent.Kind.init(rawValue:)) else {
                    return nil
                }
                return HistoryEvent(
                    kind: kind, at: row[1].date ?? Date(timeIntervalSince1970: 0),
                    fromRelease: row[2].text.map { RecordedRelease($0) },
                    toRelease: row[3].text.map { RecordedRelease($0) }, backup: row[4].text,
                    note: row[5].text)
            }
        }
        if !tables.contains(Self.migrationsTable) && !tables.contains(Self.stateTable) {
            state.unmanagedTables = (results.next() ?? []).compactMap(\.first?.text)
        }
        return state
    }

    private func appliedMigration(
        _ row: [HistoryValue], release: (HistoryValue) -> RecordedRelease
    ) -> AppliedMigration {
        let note = row[9].text
        return AppliedMigration(
            id: row[0].text ?? "", release: release(row[2]), name: row[3].text ?? "",
            checksum: row[4].text ?? "", appliedAt: row[5].date ?? Date(timeIntervalSince1970: 0),
            duration: row[6].real ?? 0, appliedBy: release(row[7]), kind: .init(row[8].text ?? ""),
            note: note, sequence: row[1].integer ?? 0,
            acceptance: row[10].text.flatMap(AppliedMigration.Acceptance.init(rawValue:))
                ?? Self.acceptance(fromNote: note))
    }

    /// What a note written before the column `accepted` says was accepted.
    static func acceptance(fromNote note: String?) -> AppliedMigration.Acceptance? {
        guard let note else { return nil }
        if note.contains(acceptedMissingNote) { return .missing }
        if note.contains(acceptedChangedNote) { return .changed }
        return nil
    }

    // MARK: Writing

    /// The `INSERT` of a history row, with the values of ``arguments(of:)``.
    public var insertMigration: String {
        let columns =
            "id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note, accepted"
        let values = (1...11).map(dialect.placeholder).joined(separator: ", ")
        return "INSERT INTO ferry_migrations (\(columns)) VALUES (\(values))"
    }

    /// The values of ``insertMigration`` for a row.
    public func arguments(of migration: AppliedMigration) -> [HistoryValue] {
        [
            .text(migration.id), .integer(migration.sequence), .text(migration.release.description),
            .text(migration.name), .text(migration.checksum), .date(migration.appliedAt),
            .real(migration.duration),
            .text(migration.appliedBy.description), .text(migration.kind.description),
            migration.note.map(HistoryValue.text) ?? .null,
            migration.acceptance.map { .text($0.rawValue) } ?? .null,
        ]
    }

    /// Records a history row.
    public func record(_ migration: AppliedMigration) -> HistoryStatement {
        HistoryStatement(insertMigration, arguments: arguments(of: migration))
    }

    /// Records what `--allow-changed` accepted of a row: its checksum now,
    /// its note, and the acceptance.
    public func accept(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance
    ) -> HistoryStatement {
        HistoryStatement(
            "UPDATE ferry_migrations SET checksum = \(dialect.placeholder(1)), note = \(dialect.placeholder(2)), "
                + "accepted = \(dialect.placeholder(3)) WHERE id = \(dialect.placeholder(4))",
            arguments: [
                .text(checksum), note.map(HistoryValue.text) ?? .null, .text(acceptance.rawValue),
                .text(id),
            ])
    }

    /// Removes a history row.
    public func delete(id: String) -> HistoryStatement {
        HistoryStatement(
            "DELETE FROM ferry_migrations WHERE id = \(dialect.placeholder(1))",
            arguments: [.text(id)])
    }

    /// Records an event (after ``createEvents``).
    public func record(_ event: HistoryEvent) -> HistoryStatement {
        HistoryStatement(
            "INSERT INTO ferry_events (kind, at, from_release, to_release, backup, note) VALUES ("
                + (1...6).map(dialect.placeholder).joined(separator: ", ") + ")",
            arguments: [
                .text(event.kind.rawValue), .date(event.at),
                event.fromRelease.map { .text($0.description) } ?? .null,
                event.toRelease.map { .text($0.description) } ?? .null,
                event.backup.map(HistoryValue.text) ?? .null,
                event.note.map(HistoryValue.text) ?? .null,
            ])
    }

    // MARK: The release stamp and its fingerprint

    /// The rows that the fingerprint is computed from, for
    /// ``stamp(_:at:history:)``.
    public var fingerprintSourceQuery: HistoryStatement {
        HistoryStatement(
            "SELECT id, kind, sequence FROM ferry_migrations", columns: [.text, .text, .integer])
    }

    /// Records the release, with the fingerprint of the history as it is
    /// now (the rows of ``fingerprintSourceQuery``, read in the transaction
    /// that wrote the history).
    public func stamp(_ release: Release, at date: Date, history: [[HistoryValue]])
        -> HistoryStatement
    {
        var lastSequence = 0
        let fingerprint = HistoryFingerprint(
            history: history.map { row -> (id: String, kind: String) in
                lastSequence = max(lastSequence, row[2].integer ?? 0)
                return (row[0].text ?? "", row[1].text ?? "")
            })
        let values = (1...5).map(dialect.placeholder).joined(separator: ", ")
        return HistoryStatement(
            """
            INSERT INTO ferry_state (id, release, updated_at, history_fingerprint, history_rows, history_last_sequence)
            VALUES (1, \(values))
            ON CONFLICT (id) DO UPDATE SET
                release = excluded.release, updated_at = excluded.updated_at,
                history_fingerprint = excluded.history_fingerprint, history_rows = excluded.history_rows,
                history_last_sequence = excluded.history_last_sequence
            """,
            arguments: [
                .text(release.description), .date(date), .text(fingerprint.description),
                .integer(history.count),
                .integer(lastSequence),
            ])
    }

    /// One query for start-up: the recorded release, the fingerprint, and
    /// whether the history still has the row count and last sequence number
    /// it had when the fingerprint was written (a boolean: false when rows
    /// were added or removed by hand since).
    public var recordedFingerprintQuery: HistoryStatement {
        HistoryStatement(
            """
            SELECT release, history_fingerprint, history_rows = (SELECT count(*) FROM ferry_migrations)
                AND history_last_sequence = (SELECT coalesce(max(sequence), 0) FROM ferry_migrations)
            FROM ferry_state WHERE id = 1
            """,
            columns: [.text, .text, .boolean])
    }

    /// The release and fingerprint of the rows of ``recordedFingerprintQuery``,
    /// or nil when they are missing or the history changed since.
    public func recordedFingerprint(from rows: [[HistoryValue]]) -> (
        release: Release, fingerprint: HistoryFingerprint
    )? {
        guard let row = rows.first, row[2].boolean == true,
            let release = row[0].text.flatMap(Release.init),
            let fingerprint = row[1].text.flatMap(HistoryFingerprint.init)
        else { return nil }
        return (release, fingerprint)
    }
}
