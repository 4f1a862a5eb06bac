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
/// ``BackupEngine/withBackup(at:format:level:_:)``.
public protocol BackupCopy: Sendable {
    /// What the check found.
    var check: BackupCheck { get }

    /// Replaces the live database's content with the backup's, atomically:
    /// the live database is never deleted or renamed, and a failure (or a
    /// crash) part-way leaves it as it was. The caller holds the upgrade lock.
    ///
    /// - Returns: How the content got there.
    /// - Throws: ``FerryError`` when the copy fails; the live database is then unchanged.
    @discardableResult
    func replaceLiveDatabase() async throws -> LiveReplacement

    /// Replaces the live database's content as ``replaceLiveDatabase()``
    /// does, and hands what was loaded to `accept` before the application
    /// can see it: when `accept` throws, the live database stays as it was.
    ///
    /// An engine whose replacement loads the whole backup (PostgreSQL) counts
    /// the rows it loaded, inside the replacement's transaction, so that the
    /// load itself is the backup's full check; the default hands over
    /// ``check`` and then replaces.
    ///
    /// - Parameter accept: Judges the rows and release loaded; throws to refuse them.
    /// - Returns: How the content got there.
    /// - Throws: What `accept` throws, or ``FerryError`` when the copy fails;
    ///   the live database is then unchanged.
    @discardableResult
    func replaceLiveDatabase(accepting accept: @Sendable (BackupCheck) async throws -> Void)
        async throws
        -> LiveReplacement

    /// Replaces the live database's content as
    /// ``replaceLiveDatabase(accepting:)`` does, after calling `keep` to
    /// back up the database as it is (the restore's `pre-restore` backup).
    ///
    /// An engine whose application keeps writing while the restore runs
    /// (both of Ferry's) first keeps those writes out, then calls `keep`, so that
    /// every write committed before the replacement is either in the backup
    /// `keep` takes or waits and lands in the restored database: none is in
    /// neither. The default calls `keep`, then replaces.
    ///
    /// `accept` is called before the replacement is committed, so the
    /// caller may go on with `keep`'s work (checking the backup it wrote)
    /// while the backup is loaded, and finish it in `accept`.
    ///
    /// - Parameters:
    ///   - keep: Backs the current content up; throws to stop the restore
    ///     with nothing changed.
    ///   - accept: Judges the rows and release loaded; throws to refuse them.
    /// - Returns: How the content got there.
    /// - Throws: What `keep` or `accept` throws, or ``FerryError`` when the
    ///   copy fails; the live database is then unchanged.
    @discardableResult
    func replaceLiveDatabase(
        keepingCurrent keep: @Sendable () async throws -> Void,
        accepting accept: @Sendable (BackupCheck) async throws -> Void
    ) async throws -> LiveReplacement
}

extension BackupCopy {
    @discardableResult
    public func replaceLiveDatabase(
        accepting accept: @Sendable (BackupCheck) async throws -> Void
    ) async throws -> LiveReplacement {
        try await accept(check)
        return try await replaceLiveDatabase()
    }

    @discardableResult
    public func replaceLiveDatabase(
        keepingCurrent keep: @Sendable () async throws -> Void,
        accepting accept: @Sendable (BackupCheck) async throws -> Void
    ) async throws -> LiveReplacement {
        try await keep()
        return try await replaceLiveDatabase(accepting: accept)
    }
}

/// How a checked backup became the live database's content.
public enum LiveReplacement: Sendable {
    /// Its content was copied (or loaded) into the live database, whose
    /// integrity is then checked again.
    case copied
    /// There was no live database, and the checked copy itself became it (a
    /// database loaded from a dump, moved into place whole): what was
    /// checked is what is live. The engine's check of such a copy, at the
    /// quick level too, is at least the check a restore makes afterwards.
    case checkedCopyInPlace
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

    /// The file name extension of a backup in a format, which the engine
    /// names (`dump` or `sql` for PostgreSQL).
    func backupFileExtension(for format: BackupFormat) -> String

    /// The most bytes a backup of the live database needs, for the free-space check.
    func backupSizeEstimate() async throws -> Int64

    /// A cheap fact about the live database that changes whenever its data
    /// changes, or nil when the engine has no sound cheap one.
    ///
    /// Read before a backup starts and kept in its manifest: when it is the
    /// same later, nothing was committed since, so the backup still holds the
    /// database as it is, and a retried upgrade reuses it instead of copying
    /// again. Any doubt must give a different value or nil, never the same.
    func changeFingerprint() async -> String?

    /// Writes a consistent copy of the live database to a new file, while
    /// the application may keep writing; the caller syncs it.
    ///
    /// - Returns: The file's SHA-256 (lowercase hexadecimal) when the engine
    ///   computed it as it wrote; nil when the caller reads the file for it.
    /// - Throws: ``FerryError``; a partly written file is the caller's to delete.
    @discardableResult
    func writeBackup(to file: URL, format: BackupFormat) async throws -> String?

