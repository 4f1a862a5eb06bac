import Ferry
import Foundation
import PostgresNIO

/// Ferry's bookkeeping tables in a PostgreSQL database: `ferry_migrations`
/// (the history) and `ferry_state` (the recorded release), in the first
/// schema of the role's `search_path`. Created on first use, inside the
/// upgrade's transaction (PostgreSQL's DDL is transactional).
enum PostgresHistory {
    static let createTables = [
        """
        CREATE TABLE IF NOT EXISTS ferry_migrations (
            id text PRIMARY KEY,
            sequence integer NOT NULL,
            release text NOT NULL,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL,
            duration double precision NOT NULL,
            applied_by text NOT NULL,
            kind text NOT NULL,
            note text
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS ferry_state (
            id integer PRIMARY KEY CHECK (id = 1),
            release text NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
    ]

    /// Downgrades, restores and accepted changes, created by the first one.
    static let createEvents = """
        CREATE TABLE IF NOT EXISTS ferry_events (
            sequence bigserial PRIMARY KEY,
            kind text NOT NULL,
            at timestamptz NOT NULL,
            from_release text,
            to_release text,
            backup text,
            note text
        )
        """

    static func recordEvent(_ event: HistoryEvent, on connection: PostgresConnection) async throws {
        try await PostgresScriptRunner.runToTheEnd(sql: createEvents, on: connection)
        try await PostgresScriptRunner.runToTheEnd(
            """
            INSERT INTO ferry_events (kind, at, from_release, to_release, backup, note)
            VALUES (\(event.kind.rawValue), \(event.at), \(event.fromRelease), \(event.toRelease), \(event.backup),
                \(event.note))
            """, on: connection)
    }

    /// The events of `ferry_events`, which the caller found to exist.
    private static func readEvents(on connection: PostgresConnection) async throws -> [HistoryEvent] {
        let logger = PostgresConnector.logger
        let rows = try await connection.queryUnlessClosed(
            "SELECT kind, at, from_release, to_release, backup, note FROM ferry_events ORDER BY sequence",
            logger: logger)
        var events: [HistoryEvent] = []
        for try await (kind, at, from, to, backup, note)
            in rows.decode((String, Date, String?, String?, String?, String?).self)
        {
            guard let kind = HistoryEvent.Kind(rawValue: kind) else { continue }
            events.append(
                HistoryEvent(kind: kind, at: at, fromRelease: from, toRelease: to, backup: backup, note: note))
        }
        return events
    }

    static func readState(on connection: PostgresConnection) async throws -> DatabaseState {
        let logger = PostgresConnector.logger
        let tables = try await connection.queryUnlessClosed(
            """
            SELECT to_regclass('ferry_migrations') IS NOT NULL, to_regclass('ferry_state') IS NOT NULL,
                to_regclass('ferry_events') IS NOT NULL
            """,
            logger: logger)
        var hasHistory = false
        var hasState = false
        var hasEvents = false
        for try await (history, state, events) in tables.decode((Bool, Bool, Bool).self) {
            hasHistory = history
            hasState = state
            hasEvents = events
        }
        var applied: [AppliedMigration] = []
        if hasHistory {
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note
                FROM ferry_migrations ORDER BY sequence
                """, logger: logger)
            for try await (id, sequence, release, name, checksum, appliedAt, duration, appliedBy, kind, note)
                in rows.decode(
                    (String, Int, String, String, String, Date, Double, String, String, String?).self)
            {
                applied.append(
                    AppliedMigration(
                        id: id, release: release, name: name, checksum: checksum, appliedAt: appliedAt,
                        duration: duration, appliedBy: appliedBy, kind: kind, note: note, sequence: sequence))
            }
        }
        var recorded: String?
        var updatedAt: Date?
        if hasState {
            let rows = try await connection.queryUnlessClosed(
                "SELECT release, updated_at FROM ferry_state WHERE id = 1", logger: logger)
            for try await (release, date) in rows.decode((String, Date).self) {
                recorded = release
                updatedAt = date
            }
        }
        var state = DatabaseState(
            exists: true, release: recorded.flatMap(Release.init), recordedRelease: recorded,
            updatedAt: updatedAt,
            applied: applied)
        if hasEvents { state.events = try await readEvents(on: connection) }
        if !hasHistory && !hasState {
            state.unmanagedTables = try await applicationTables(on: connection)
        }
        return state
    }

    /// The tables, views and sequences of the database's own schemas (not
    /// PostgreSQL's, and not those that belong to an extension), qualified
    /// with their schema.
    private static func applicationTables(on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.queryUnlessClosed(
            """
            SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
              AND NOT EXISTS (
                  SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1
            """, logger: PostgresConnector.logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    static func record(_ migration: AppliedMigration, on connection: PostgresConnection) async throws {
        try await createIfNeeded(on: connection)
        try await PostgresScriptRunner.runToTheEnd(
            """
            INSERT INTO ferry_migrations
                (id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note)
            VALUES (\(migration.id), \(migration.sequence), \(migration.release), \(migration.name),
                \(migration.checksum), \(migration.appliedAt), \(migration.duration), \(migration.appliedBy),
                \(migration.kind), \(migration.note))
            """, on: connection)
    }

    static func updateHistory(id: String, checksum: String, note: String?, on connection: PostgresConnection)
        async throws
    {
        try await PostgresScriptRunner.runToTheEnd(
            "UPDATE ferry_migrations SET checksum = \(checksum), note = \(note) WHERE id = \(id)",
            on: connection)
    }

    static func deleteHistory(id: String, on connection: PostgresConnection) async throws {
        try await PostgresScriptRunner.runToTheEnd(
            "DELETE FROM ferry_migrations WHERE id = \(id)", on: connection)
    }

    static func stamp(_ release: Release, at date: Date, on connection: PostgresConnection) async throws {
        try await createIfNeeded(on: connection)
        try await PostgresScriptRunner.runToTheEnd(
            """
            INSERT INTO ferry_state (id, release, updated_at) VALUES (1, \(release.description), \(date))
            ON CONFLICT (id) DO UPDATE SET release = excluded.release, updated_at = excluded.updated_at
            """, on: connection)
    }

    private static func createIfNeeded(on connection: PostgresConnection) async throws {
        for statement in createTables {
            try await PostgresScriptRunner.runToTheEnd(sql: statement, on: connection)
        }
    }
}
