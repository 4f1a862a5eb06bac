extension FerryError {
    /// A setting that an error's advice names, such as "accept changed
    /// migrations", worded for whoever reads the error.
    ///
    /// The core does not know the tool's flags by heart in its messages: it
    /// names a setting symbolically (`"or pass \(.allowChanged) to …"`), and
    /// the message is worded when it is read (``Wording``). An application
    /// that embeds Ferry sees the Swift property it sets
    /// (`UpgradeOptions.allowChanged`); the `ferry` tool reads the same error
    /// with a wording of its own, which knows its flags (`--allow-changed`):
    /// the core holds no flag.
    public struct Setting: Hashable, Sendable {
        /// The setting's name in the messages' text; stable.
        public let name: String
        /// The library's word for it: the Swift property an application sets.
        public let property: String

        /// Creates a setting.
        public init(name: String, property: String) {
            self.name = name
            self.property = property
        }

        /// The value a message gives a setting it names.
        public enum Value: Hashable, Sendable {
            /// The reader's name for any value (the tool's `DIR`, `SECONDS`);
            /// the library's words leave it out.
            case placeholder
            /// This value, as the tool's flag takes it (`quick`), and as an
            /// application writes it in Swift when that differs (`.quick`).
            case given(String, swift: String? = nil)
        }

        /// Accept applied migrations whose files changed, vanished or came out of order.
        public static let allowChanged = Setting(
            name: "allowChanged", property: "UpgradeOptions.allowChanged")
        /// Upgrade without a pre-upgrade backup.
        public static let noBackup = Setting(
            name: "noBackup", property: "UpgradeOptions.skipBackup")
        /// Override preflight warnings (never blockers).
        public static let force = Setting(
            name: "force", property: "UpgradeOptions.force")
        /// Let an upgrade create a database that does not exist.
        public static let create = Setting(
            name: "create", property: "Configuration.createsDatabase")
        /// How long to wait for another upgrader's lock.
        public static let lockTimeout = Setting(
            name: "lockTimeout", property: "Configuration.lockTimeout")
        /// The release an upgrade stops at.
        public static let target = Setting(
            name: "target", property: "UpgradeOptions.target")
        /// Where the database is.
        public static let database = Setting(
            name: "database", property: "Configuration.engine")
        /// Where the backups are.
        public static let backups = Setting(
            name: "backups", property: "Configuration.backupsDirectory")
        /// Where the migrations are.
        public static let migrations = Setting(
            name: "migrations", property: "Configuration.migrationsDirectory")
        /// The configuration file that settings are read from.
        public static let configurationFile = Setting(
            name: "configurationFile", property: "Settings.file(at:)")
        /// How thoroughly a backup is checked.
        public static let backupCheck = Setting(
            name: "backupCheck", property: "Configuration.backupCheck")
        /// Whether preflight and verification check for schema drift.
        public static let schemaDrift = Setting(
            name: "schemaDrift", property: "Configuration.checksSchemaDrift")
        /// How the migrations of an upgrade share transactions.
        public static let transactionMode = Setting(
            name: "transactionMode", property: "UpgradeOptions.transactionMode")
        /// Restore the newest backup a person means.
        public static let latestBackup = Setting(
            name: "latestBackup", property: "BackupSelection.latest")
        /// Restore the newest backup taken before an upgrade to a release.
        public static let backupBeforeUpgrade = Setting(
            name: "backupBeforeUpgrade", property: "BackupSelection.beforeUpgrade(to:)")

        /// Which databases a fleet run works on (``FleetSpec``).
        public static let databases = Setting(name: "databases", property: "FleetSpec")
        /// Whether a fleet run goes on after a database fails.
        public static let continueOnError = Setting(
            name: "continueOnError", property: "FleetOptions.continuesOnError")
        /// The fleet report a run reads to finish what is left.
        public static let resume = Setting(name: "resume", property: "FleetReport.remaining")

        /// How an import treats rows whose key is already there.
        public static let importMode = Setting(name: "importMode", property: "ImportOptions.mode")

        /// The tool whose history `adopt` takes over.
        public static let adoptFrom = Setting(name: "adoptFrom", property: "AdoptOptions.tool")
        /// Keep another tool's history table in step on every upgrade.
        public static let keepHistoryTable = Setting(
            name: "keepHistoryTable", property: "Configuration.keepsHistoryTable")
        /// The release `baseline` records.
        public static let baselineRelease = Setting(
            name: "baselineRelease", property: "BaselineOptions.release")
        /// Every setting the core's messages name, for a reader's wording to
        /// cover them all.
        public static let all: [Setting] = [
            allowChanged, noBackup, force, create, lockTimeout, target, database, backups,
            migrations, configurationFile, backupCheck, schemaDrift, transactionMode, latestBackup,
            backupBeforeUpgrade, importMode, adoptFrom, keepHistoryTable, baselineRelease,
            databases, continueOnError, resume,
        ]

        /// The library's words for the setting with a value: a property that
        /// is a call takes the value as its argument
        /// (`BackupSelection.beforeUpgrade(to: 0.5.0)`), any other is
        /// assigned it; a placeholder is left out.
        func property(with value: Value?) -> String {
            guard case .given(let given, let swift) = value else { return property }
            if property.hasSuffix(":)") { return property.dropLast() + " \(swift ?? given))" }
            return "\(property) = \(swift ?? given)"
        }
    }
}

extension String.StringInterpolation {
    /// Names a setting in an error's message; the message words it for its
    /// reader (see ``FerryError/Setting``).
    public mutating func appendInterpolation(_ setting: FerryError.Setting) {
        appendLiteral(FerryError.Remedy.setting(setting, value: nil).mark)
    }

    /// Names a setting with a value in an error's message: the tool shows
    /// its flag and the value (`--backups DIR`, `--before-upgrade-to 0.5.0`).
    public mutating func appendInterpolation(
        _ setting: FerryError.Setting, _ value: FerryError.Setting.Value
    ) {
        appendLiteral(FerryError.Remedy.setting(setting, value: value).mark)
    }
}