    /// Opens a backup file without changing it, checks it as thoroughly as
    /// `level` says (see ``BackupCheckLevel``), and lends it to `body`.
    ///
    /// - Throws: ``FerryError`` (code `backupCorrupt`) when the file is not a
    ///   sound backup; or what `body` throws.
    func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel,
        _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result

    /// Checks a backup that this program has just written and synced, as
    /// thoroughly as `level` says, and returns what the check found. The
    /// default opens it as a restore would (``withBackup(at:format:level:_:)``);
    /// an engine may know a cheaper way for a file it wrote itself.
    ///
    /// - Throws: ``FerryError`` (code `backupCorrupt`) when the file is not a sound backup.
    func checkNewBackup(at file: URL, format: BackupFormat, level: BackupCheckLevel) async throws
        -> BackupCheck

    /// Writes a backup as ``writeBackup(to:format:)`` does and checks it as
    /// ``checkNewBackup(at:format:level:)`` does, the check reading the file
    /// while it is written, where the engine can; the caller syncs it.
    ///
    /// - Returns: The file's SHA-256 and what the check found; nil, having
    ///   written nothing, when the engine writes and checks in turn (the default).
    /// - Throws: ``FerryError``: the writing's failure, or the check's
    ///   (code `backupCorrupt`); a partly written file is the caller's to delete.
    func writeBackupCheckingAlongside(to file: URL, format: BackupFormat, level: BackupCheckLevel)
        async throws -> (sha256: String, check: BackupCheck)?

    /// Whether ``BackupCopy/replaceLiveDatabase(accepting:)`` loads the whole
    /// backup and counts its rows before the application can see them. A
    /// restore then opens the backup with the quick check only, and the load
    /// into the live database is its full check (PostgreSQL); otherwise the
    /// backup is checked at the configured level first (SQLite).
    var checksBackupWhileRestoring: Bool { get }

    /// Checks the live database's integrity, the full check when `thorough`
    /// and the quick one otherwise; returns the problems found.
    func integrityProblems(thorough: Bool) async throws -> [String]

    /// Refuses, before anything changes, a restore whose backup covers another
    /// part of a database than the live one does (a PostgreSQL schema's backup
    /// into the whole database, which the restore would empty, or the
    /// reverse). The default accepts every backup.
    ///
    /// - Parameter database: The manifest's ``BackupManifest/database``: where
    ///   the backup was made, as ``DatabaseEngine/displayName`` showed it.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming both.
    func checkRestoreScope(ofBackupFrom database: String) throws
}

extension BackupEngine {
    public var canMakeBackups: Bool { false }

    public var defaultBackupsFolder: URL? { nil }

    /// The format's name: an engine that makes backups names its own.
    public func backupFileExtension(for format: BackupFormat) -> String { format.rawValue }

    public func backupSizeEstimate() async throws -> Int64 { 0 }

    public func changeFingerprint() async -> String? { nil }

    @discardableResult
    public func writeBackup(to file: URL, format: BackupFormat) async throws -> String? {
        throw FerryError.backupsUnsupported
    }

    public func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel,
        _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result {
        throw FerryError.backupsUnsupported
    }

    public func integrityProblems(thorough: Bool) async throws -> [String] { [] }

    public func checkRestoreScope(ofBackupFrom database: String) throws {}

    public var checksBackupWhileRestoring: Bool { false }

    public func writeBackupCheckingAlongside(
        to file: URL, format: BackupFormat, level: BackupCheckLevel
    ) async throws -> (sha256: String, check: BackupCheck)? { nil }

    public func checkNewBackup(at file: URL, format: BackupFormat, level: BackupCheckLevel)
        async throws -> BackupCheck
    {
        try await withBackup(at: file, format: format, level: level) { $0.check }
    }
}

extension BackupEngine {
    /// The free space a backup in `format` needs in the catalog's file
    /// system: the engine's estimate (twice that for an SQL dump, whose text
    /// is larger than the pages it describes), a tenth more, and 16 MiB.
    ///
    /// The one figure both the backup's own space check and preflight's
    /// (`ferry check`) use, so that a check never promises room that the
    /// backup then refuses.
    public func backupSpaceNeeded(for format: BackupFormat) async throws -> Int64 {
        var needed = max(0, try await backupSizeEstimate())
        if format == .sql {
            needed = needed.multipliedReportingOverflow(by: 2).overflow ? Int64.max / 4 : needed * 2
        }
        needed = min(needed, Int64.max / 4)
        return needed + needed / 10 + 16 << 20
    }
}

extension FerryError {
    static let backupsUnsupported = FerryError(
        .backupFailed, "This database engine cannot make or restore backups yet.",
        changes: "Nothing was changed.",
        advice: "Back the database up with its own tools, then run the upgrade with \(.noBackup).")
}
