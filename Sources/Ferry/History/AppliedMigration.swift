import Foundation

/// A migration recorded in the database's history table `ferry_migrations`.
public struct AppliedMigration: Sendable, Hashable, Codable {
    /// The migration's id, `<release>/<name>`.
    public var id: String
    /// The release the migration belongs to, as recorded.
    public var release: RecordedRelease
    /// The migration's name within its release.
    public var name: String
    /// The SHA-256 of the script when it was applied.
    public var checksum: String
    /// When it was applied.
    public var appliedAt: Date
    /// How long it took, in seconds.
    public var duration: Double
    /// The program release that applied it.
    public var appliedBy: RecordedRelease
    /// How it was written: `sql`, `sql-no-transaction`, `swift`, or a
    /// bookkeeping row (`baseline`, `hook`).
    public var kind: Kind
    /// Notes added later, such as a changed checksum accepted with `--allow-changed`.
    public var note: String?
    /// Its place in the order migrations were applied, from 1.
    public var sequence: Int
    /// What was accepted of it with `--allow-changed`, if anything: the
    /// column `accepted` (or, in rows written before that column, the note).
    public var acceptance: Acceptance? = nil

    /// What `--allow-changed` accepted of an applied migration.
    public enum Acceptance: String, Sendable, Hashable, Codable {
        /// Its file changed since it was applied: the checksum now recorded is the file's.
        case changed
        /// Its file is missing: the row stays, and is no longer refused.
        case missing
    }

    /// How a history row was written: a ``Migration/Kind``, or a kind that a
    /// newer release of Ferry wrote and this one does not know (kept as it
    /// is, so that reading a newer history never fails).
    public enum Kind: Sendable, Hashable, Codable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        /// A kind this release knows.
        case known(Migration.Kind)
        /// A kind this release does not know, as recorded.
        case unknown(String)

        /// An SQL script run inside a transaction.
        public static let sql = Kind.known(.sql)
        /// Swift code registered by the application.
        public static let swift = Kind.known(.swift)
        /// A release's baseline script.
        public static let baseline = Kind.known(.baseline)
        /// A run of a version-range hook.
        public static let hook = Kind.known(.hook)
        /// A migration another tool applied, taken over by `adopt`.
        public static let adopted = Kind.known(.adopted)

        /// The kind of a recorded text.
        public init(_ text: String) {
            self = Migration.Kind(rawValue: text).map(Kind.known) ?? .unknown(text)
        }

        /// The kind of a recorded text.
        public init(stringLiteral text: String) { self.init(text) }

        /// The kind of a migration.
        public init(_ kind: Migration.Kind) { self = .known(kind) }

        /// The text recorded in the history.
        public var description: String {
            switch self {
            case .known(let kind): return kind.rawValue
            case .unknown(let text): return text
            }
        }

        /// Whether the row records bookkeeping (a hook's run, a baseline)
        /// rather than a migration of the catalog.
        public var isBookkeeping: Bool { self == .hook || self == .baseline }

        public init(from decoder: any Decoder) throws {
            self.init(try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    // The acceptance is not part of the JSON: `note` says it in words, as before.
    private enum CodingKeys: String, CodingKey {
        case id, release, name, checksum, appliedAt, duration, appliedBy, kind, note, sequence
    }

    /// Creates a history row.
    public init(
        id: String, release: RecordedRelease, name: String, checksum: String, appliedAt: Date,
        duration: Double,
        appliedBy: RecordedRelease, kind: Kind, note: String? = nil, sequence: Int,
        acceptance: Acceptance? = nil
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
        self.acceptance = acceptance
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
    public init(
        exists: Bool, release: Release?, recordedRelease: String? = nil, updatedAt: Date?,
        applied: [AppliedMigration]
    ) {
        self.exists = exists
        self.release = release
        self.recordedRelease = recordedRelease ?? release?.description
        self.updatedAt = updatedAt
        self.applied = applied
    }

    /// The state of a database that does not exist yet.
    public static let missing = DatabaseState(
        exists: false, release: nil, updatedAt: nil, applied: [])

    /// The state of a database that exists but whose release and history
    /// were not read (a backup checked without being loaded).
    public static let unread = DatabaseState(
        exists: true, release: nil, updatedAt: nil, applied: [])
}
