import Foundation

/// Why a backup was made.
public enum BackupKind: String, Sendable, Codable, CaseIterable {
    /// Taken automatically before an upgrade changed anything.
    case preUpgrade = "pre-upgrade"
    /// Made by hand with `ferry backup`.
    case manual
    /// Taken automatically before a restore replaced the database.
    case preRestore = "pre-restore"
    /// Taken automatically before a downgrade ran down scripts.
    case preDowngrade = "pre-downgrade"
    /// Taken automatically before an import wrote into a database with data.
    case preImport = "pre-import"
    /// Taken automatically before a transfer (or its undo) moved rows.
    case preTransfer = "pre-transfer"
    /// Taken automatically before `adopt` recorded another tool's history.
    case preAdopt = "pre-adopt"
    /// Taken automatically before `baseline` recorded a release's migrations.
    case preBaseline = "pre-baseline"
}

/// How a backup is stored.
public enum BackupFormat: String, Sendable, Codable, CaseIterable {
    /// The engine's native copy: for SQLite a database file made with the
    /// online backup API, for PostgreSQL a `pg_dump` archive in its custom
    /// format. Written `native`; `sqlite`, its name before PostgreSQL, is
    /// still read.
    case native
    /// A plain SQL script that the engine's own shell (`sqlite3`, `psql`) loads.
    case sql

    /// Reads a format's name, `sqlite` included.
    public init?(name: String) {
        if name == "sqlite" {
            self = .native
        } else if let format = BackupFormat(rawValue: name) {
            self = format
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let format = BackupFormat(name: name) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "not a backup format: \(name)"
                ))
        }
        self = format
    }
}

/// The JSON file beside each backup: what it holds and how to check it.
public struct BackupManifest: Sendable, Codable, Equatable {
    /// The manifest format's version.
    public var formatVersion: Int
    /// The program that wrote the backup, such as `ferry 0.1.0`.
    public var producer: String
    /// The application's name.
    public var app: String
    /// Why the backup was made.
    public var kind: BackupKind
    /// How it is stored.
    public var format: BackupFormat
    /// The engine, such as `sqlite`.
    public var engine: String
    /// The database it was made from, without any password.
    public var database: String
    /// The release the database was at when the backup was made, if any.
    public var release: String?
    /// For a pre-upgrade backup: the release the upgrade went to.
    public var upgradeTo: String?
    /// The ids of the migrations applied to the database at the time.
    public var appliedMigrations: [String]
    /// The backup file's name, in the same folder.
    public var file: String
    /// The backup file's size in bytes.
    public var size: Int64
    /// The SHA-256 of the backup file.
    public var sha256: String
    /// Rows per table at the time of the backup, when the check counted them.
    public var rowCounts: [String: Int]?
    /// How the backup was checked when it was made; nil in manifests
    /// written before the level could be chosen, which were checked fully.
    public var check: BackupCheckLevel?
    /// When the backup was made.
    public var created: Date
    /// When the backup was checked (see ``check``).
    public var verified: Date?
    /// A note given with `--note`.
    public var note: String?
    /// For a pre-upgrade backup whose upgrade failed: how it ended. Nil
    /// otherwise. Retention deletes such backups before any other.
    public var attempt: UpgradeAttempt?
    /// The live database's change fingerprint read just before the copy
    /// (``BackupEngine/changeFingerprint()``), when the engine has one.
    public var liveFingerprint: String?

    /// Creates a manifest.
    public init(
        formatVersion: Int = BackupManifest.currentFormatVersion, producer: String, app: String,
        kind: BackupKind,
        format: BackupFormat, engine: String, database: String, release: String?,
        upgradeTo: String?,
        appliedMigrations: [String], file: String, size: Int64, sha256: String,
        rowCounts: [String: Int]?,
        check: BackupCheckLevel? = .full, created: Date, verified: Date?, note: String?,
        attempt: UpgradeAttempt? = nil
    ) {
        self.attempt = attempt
        self.formatVersion = formatVersion
        self.producer = producer
        self.app = app
        self.kind = kind
        self.format = format
        self.engine = engine
        self.database = database
        self.release = release
        self.upgradeTo = upgradeTo
        self.appliedMigrations = appliedMigrations
        self.file = file
        self.size = size
        self.sha256 = sha256
        self.rowCounts = rowCounts
        self.check = check
        self.created = created
        self.verified = verified
        self.note = note
    }

    /// The current manifest format.
    public static let currentFormatVersion = 1
}

/// How the upgrade a pre-upgrade backup was taken for ended, when it failed.
///
/// Written into the manifest after the failure (`"attempt": {"outcome":
/// "failed", "code": "migrationFailed", "ended": …}`), so that `ferry
/// backups` can say so and retention can delete such copies first: a failed
/// attempt left the database as it was, so its backup holds nothing the
/// other backups or the database itself do not.
public struct UpgradeAttempt: Sendable, Codable, Equatable {
    /// `failed`: the only outcome recorded.
    public var outcome: String
    /// The failure's error code (``FerryError/Code``).
    public var code: String
    /// When the attempt ended.
    public var ended: Date

    /// A failed attempt that ended with `code` at `ended`.
    public static func failed(code: String, ended: Date) -> UpgradeAttempt {
        UpgradeAttempt(outcome: "failed", code: code, ended: ended)
    }
}

/// A backup in the catalog: its manifest and where its files are.
public struct Backup: Sendable, Equatable {
    /// The manifest.
    public let manifest: BackupManifest
    /// The backup file.
    public let file: URL
    /// The manifest file.
    public let manifestFile: URL

    /// The backup's name: its file name.
    public var name: String { manifest.file }

    /// Takes a backup this run made out of the catalog (its manifest first,
    /// then its file), when what it was made for changed nothing: it is
    /// the live database's twin.
    func removeTwin() {
        try? FileManager.default.removeItem(at: manifestFile)
        try? FileManager.default.removeItem(at: file)
    }
}
