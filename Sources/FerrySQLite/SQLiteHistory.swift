import Ferry
import Foundation
import GRDB

/// Ferry's bookkeeping tables in a SQLite database: `ferry_migrations` (the
/// history) and `ferry_state` (the recorded release). Created on first use,
/// inside the upgrade's transaction.
enum SQLiteHistory {
    static let createTables = """
        CREATE TABLE IF NOT EXISTS ferry_migrations (
            id TEXT PRIMARY KEY NOT NULL,
            sequence INTEGER NOT NULL,
            release TEXT NOT NULL,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            duration REAL NOT NULL,
            applied_by TEXT NOT NULL,
            kind TEXT NOT NULL,
            note TEXT
        );
        CREATE TABLE IF NOT EXISTS ferry_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            release TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            history_fingerprint TEXT,
            history_rows INTEGER,
            history_last_sequence INTEGER
        );
        """

    /// The columns of `ferry_state` that hold the history's fingerprint,
    /// added by the first stamp to databases made before Ferry kept one.
    static let fingerprintColumns = [
        "history_fingerprint TEXT", "history_rows INTEGER", "history_last_sequence INTEGER",
    ]

    /// Downgrades, restores and accepted changes, created by the first one.
    static let createEvents = """
        CREATE TABLE IF NOT EXISTS ferry_events (
            sequence INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            from_release TEXT,
            to_release TEXT,
            backup TEXT,
            note TEXT
        );
        """

    static func recordEvent(_ event: HistoryEvent, in db: Database) throws {
        try db.execute(sql: createEvents)
        try db.execute(
            sql: "INSERT INTO ferry_events (kind, at, from_release, to_release, backup, note) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                event.kind.rawValue, Timestamp.string(from: event.at), event.fromRelease, event.toRelease, event.backup,
                event.note,
            ])
    }

    /// The events of `ferry_events`, which the caller found to exist.
    private static func readEvents(_ db: Database) throws -> [HistoryEvent] {
        try Row.fetchAll(
            db, sql: "SELECT kind, at, from_release, to_release, backup, note FROM ferry_events ORDER BY sequence"
        ).compactMap { row in
            guard let kind = HistoryEvent.Kind(rawValue: row[0]) else { return nil }
            return HistoryEvent(
                kind: kind, at: Timestamp.date(from: row[1]) ?? Date(timeIntervalSince1970: 0), fromRelease: row[2],
                toRelease: row[3], backup: row[4], note: row[5])
        }
    }

    static func readState(_ db: Database) throws -> DatabaseState {
        let tables = try Set(String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('ferry_migrations', 'ferry_state', 'ferry_events')"))
        var applied: [AppliedMigration] = []
        if tables.contains("ferry_migrations") {
            applied = try Row.fetchAll(db, sql: """
                SELECT id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note
                FROM ferry_migrations ORDER BY sequence
                """).map { row in
                AppliedMigration(
                    // By position, in the order of the SELECT: a thousand rows by name cost a millisecond.
                    id: row[0], release: row[2], name: row[3], checksum: row[4],
                    appliedAt: Timestamp.date(from: row[5]) ?? Date(timeIntervalSince1970: 0),
                    duration: row[6], appliedBy: row[7], kind: row[8], note: row[9], sequence: row[1])
            }
        }
        var recorded: String?
        var updatedAt: Date?
        if tables.contains("ferry_state"), let row = try Row.fetchOne(db, sql: "SELECT release, updated_at FROM ferry_state WHERE id = 1") {
            recorded = row["release"]
            updatedAt = (row["updated_at"] as String?).flatMap(Timestamp.date(from:))
        }
        var state = DatabaseState(
            exists: true, release: recorded.flatMap(Release.init), recordedRelease: recorded, updatedAt: updatedAt,
            applied: applied)
        if tables.contains("ferry_events") { state.events = try readEvents(db) }
        if !tables.contains("ferry_migrations") && !tables.contains("ferry_state") {
            state.unmanagedTables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        }
        return state
    }

    static func record(_ migration: AppliedMigration, in db: Database) throws {
        try record(migration, with: prepareRecording(in: db))
    }

    /// Creates Ferry's tables when they are missing and prepares the
    /// history's `INSERT`, for ``record(_:with:)``.
    static func prepareRecording(in db: Database) throws -> Statement {
        try db.execute(sql: createTables)
        return try db.makeStatement(sql: """
            INSERT INTO ferry_migrations
                (id, sequence, release, name, checksum, applied_at, duration, applied_by, kind, note)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Writes a history row with the statement of ``prepareRecording(in:)``.
    static func record(_ migration: AppliedMigration, with insert: Statement) throws {
        try insert.execute(arguments: [
            migration.id, migration.sequence, migration.release, migration.name, migration.checksum,
            Timestamp.string(from: migration.appliedAt), migration.duration, migration.appliedBy,
            migration.kind, migration.note,
        ])
    }

    static func updateHistory(id: String, checksum: String, note: String?, in db: Database) throws {
        try db.execute(
            sql: "UPDATE ferry_migrations SET checksum = ?, note = ? WHERE id = ?", arguments: [checksum, note, id])
    }

    /// Records the release, with the fingerprint of the history as it is
    /// now (see ``HistoryFingerprint``), in the transaction that wrote the
    /// history.
    static func stamp(_ release: Release, at date: Date, in db: Database) throws {
        try db.execute(sql: createTables)
        let columns = try Set(String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('ferry_state')"))
        for column in fingerprintColumns where !columns.contains(String(column.prefix { $0 != " " })) {
            try db.execute(sql: "ALTER TABLE ferry_state ADD COLUMN \(column)")
        }
        var rows = 0
        var lastSequence = 0
        var history: [(id: String, kind: String)] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, kind, sequence FROM ferry_migrations")
        while let row = try cursor.next() {
            history.append((row[0], row[1]))
            rows += 1
            lastSequence = max(lastSequence, row[2])
        }
        try db.execute(
            sql: """
                INSERT INTO ferry_state
                    (id, release, updated_at, history_fingerprint, history_rows, history_last_sequence)
                VALUES (1, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    release = excluded.release, updated_at = excluded.updated_at,
                    history_fingerprint = excluded.history_fingerprint, history_rows = excluded.history_rows,
                    history_last_sequence = excluded.history_last_sequence
                """,
            arguments: [
                release.description, Timestamp.string(from: date), HistoryFingerprint(history: history).description,
                rows, lastSequence,
            ])
    }
}
