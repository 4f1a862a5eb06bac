import Foundation
import TOMLKit

/// The settings that every command shares, from `ferry.toml`, the
/// environment (`FERRY_*`) and flags.
///
/// Flags beat the environment, which beats the file:
///
/// ```swift
/// let settings = try Settings.file(at: url)
///     .overridden(by: try Settings.environment(ProcessInfo.processInfo.environment))
///     .overridden(by: flags)
/// ```
///
/// Relative paths in `ferry.toml` are relative to the file's folder (and the
/// migrations folder defaults to `migrations` beside the file); those in flags
/// and the environment are relative to the working directory.
public struct Settings: Sendable, Equatable {
    /// `[app] name`, `FERRY_APP_NAME`.
    public var appName: String?
    /// `[app] release`, `FERRY_RELEASE`.
    public var release: String?
    /// `[app] minimum_upgradable_from`, `FERRY_MINIMUM_UPGRADABLE_FROM`.
    public var minimumUpgradableFrom: String?
    /// `[database] url`, `FERRY_DATABASE`, `--database`.
    public var database: String?
    /// `[database] migrations`, `FERRY_MIGRATIONS`, `--migrations`.
    public var migrations: String?
    /// `[database] create`, `FERRY_CREATE`, `upgrade --create`: whether an
    /// upgrade may create a database that does not exist. The tool's
    /// default is no (a mistyped path must not make a new database); the
    /// library's is yes (an application's first start makes its database).
    public var create: Bool?
    /// `[database] lock_timeout` in seconds, `FERRY_LOCK_TIMEOUT`, `--lock-timeout`
    /// (range: ``NumberSetting/lockTimeout``).
    public var lockTimeout: Double?
    /// `[database] transaction_mode` (`upgrade` or `migration`),
    /// `FERRY_TRANSACTION_MODE`, `--transaction-mode`.
    public var transactionMode: String?
    /// `[database] pg_bin`, `FERRY_PG_BIN`: the folder of PostgreSQL's
    /// `pg_dump`, `pg_restore` and `psql` for backups.
    public var postgresTools: String?
    /// `[backups] directory`, `FERRY_BACKUPS`, `--backups`.
    public var backups: String?
    /// `[backups] keep`, `FERRY_BACKUPS_KEEP` (range: ``NumberSetting/keepBackups``).
    public var keepBackups: Int?
    /// `[backups] keep_manual`, `FERRY_BACKUPS_KEEP_MANUAL`: manual backups
    /// retention keeps; unset keeps them all (range: ``NumberSetting/keepManualBackups``).
    public var keepManualBackups: Int?
    /// `[backups] check` (`full` or `quick`), `FERRY_BACKUPS_CHECK`, `--backup-check`.
    public var backupCheck: String?
    /// `FERRY_JSON`, `--json`: JSON output.
    public var json: Bool?
    /// `[database] fixtures`, `FERRY_FIXTURES`, `test-paths --fixtures`: the
    /// sample data folder.
    public var fixtures: String?
    /// `[preflight] keep_free_mb`, `FERRY_KEEP_FREE_MB`: megabytes that must
    /// stay free after the backup and the upgrade (range: ``NumberSetting/keepFreeMB``).
    public var keepFreeMB: Int?
    /// `[preflight] os_release`, `FERRY_OS_RELEASE`: the os-release file.
    public var osRelease: String?
    /// `[preflight] schema_drift`, `FERRY_SCHEMA_DRIFT`, `--no-schema-drift`:
    /// whether preflight and `verify` check for schema drift (default yes).
    public var schemaDrift: Bool?
    /// `[[verify]]` tables: invariants checked after every upgrade.
    public var invariants: [Invariant]?
    /// `[[requirement]]` tables: environment requirements.
    public var requirements: [Requirement]?
    /// `[[component]]` tables: installed components.
    public var components: [Component]?

