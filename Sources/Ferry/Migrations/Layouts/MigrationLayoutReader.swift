import Foundation

/// Reads one tool's migrations folder by that tool's own rules.
///
/// A reader finds the migrations the tool would find, in the order the tool
/// runs them, with the down and verify scripts and the transaction option
/// the tool would use; it refuses what the tool refuses, and leaves alone
/// what the tool leaves alone. Releases are given afterwards
/// (``ForeignMigrationFolder``), so a reader knows nothing of them.
public protocol MigrationLayoutReader: Sendable {
    /// The layout read.
    static var layout: MigrationLayout { get }

    /// Whether the folder holds migrations of this layout that the tool
    /// would find, judged from the names (and, where the tool marks its
    /// files inside, the first lines): used to detect the layout.
    static func recognizes(_ folder: URL) -> Bool

    /// Every migration of the folder, in the order the tool runs them.
    ///
    /// - Throws: ``FerryError`` (code `invalidMigrations`) naming the file
    ///   the tool would refuse, and why.
    static func migrations(in folder: URL) throws -> [LayoutMigration]

    /// The files of a new migration named `name`, numbered after the
    /// existing ones as the tool numbers them (`ferry new`).
    ///
    /// - Parameters:
    ///   - name: The migration's name, such as `add_rooms`.
    ///   - folder: The migrations folder.
    ///   - existing: The folder's migrations.
    ///   - down: Whether to write a down script.
    ///   - verify: Whether to write a verify script.
    ///   - now: The time, for layouts numbered by timestamp.
    /// - Throws: ``FerryError`` when the layout cannot hold what is asked
    ///   (a verify script in a tool that has none).
    static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile]
}

/// One migration as a foreign layout gives it, before it has a release.
public struct LayoutMigration: Sendable {
    /// The tool's version of the migration, as the tool writes it in its own
    /// history (`1.10`, `20240101120000`, the Sqitch change's name); what
    /// `[[release]] through` names.
    public var version: String
    /// The migration's name in Ferry's history: the tool's file or change
    /// name, such as `V1.10__add_email` or `0002_add_email`.
    public var name: String
    /// The up script.
    public var up: SQLScript
    /// The down script, if any.
    public var down: SQLScript?
    /// The verify script, if any.
    public var verify: SQLScript?
    /// The checksum recorded and compared: of the up script, or of the
    /// whole file where one file holds both directions.
    public var checksum: String
    /// The checksum of the same bytes as Ferry computed it before line
    /// endings and byte-order marks were ignored.
    public var legacyChecksum: String
    /// Which transaction the tool would run it in.
    public var transaction: Migration.Transaction
    /// The release a tag of the tool puts it in (a Sqitch tag), if any.
    public var taggedRelease: Release?
    /// Whether it runs again whenever its checksum changes, after the
    /// versioned migrations (a Flyway repeatable).
    public var isRepeatable: Bool

    /// Creates a migration from its scripts; the checksum is the up script's.
    public init(
        version: String, name: String, up: SQLScript, down: SQLScript? = nil,
        verify: SQLScript? = nil, transaction: Migration.Transaction = .shared,
        taggedRelease: Release? = nil, isRepeatable: Bool = false
    ) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
        self.verify = verify
        self.checksum = up.checksum
        self.legacyChecksum = up.legacyChecksum
        self.transaction = transaction
        self.taggedRelease = taggedRelease
        self.isRepeatable = isRepeatable
    }
}

/// A file that `ferry new` writes.
public struct NewMigrationFile: Sendable, Equatable {
    /// Where, in the migrations folder.
    public var url: URL
    /// What it holds.
    public var contents: String
    /// Whether it is a file of the folder that gets new contents (Sqitch's
    /// plan) rather than a new file.
    public var isReplacing: Bool

    /// Creates a file to write.
    public init(url: URL, contents: String, replacing: Bool = false) {
        self.url = url
        self.contents = contents
        self.isReplacing = replacing
    }
}
