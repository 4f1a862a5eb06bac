import Foundation

/// What an engine reports about a backup it opened and checked.
public struct BackupCheck: Sendable {
    /// Rows per table in the backup; nil when the check did not count them
    /// (``BackupCheckLevel/quick``).
    public var rowCounts: [String: Int]?
    /// The release and history recorded in the backup.
    public var state: DatabaseState

    /// Creates a check result.
    public init(rowCounts: [String: Int]?, state: DatabaseState) {
        self.rowCounts = rowCounts
        self.state = state
    }
}

/// A backup that an engine opened and checked, lent by
/// ``DatabaseEngine/withBackup(at:format:level:_:)``.
public protocol BackupCopy: Sendable {
    /// What the check found.
    var check: BackupCheck { get }

    /// Replaces the live database's content with the backup's, atomically:
    /// the live database is never deleted or renamed, and a failure (or a
    /// crash) part-way leaves it as it was. The caller holds the upgrade lock.
    ///
    /// - Throws: ``FerryError`` when the copy fails; the live database is then unchanged.
    func replaceLiveDatabase() async throws
}

/// The part of an engine that makes and reads backups.
///
/// Engines without backups yet keep the default implementations, which
/// refuse with a clear error.
public protocol BackupEngine: Sendable {
    /// Whether the engine makes and reads backups yet; one that does not
    /// refuses an upgrade that would need its pre-upgrade backup, in
    /// preflight, with nothing changed.
    var canMakeBackups: Bool { get }

    /// The folder for backups when none is configured, if the engine has one
    /// (for SQLite: `backups` beside the database file).
    var defaultBackupsFolder: URL? { get }

    /// The file name extension of a backup in a format (SQLite: `sqlite`
    /// or `sql`; PostgreSQL: `dump` or `sql`).
    func backupFileExtension(for format: BackupFormat) -> String

    /// The most bytes a backup of the live database needs, for the free-space check.
    func backupSizeEstimate() async throws -> Int64

    /// Writes a consistent copy of the live database to a new file and syncs
    /// it, while the application may keep writing.
    ///
    /// - Throws: ``FerryError``; a partly written file is the caller's to delete.
    func writeBackup(to file: URL, format: BackupFormat) async throws

    /// Opens a backup file without changing it, checks it as thoroughly as
    /// `level` says (see ``BackupCheckLevel``), and lends it to `body`.
    ///
    /// - Throws: ``FerryError`` (code `backupCorrupt`) when the file is not a
    ///   sound backup; or what `body` throws.
    func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel, _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result

    /// Checks the live database's integrity, the full check when `thorough`
    /// and the quick one otherwise; returns the problems found.
    func integrityProblems(thorough: Bool) async throws -> [String]
}

extension BackupEngine {
    public var canMakeBackups: Bool { false }

    public var defaultBackupsFolder: URL? { nil }

    public func backupFileExtension(for format: BackupFormat) -> String { format.fileExtension }

    public func backupSizeEstimate() async throws -> Int64 { 0 }

    public func writeBackup(to file: URL, format: BackupFormat) async throws {
        throw FerryError.backupsUnsupported
    }

    public func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel, _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result {
        throw FerryError.backupsUnsupported
    }

    public func integrityProblems(thorough: Bool) async throws -> [String] { [] }
}

extension FerryError {
    static let backupsUnsupported = FerryError(
        .backupFailed, "This database engine cannot make or restore backups yet.", changes: "Nothing was changed.",
        advice: "Back the database up with its own tools, then run the upgrade with --no-backup.")
}