    /// Creates settings; nil means not set here.
    public init(
        appName: String? = nil, release: String? = nil, minimumUpgradableFrom: String? = nil,
        database: String? = nil, migrations: String? = nil, lockTimeout: Double? = nil,
        transactionMode: String? = nil, backups: String? = nil, keepBackups: Int? = nil,
        backupCheck: String? = nil, json: Bool? = nil,
        fixtures: String? = nil, keepFreeMB: Int? = nil, osRelease: String? = nil, invariants: [Invariant]? = nil,
        requirements: [Requirement]? = nil, components: [Component]? = nil, postgresTools: String? = nil,
        create: Bool? = nil, keepManualBackups: Int? = nil, schemaDrift: Bool? = nil
    ) {
        self.schemaDrift = schemaDrift
        self.keepManualBackups = keepManualBackups
        self.create = create
        self.postgresTools = postgresTools
        self.fixtures = fixtures
        self.keepFreeMB = keepFreeMB
        self.osRelease = osRelease
        self.invariants = invariants
        self.requirements = requirements
        self.components = components
        self.appName = appName
        self.release = release
        self.minimumUpgradableFrom = minimumUpgradableFrom
        self.database = database
        self.migrations = migrations
        self.lockTimeout = lockTimeout
        self.transactionMode = transactionMode
        self.backups = backups
        self.keepBackups = keepBackups
        self.backupCheck = backupCheck
        self.json = json
    }

    /// These settings with every value that `other` sets taken from `other`.
    public func overridden(by other: Settings) -> Settings {
        Settings(
            appName: other.appName ?? appName, release: other.release ?? release,
            minimumUpgradableFrom: other.minimumUpgradableFrom ?? minimumUpgradableFrom,
            database: other.database ?? database, migrations: other.migrations ?? migrations,
            lockTimeout: other.lockTimeout ?? lockTimeout, transactionMode: other.transactionMode ?? transactionMode,
            backups: other.backups ?? backups,
            keepBackups: other.keepBackups ?? keepBackups, backupCheck: other.backupCheck ?? backupCheck,
            json: other.json ?? json,
            fixtures: other.fixtures ?? fixtures, keepFreeMB: other.keepFreeMB ?? keepFreeMB,
            osRelease: other.osRelease ?? osRelease, invariants: other.invariants ?? invariants,
            requirements: other.requirements ?? requirements, components: other.components ?? components,
            postgresTools: other.postgresTools ?? postgresTools, create: other.create ?? create,
            keepManualBackups: other.keepManualBackups ?? keepManualBackups,
            schemaDrift: other.schemaDrift ?? schemaDrift)
    }

    /// The keys `ferry.toml` may hold, by table.
    public static let fileKeys: [String: Set<String>] = [
        "app": ["name", "release", "minimum_upgradable_from"],
        "database": ["url", "migrations", "lock_timeout", "fixtures", "transaction_mode", "pg_bin", "create"],
        "backups": ["directory", "keep", "keep_manual", "check"],
        "preflight": ["keep_free_mb", "os_release", "schema_drift"],
        "verify": ["name", "query", "expect", "preserve", "releases"],
        "requirement": ["os", "engine", "unknown"],
        "component": ["name", "version", "compatible", "remove_before", "remove_after"],
    ]

    /// The tables of `fileKeys` written as arrays of tables (`[[verify]]`).
    public static let fileArrayTables: Set<String> = ["verify", "requirement", "component"]

