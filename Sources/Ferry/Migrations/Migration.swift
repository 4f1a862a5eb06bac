/// One step of schema or data change, belonging to a release.
///
/// A migration is identified by its release and name: `0.7.0/001_rename_machines`.
/// Its body is an SQL script (from a migrations folder) or Swift code
/// (registered in a ``MigrationRegistry``). An optional down script reverts
/// it and an optional verify script checks it.
public struct Migration: Sendable, Identifiable {
    /// What a migration holds, in one object: a copy of a migration is one
    /// reference, where its dozen fields were a dozen (planning, sorting and
    /// checking thousands of migrations copy each of them several times).
    private final class Fields: Sendable {
        let release: Release
        let name: String
        let body: Body
        let down: SQLScript?
        let verify: SQLScript?
        let checksum: String
        let legacyChecksum: String
        let isRepeatable: Bool
        let toolVersion: String?
        let transaction: Transaction
        let id: String
        let number: Int?

        init(
            release: Release, name: String, body: Body, down: SQLScript?, verify: SQLScript?,
            checksum: String, legacyChecksum: String, isRepeatable: Bool, toolVersion: String?,
            transaction: Transaction, id: String, number: Int?
        ) {
            self.release = release
            self.name = name
            self.body = body
            self.down = down
            self.verify = verify
            self.checksum = checksum
            self.legacyChecksum = legacyChecksum
            self.isRepeatable = isRepeatable
            self.toolVersion = toolVersion
            self.transaction = transaction
            self.id = id
            self.number = number
        }
    }

    private let fields: Fields

    /// What a migration runs.
    public enum Body: Sendable {
        /// An SQL script.
        case sql(SQLScript)
        /// Swift code, run on the upgrade's connection inside its transaction.
        case swift(@Sendable (any MigrationDatabase) async throws -> Void)
    }

    /// The release the migration belongs to.
    public var release: Release { fields.release }
    /// The migration's name within its release, such as `001_rename_machines`.
    /// A leading number orders migrations within a release.
    public var name: String { fields.name }
    /// What the migration runs.
    public var body: Body { fields.body }
    /// The script that reverts the migration, if any.
    public var down: SQLScript? { fields.down }
    /// The script that checks the migration, if any.
    public var verify: SQLScript? { fields.verify }
    /// The SHA-256 recorded when the migration is applied, and compared
    /// afterwards. For Swift migrations it is what the registration gave, or
    /// a fixed marker that is never compared.
    public var checksum: String { fields.checksum }
    /// The checksum Ferry recorded for the same file before line endings
    /// and byte-order marks were ignored (see ``SQLScript/legacyChecksum``):
    /// a history row holding it still matches. Equal to ``checksum`` when
    /// the two do not differ.
    public var legacyChecksum: String { fields.legacyChecksum }
    /// Whether the migration runs again whenever its checksum changes,
    /// after the other migrations of its release (a Flyway repeatable
    /// script, `R__name.sql`), instead of being refused as changed.
    public var isRepeatable: Bool { fields.isRepeatable }
    /// The version another tool gives the migration in its own history
    /// (Flyway's `1.10`, golang-migrate's `10`, a Sqitch change), for a
    /// migration read from that tool's folder; nil for Ferry's own.
    public var toolVersion: String? { fields.toolVersion }
    /// Which transaction the migration runs in: the upgrade's (the default),
    /// one of its own (`-- ferry:own-transaction`), or none
    /// (`-- ferry:no-transaction`).
    public var transaction: Transaction { fields.transaction }

    /// Which transaction a migration runs in.
    public enum Transaction: String, Sendable, Codable {
        /// The transaction it shares with the other migrations of the upgrade
        /// (or, with ``TransactionMode/perMigration``, one of its own).
        case shared
        /// A transaction of its own, committed before the next migration
        /// starts: for a statement whose effect later statements can only
        /// use once it is committed, such as PostgreSQL's
        /// `ALTER TYPE … ADD VALUE`.
        case own
        /// No transaction: the migration runs alone, each statement committed
        /// as it runs, for statements that refuse to run inside a transaction
        /// (`CREATE INDEX CONCURRENTLY`, `VACUUM`).
        case none
    }

