/// How thoroughly Ferry checks a backup after writing it and before
/// restoring it (`[backups] check`, `FERRY_BACKUPS_CHECK`, `--backup-check`).
///
/// Both levels sync the file and compare its SHA-256 with the manifest
/// before a restore, so a backup damaged on disk is always refused. They
/// differ in what else is read, which on a large database is most of the
/// time a backup takes.
public enum BackupCheckLevel: String, Sendable, Codable, CaseIterable {
    /// The copy is read whole: SQLite's full integrity check (what
    /// `PRAGMA integrity_check` checks, in passes shared over the cores) and
    /// the rows of every table counted; PostgreSQL loads it into a scratch
    /// database and counts its rows there (a restore on PostgreSQL needs no
    /// scratch copy: its own load, counted before it commits, is the check).
    /// After a restore, the live database gets the full integrity check too.
    /// The default.
    case full
    /// The copy's SHA-256, and what opening it proves: SQLite reads its schema
    /// and history, PostgreSQL its table of contents (`pg_restore --list`).
    /// No rows are counted. After a restore, the live database gets the quick
    /// integrity check (SQLite's `PRAGMA quick_check`). For databases whose
    /// full check does not fit the maintenance window.
    case quick

    /// Reads a level's name.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for another name.
    public init(parsing name: String) throws {
        guard let level = BackupCheckLevel(rawValue: name.lowercased()) else {
            throw FerryError(
                .invalidConfiguration,
                "'\(name)' is not a backup check level ([backups] check, FERRY_BACKUPS_CHECK, \(.backupCheck)).",
                advice:
                    "Use full (read the copy whole; the default) or quick (checksum, schema and history)."
            )
        }
        self = level
    }

    /// Whether the copy is read whole.
    public var isThorough: Bool { self == .full }
}