    /// Reads `ferry.toml`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the file
    ///   cannot be read, is not TOML, has an unknown table or key, or a value
    ///   of the wrong type.
    public static func file(at url: URL) throws -> Settings {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw FerryError(
                .invalidConfiguration, "Cannot read the configuration file \(url.path).",
                advice: "Check the path given with --config or FERRY_CONFIG, or run 'ferry init' to write one.")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw FerryError(
                .invalidConfiguration,
                "\(url.path) is not valid TOML: \(error.description) at line \(error.source.begin.line), column \(error.source.begin.column).",
                advice: "Fix the file; nothing was changed.")
        }
        let reader = FileReader(path: url.path, table: table)
        try reader.checkKeys()
        // Relative paths in the file are relative to the file's folder.
        let folder = url.deletingLastPathComponent().standardizedFileURL
        func resolved(_ path: String?) -> String? {
            guard let path, !path.hasPrefix("/") else { return path }
            return folder.appendingPathComponent(path).standardizedFileURL.path
        }
        var database = try reader.string("database", "url")
        if let url = database, case .sqlite(let path) = try DatabaseLocation(parsing: url, relativeTo: folder) {
            database = path
        }
        return Settings(
            appName: try reader.string("app", "name"),
            release: try reader.string("app", "release"),
            minimumUpgradableFrom: try reader.string("app", "minimum_upgradable_from"),
            database: database,
            migrations: resolved(try reader.string("database", "migrations")) ?? folder.appendingPathComponent("migrations").path,
            lockTimeout: try reader.number(.lockTimeout),
            transactionMode: try reader.string("database", "transaction_mode"),
            backups: resolved(try reader.string("backups", "directory")),
            keepBackups: try reader.number(.keepBackups).map { Int($0) },
            backupCheck: try reader.string("backups", "check"),
            fixtures: resolved(try reader.string("database", "fixtures")),
            keepFreeMB: try reader.number(.keepFreeMB).map { Int($0) },
            osRelease: resolved(try reader.string("preflight", "os_release")),
            invariants: try reader.invariants(), requirements: try reader.requirements(),
            components: try reader.components(), postgresTools: resolved(try reader.string("database", "pg_bin")),
            create: try reader.bool("database", "create"),
            keepManualBackups: try reader.number(.keepManualBackups).map { Int($0) },
            schemaDrift: try reader.bool("preflight", "schema_drift"))
    }

    /// Reads the `FERRY_*` environment variables.
    ///
    /// - Throws: ``FerryError`` when a number or boolean does not parse.
    public static func environment(_ environment: [String: String]) throws -> Settings {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        func number(_ setting: NumberSetting) throws -> Double? {
            let name = setting.environmentVariable
            guard let text = value(name) else { return nil }
            return try setting.parsed(text, from: "\(name)=\(text)")
        }
        let keep = try number(.keepBackups).map { Int($0) }
        func boolean(_ name: String) throws -> Bool? {
            guard let text = value(name) else { return nil }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw FerryError(.invalidConfiguration, "\(name)=\(text) is not a boolean (1 or 0).")
            }
        }
        let json = try boolean("FERRY_JSON")
        return Settings(
            appName: value("FERRY_APP_NAME"), release: value("FERRY_RELEASE"),
            minimumUpgradableFrom: value("FERRY_MINIMUM_UPGRADABLE_FROM"), database: value("FERRY_DATABASE"),
            migrations: value("FERRY_MIGRATIONS"), lockTimeout: try number(.lockTimeout),
            transactionMode: value("FERRY_TRANSACTION_MODE"),
            backups: value("FERRY_BACKUPS"), keepBackups: keep,
            backupCheck: value("FERRY_BACKUPS_CHECK"), json: json, fixtures: value("FERRY_FIXTURES"),
            keepFreeMB: try number(.keepFreeMB).map { Int($0) }, osRelease: value("FERRY_OS_RELEASE"),
            postgresTools: value("FERRY_PG_BIN"), create: try boolean("FERRY_CREATE"),
            keepManualBackups: try number(.keepManualBackups).map { Int($0) },
            schemaDrift: try boolean("FERRY_SCHEMA_DRIFT"))
    }

    /// The transaction mode, `upgrade` (the default) or `migration`.
    ///
    /// - Throws: ``FerryError`` for another value.
    public func upgradeTransactionMode() throws -> TransactionMode {
        try transactionMode.map(TransactionMode.init(parsing:)) ?? .wholeUpgrade
    }

    /// The database location.
    ///
    /// - Throws: ``FerryError`` when none is set or it does not parse.
    public func databaseLocation() throws -> DatabaseLocation {
        guard let database else {
            throw FerryError(
                .invalidConfiguration, "No database is given.",
                advice: "Pass --database PATH (or postgres://…), set FERRY_DATABASE, or set [database] url in ferry.toml.")
        }
        return try DatabaseLocation(parsing: database)
    }

    /// Builds a configuration, with the engine made for the database location.
    ///
    /// - Parameter makeEngine: Makes the engine for a location; it throws for
    ///   a kind of database this program does not support.
    /// - Throws: ``FerryError`` for a missing database, a malformed release or
    ///   a negative number.
    public func configuration(
        makeEngine: (DatabaseLocation, Settings) throws -> any DatabaseEngine
    ) throws -> Ferry.Configuration {
        let location = try databaseLocation()
        let migrationsFolder = URL(fileURLWithPath: migrations ?? "migrations")
        var configuration = Ferry.Configuration(
            appName: appName ?? "app", engine: try makeEngine(location, self),
            migrationsDirectory: migrationsFolder)
        configuration.release = try release.map(Release.init(parsing:))
        configuration.minimumUpgradableFrom = try minimumUpgradableFrom.map(Release.init(parsing:))
        configuration.backupsDirectory = backups.map { URL(fileURLWithPath: $0) }
        configuration.fixturesDirectory = fixtures.map { URL(fileURLWithPath: $0) }
        configuration.invariants = invariants ?? []
        configuration.requirements = requirements ?? []
        configuration.components = components ?? []
        if let keepFreeMB {
            let megabytes = try NumberSetting.keepFreeMB.checked(Double(keepFreeMB), from: "Keeping \(keepFreeMB) MB free")
            configuration.keepFreeBytes = Int64(megabytes) * 1_000_000
        }
        if let osRelease { configuration.operatingSystemReleaseFile = URL(fileURLWithPath: osRelease) }
        if let keepBackups {
            let keep = try NumberSetting.keepBackups.checked(Double(keepBackups), from: "Keeping \(keepBackups) backups")
            configuration.backupsToKeep = Int(keep)
        }
        if let keepManualBackups {
            let keep = try NumberSetting.keepManualBackups.checked(
                Double(keepManualBackups), from: "Keeping \(keepManualBackups) manual backups")
            configuration.manualBackupsToKeep = Int(keep)
        }
        if let backupCheck { configuration.backupCheck = try BackupCheckLevel(parsing: backupCheck) }
        if let create { configuration.createsDatabase = create }
        if let schemaDrift { configuration.checksSchemaDrift = schemaDrift }
        if let lockTimeout {
            // Checked where it was read; checked again for settings made in code.
            let seconds = try NumberSetting.lockTimeout.checked(lockTimeout, from: "The lock timeout \(lockTimeout)")
            configuration.lockTimeout = .milliseconds(Int64(seconds * 1000))
        }
        return configuration
    }
}