    /// The migration's stable id: `<release>/<name>`.
    public var id: String { fields.id }
    /// The number at the start of the name (`1` for `001_create`), or nil.
    ///
    /// Stored, as the id is: sorting and planning thousands of migrations
    /// read both many times.
    public var number: Int? { fields.number }

    /// Creates a migration.
    ///
    /// - Parameters:
    ///   - release: The release it belongs to.
    ///   - name: Its name within the release.
    ///   - body: What it runs: SQL or Swift.
    ///   - down: Its down script, which a downgrade runs.
    ///   - verify: Its verify script, which verification runs.
    ///   - checksum: The checksum of its files, kept in the history.
    ///   - transaction: Whether it shares the upgrade's transaction.
    ///   - legacyChecksum: The checksum an older Ferry recorded for the same
    ///     file; nil when it is `checksum`.
    ///   - number: Its place among the migrations of its release; nil for the
    ///     number its name starts with. Foreign layouts give the place their
    ///     tool orders it at (Flyway's `1.10` after `1.9`).
    ///   - isRepeatable: Whether it runs again whenever its checksum changes.
    ///   - toolVersion: Its version in another tool's history, when read
    ///     from that tool's folder.
    public init(
        release: Release, name: String, body: Body, down: SQLScript? = nil,
        verify: SQLScript? = nil,
        checksum: String, transaction: Transaction = .shared, legacyChecksum: String? = nil,
        number: Int? = nil, isRepeatable: Bool = false, toolVersion: String? = nil
    ) {
        fields = Fields(
            release: release, name: name, body: body, down: down, verify: verify,
            checksum: checksum, legacyChecksum: legacyChecksum ?? checksum,
            isRepeatable: isRepeatable, toolVersion: toolVersion, transaction: transaction,
            id: "\(release)/\(name)",
            number: number ?? Int(name.prefix(while: { $0.isASCII && $0.isNumber })))
    }

    /// Creates a migration that runs in the upgrade's transaction or, when
    /// `isTransactional` is false, alone outside any transaction.
    public init(
        release: Release, name: String, body: Body, down: SQLScript? = nil,
        verify: SQLScript? = nil,
        checksum: String, isTransactional: Bool
    ) {
        self.init(
            release: release, name: name, body: body, down: down, verify: verify,
            checksum: checksum,
            transaction: isTransactional ? .shared : .none)
    }

    /// Whether the migration runs inside a transaction (its own or the
    /// upgrade's).
    public var isTransactional: Bool { transaction != .none }

    /// How the migration was written, as recorded in the history.
    public var kind: Kind {
        if isBaseline { return .baseline }
        switch body {
        case .sql: return isTransactional ? .sql : .sqlWithoutTransaction
        case .swift: return .swift
        }
    }

    /// The checksum a Swift migration records when its registration gives none.
    public static let uncheckedSwiftChecksum = "swift"

    /// Whether a recorded checksum should be compared with this migration's.
    public var hasComparableChecksum: Bool { checksum != Migration.uncheckedSwiftChecksum }

    /// Whether a recorded checksum is this migration's: its checksum, or the
    /// one an older Ferry recorded for the same file.
    public func matches(recordedChecksum recorded: String) -> Bool {
        recorded == checksum || recorded == legacyChecksum
    }

    /// How a migration was written.
    public enum Kind: String, Sendable, Codable {
        /// An SQL script run inside the upgrade's transaction.
        case sql
        /// An SQL script marked `-- ferry:no-transaction`.
        case sqlWithoutTransaction = "sql-no-transaction"
        /// Swift code.
        case swift
        /// A release's baseline script, run instead of every older migration
        /// on a fresh install.
        case baseline
        /// A run of a version-range hook (recorded, never planned as a migration).
        case hook
        /// A migration that another tool applied, recorded by `adopt`.
        case adopted
    }

    /// The name of a release's baseline script, `baseline` (from `baseline.sql`).
    public static let baselineName = "baseline"

    /// Whether this is a release's baseline script: the schema of that
    /// release, run instead of every older migration on a fresh install.
    public var isBaseline: Bool { name == Migration.baselineName }

    /// Whether `self` runs before `other`: by release, then by number, then by name.
    public func precedes(_ other: Migration) -> Bool {
        if release != other.release { return release < other.release }
        switch (number, other.number) {
        case (let left?, let right?) where left != right: return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        default: return name < other.name
        }
    }
}
