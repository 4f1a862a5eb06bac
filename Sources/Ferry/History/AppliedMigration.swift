import Foundation

/// A migration recorded in the database's history table `ferry_migrations`.
public struct AppliedMigration: Sendable, Hashable, Codable {
    /// The migration's id, `<release>/<name>`.
    public var id: String
    /// The release the migration belongs to, as recorded.
    public var release: String
    /// The migration's name within its release.
    public var name: String
    /// The SHA-256 of the script when it was applied.
    public var checksum: String
    /// When it was applied.
    public var appliedAt: Date
    /// How long it took, in seconds.
    public var duration: Double
    /// The program release that applied it.
    public var appliedBy: String
    /// How it was written: `sql`, `sql-no-transaction` or `swift`.
    public var kind: String
    /// Notes added later, such as a changed checksum accepted with `--allow-changed`.
    public var note: String?
    /// Its place in the order migrations were applied, from 1.
    public var sequence: Int

    /// Creates a history row.
    public init(
        id: String, release: String, name: String, checksum: String, appliedAt: Date, duration: Double,
        appliedBy: String, kind: String, note: String? = nil, sequence: Int
    ) {
        self.id = id
        self.release = release
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.duration = duration
        self.appliedBy = appliedBy
        self.kind = kind
        self.note = note
        self.sequence = sequence
    }
}

/// What Ferry reads from a database before it plans anything.
public struct DatabaseState: Sendable {
    /// Whether the database exists at all (for SQLite: whether the file does;
    /// for PostgreSQL: whether the server has the database).
    public var exists: Bool
    /// The release recorded in `ferry_state`, or nil when Ferry never upgraded
    /// this database.
    public var release: Release?
    /// The recorded release as stored, kept when it is not a valid version.
    public var recordedRelease: String?
    /// When the recorded release was written.
    public var updatedAt: Date?
    /// The history, in the order the migrations were applied.
    public var applied: [AppliedMigration]
    /// The application's tables (and views) found in a database that has
    /// no Ferry history: not empty means that Ferry did not make this
    /// database, and an upgrade must not treat it as a fresh install.
    public var unmanagedTables: [String] = []
    /// The events of `ferry_events` (downgrades, restores, accepted
    /// changes), oldest first; empty when the table does not exist.
    public var events: [HistoryEvent] = []

    /// Creates a state.
    public init(exists: Bool, release: Release?, recordedRelease: String? = nil, updatedAt: Date?, applied: [AppliedMigration]) {
        self.exists = exists
        self.release = release
        self.recordedRelease = recordedRelease ?? release?.description
        self.updatedAt = updatedAt
        self.applied = applied
    }

    /// The state of a database that does not exist yet.
    public static let missing = DatabaseState(exists: false, release: nil, updatedAt: nil, applied: [])

    /// The state of a database that exists but whose release and history
    /// were not read (a backup checked without being loaded).
    public static let unread = DatabaseState(exists: true, release: nil, updatedAt: nil, applied: [])
}