/// Reads typed values from a parsed `ferry.toml`, with messages that name the key.
struct FileReader {
    let path: String
    let table: TOMLTable

    func checkKeys() throws {
        for key in table.keys {
            guard let known = Settings.fileKeys[key] else {
                throw FerryError(
                    .invalidConfiguration, "\(path): unknown table [\(key)].",
                    advice: "Known tables: " + Settings.fileKeys.keys.sorted().map { "[\($0)]" }.joined(separator: ", ") + ".")
            }
            if Settings.fileArrayTables.contains(key) {
                for (index, section) in try entries(key).enumerated() {
                    for inner in section.keys where !known.contains(inner) {
                        throw FerryError(
                            .invalidConfiguration, "\(path): unknown key '\(inner)' in [[\(key)]] number \(index + 1).",
                            advice: "Known keys in [[\(key)]]: \(known.sorted().joined(separator: ", ")).")
                    }
                }
                continue
            }
            guard let section = table[key]?.table else {
                throw FerryError(.invalidConfiguration, "\(path): \(key) must be a table, written [\(key)].")
            }
            for inner in section.keys where !known.contains(inner) {
                throw FerryError(
                    .invalidConfiguration, "\(path): unknown key '\(inner)' in [\(key)].",
                    advice: "Known keys in [\(key)]: \(known.sorted().joined(separator: ", ")).")
            }
        }
    }

    private func value(_ section: String, _ key: String) -> (any TOMLValueConvertible)? {
        table[section]?.table?[key]
    }

    func bool(_ section: String, _ key: String) throws -> Bool? {
        guard let value = value(section, key) else { return nil }
        guard let bool = value.bool else { throw typeError(section, key, "true or false") }
        return bool
    }

    func string(_ section: String, _ key: String) throws -> String? {
        guard let value = value(section, key) else { return nil }
        guard let string = value.string else { throw typeError(section, key, "a string in quotes") }
        return string
    }

    /// A number setting, checked against its range.
    func number(_ setting: NumberSetting) throws -> Double? {
        guard let value = value(setting.section, setting.key) else { return nil }
        let number: Double
        if let integer = value.int { number = Double(integer) }
        else if let double = value.double { number = double }
        else { throw typeError(setting.section, setting.key, setting.rangeText) }
        let written = value.int.map(String.init) ?? String(number)
        return try setting.checked(number, from: "\(setting.fileName) = \(written) in \(path)")
    }

    private func typeError(_ section: String, _ key: String, _ expected: String) -> FerryError {
        FerryError(.invalidConfiguration, "\(path): [\(section)] \(key) must be \(expected).")
    }
}
