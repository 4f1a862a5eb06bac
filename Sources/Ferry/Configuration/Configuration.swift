import Foundation
import Logging

extension Ferry {
    /// Everything Ferry needs to know about an application and its database.
    ///
    /// ```swift
    /// let configuration = Ferry.Configuration(
    ///     appName: "sensorhub",
    ///     engine: SQLiteEngine(path: "data/sensorhub.db"),
    ///     migrationsDirectory: URL(fileURLWithPath: "migrations"))
    /// try await Ferry(configuration).upgrade()
    /// ```
    public struct Configuration: Sendable {
        /// The application's name, used in backup names and messages.
        public var appName: String
        /// This program's release. When nil, the newest known release (the
        /// newest release folder or registered migration) is used.
        public var release: Release?
        /// The oldest release this program upgrades from
        /// (`[app] minimum_upgradable_from`); nil allows any.
        public var minimumUpgradableFrom: Release?
        /// The database.
        public var engine: any DatabaseEngine
        /// The migrations folder, if any.
        public var migrationsDirectory: URL?
        /// The migrations folder's layout (`[database] layout`): Ferry's own
        /// or another tool's (``MigrationLayout``). Nil, the default, detects
        /// it from the folder's files.
        public var migrationLayout: MigrationLayout?
        /// Where releases end in a folder of another tool's migrations
        /// (`[[release]] version through`), oldest first.
        public var releaseBoundaries: [ReleaseBoundary] = []
        /// Reads the releases of another tool's migrations out of their file
        /// names (`[[release]] pattern`), instead of ``releaseBoundaries``.
        public var releasePattern: ReleasePattern?
        /// Migrations registered in Swift.
        public var migrations: MigrationRegistry
        /// The backup catalog folder; nil lets the engine choose.
        public var backupsDirectory: URL?
        /// How many backups retention keeps, manual ones apart.
        public var backupsToKeep: Int
        /// How many manual backups retention keeps (`[backups] keep_manual`);
        /// nil, the default, keeps them all.
        public var manualBackupsToKeep: Int?
        /// How thoroughly backups are checked when made and before a restore
        /// (`[backups] check`).
        public var backupCheck: BackupCheckLevel
        /// How long an upgrade waits for another upgrader's lock.
        public var lockTimeout: Duration
        /// Where Ferry logs what it does; each upgrade event is logged at `info`.
        public var logger: Logger
        /// Version-range hooks registered in Swift (see ``onUpgrade(from:to:name:_:)``).
        public var hooks: HookRegistry
        /// Conditions verified after every upgrade (`[[verify]]`).
        public var invariants: [Invariant]
        /// Environment requirements checked by preflight (`[[requirement]]`).
        public var requirements: [Requirement]
        /// Installed components whose compatibility preflight checks (`[[component]]`).
        public var components: [Component]
        /// Bytes that must stay free after the backup and the upgrade
        /// (`[preflight] keep_free_mb`).
        public var keepFreeBytes: Int64
        /// Where preflight reads the operating system's release
        /// (`[preflight] os_release`, default `/etc/os-release`).
        public var operatingSystemReleaseFile: URL
        /// The sample data for `test-paths`, `<release>.sql` per release;
        /// nil for `fixtures` beside the migrations folder.
        public var fixturesDirectory: URL?
        /// Whether an upgrade creates the database when it does not exist
        /// (the default: an application's first start makes its database).
        /// When false, an upgrade of a missing database is refused with
        /// nothing created (`ferry upgrade` without `--create`).
        public var createsDatabase: Bool
        /// Whether preflight and `ferry verify` compare the schema with what
        /// the applied migrations make (``SchemaDrift``; `[preflight]
        /// schema_drift`, default on).
        public var checksSchemaDrift = true
        /// The columns that hold secrets, as `table.column` (`[export]
        /// secret_columns`): an export carries them as they are (a password
        /// hash moves with its user) and says so, or as NULL when redacting.
        public var exportSecretColumns: [String] = []
        /// How an import reads the numbers of date and time columns
        /// (`[[import.convert]]`); without a rule such a number is refused.
        public var importConversions: [ImportConversionRule] = []
        /// What `ferry transfer` may move (`[[transfer]]`); when empty, the
        /// foreign keys say (``TransferDefinition/discovered(in:indexes:)``).
        public var transfers: [TransferDefinition] = []
        /// Whether every upgrade also writes, in its transaction, the rows
        /// that the tool of the migrations folder's layout would have written
        /// in its own history table, so that code
        /// that reads that table sees the newest version (`[database]
        /// keep_history_table`, default off).
        public var keepsHistoryTable = false

        /// Whether this program sees the application's Swift migrations: true
        /// (the default) in the application, which registers them in
        /// ``migrations``; false in a tool that reads only the migrations
        /// folder (`ferry`). A history row of a Swift migration that this
        /// program does not know is then applied by the application, not
        /// unknown: it is neither refused nor compared.
        public var seesSwiftMigrations: Bool

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - appName: The application's name.
        ///   - engine: The database.
        ///   - migrationsDirectory: The migrations folder, or nil when every
        ///     migration is registered in Swift.
        public init(
            appName: String = "app", engine: any DatabaseEngine, migrationsDirectory: URL? = nil
        ) {
            self.appName = appName
            self.release = nil
            self.minimumUpgradableFrom = nil
            self.engine = engine
            self.migrationsDirectory = migrationsDirectory
            self.migrationLayout = nil
            self.migrations = MigrationRegistry()
            self.backupsDirectory = nil
            self.backupsToKeep = 10
            self.manualBackupsToKeep = nil
            self.backupCheck = .full
            self.lockTimeout = .seconds(60)
            self.logger = Logger(label: "ferry")
            self.hooks = HookRegistry()
            self.invariants = []
            self.requirements = []
            self.components = []
            self.keepFreeBytes = 0
            self.operatingSystemReleaseFile = OperatingSystemRelease.standardFile
            self.fixturesDirectory = nil
            self.createsDatabase = true
            self.seesSwiftMigrations = true
        }
    }
}
