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
    public var transactionMode: TransactionMode?
    /// The engines' own settings by key, such as the folder of an engine's
    /// tools: those that the engines given to ``file(at:engines:)`` and
    /// ``environment(_:engines:)`` declare (``DatabaseEngineKind/settings``).
    public var engineOptions: [String: String] = [:]
    /// `[backups] directory`, `FERRY_BACKUPS`, `--backups`.
    public var backups: String?
    /// `[backups] keep`, `FERRY_BACKUPS_KEEP` (range: ``NumberSetting/keepBackups``).
    public var keepBackups: Int?
    /// `[backups] keep_manual`, `FERRY_BACKUPS_KEEP_MANUAL`: manual backups
    /// retention keeps; unset keeps them all (range: ``NumberSetting/keepManualBackups``).
    public var keepManualBackups: Int?
    /// `[backups] check` (`full` or `quick`), `FERRY_BACKUPS_CHECK`, `--backup-check`.
    public var backupCheck: BackupCheckLevel?
    /// `FERRY_JSON`, `--json`: JSON output.
    public var json: Bool?
    /// `[fleet] databases`, `FERRY_DATABASES`, `--databases`: the databases
    /// a fleet run works on (``FleetSpec``); a relative path in the file is
    /// relative to the file's folder, also after `@`.
    public var fleetDatabases: String?
    /// `[fleet] parallel`, `FERRY_PARALLEL`, `--parallel`: databases at once.
    public var fleetParallel: Int?
    /// `[fleet] canary`, `FERRY_CANARY`, `--canary`: databases that go first.
    public var fleetCanary: Int?
    /// `[fleet] continue_on_error`, `FERRY_CONTINUE_ON_ERROR`,
    /// `--continue-on-error`: go on after a database fails.
    public var fleetContinuesOnError: Bool?
    /// `[fleet] report`, `FERRY_REPORT`, `--report`: the fleet report file.
    public var fleetReport: String?
    /// `[database] layout`, `FERRY_LAYOUT`, `--layout`: the migrations
    /// folder's layout; unset detects it.
    public var layout: MigrationLayout?
    /// `[database] keep_history_table`, `FERRY_KEEP_HISTORY_TABLE`,
    /// `--keep-history-table`: keep the layout's tool's history table in step.
    public var keepHistoryTable: Bool?
    /// `[[release]]` tables: where releases end in another tool's folder.
    public var releaseBoundaries: [ReleaseBoundary]?
    /// `[[release]] pattern`: reads releases out of another tool's file names.
    public var releasePatterns: [ReleasePattern]?
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
    /// `[export] secret_columns` (`table.column` each),
    /// `FERRY_EXPORT_SECRET_COLUMNS` (separated by commas).
    public var secretColumns: [String]?
    /// `[[import.convert]]`: how an import reads numbers under date and time columns.
    public var importConversions: [ImportConversionRule]?
    /// `[[verify]]` tables: invariants checked after every upgrade.
    public var invariants: [Invariant]?
    /// `[[requirement]]` tables: environment requirements.
    public var requirements: [Requirement]?
    /// `[[component]]` tables: installed components.
    public var components: [Component]?
    /// `[server] token_file`, `FERRY_SERVER_TOKEN_FILE`: the admin server's
    /// bearer token, in a file only its owner reads (0600).
    public var serverTokenFile: String?
    /// `FERRY_SERVER_TOKEN`: the admin server's bearer token itself (never in
    /// `ferry.toml`, which is often shared or committed).
    public var serverToken: String?
    /// `[server] listen`, `FERRY_SERVER_LISTEN`, `--listen`: the admin
    /// server's address, `127.0.0.1:40406` by default.
    public var serverListen: String?
    /// `[server] tls_certificate`, `FERRY_SERVER_TLS_CERTIFICATE`: the admin
    /// server's certificate chain (PEM); with ``serverTLSKey`` it serves HTTPS.
    public var serverTLSCertificate: String?
    /// `[server] tls_key`, `FERRY_SERVER_TLS_KEY`: the certificate's private key (PEM).
    public var serverTLSKey: String?
    /// `[[transfer]]` tables: what `ferry transfer` may move.
    public var transfers: [TransferDefinition]?

    /// Creates settings that set nothing.
    public init() {}

    /// Creates settings with the values `set` sets; nil means not set here.
    ///
    /// ```swift
    /// let flags = Settings { $0.database = "app.db"; $0.lockTimeout = 5 }
    /// ```
    public init(_ set: (inout Settings) throws -> Void) rethrows {
        try set(&self)
    }

    /// Every setting of the core, once: its key in `ferry.toml`, its
    /// `FERRY_*` variable and the property it fills. The file, the
    /// environment, the unknown-key check and ``overridden(by:)`` all read
    /// this list, with the engines' settings added (``keys(engines:)``).
    static let keys: [SettingKey] = [
        .text(\.appName, "app", "name", environment: "FERRY_APP_NAME"),
        .text(\.release, "app", "release", environment: "FERRY_RELEASE"),
        .text(
            \.minimumUpgradableFrom, "app", "minimum_upgradable_from",
            environment: "FERRY_MINIMUM_UPGRADABLE_FROM"),
        SettingKey(
            \.database, file: .key(table: "database", name: "url"),
            environment: "FERRY_DATABASE",
            fromFile: { reader in try reader.string("database", "url").map(reader.databaseURL)
            },
            fromText: { text, _ in text }),
        .path(\.migrations, "database", "migrations", environment: "FERRY_MIGRATIONS"),
        .flag(\.create, "database", "create", environment: "FERRY_CREATE"),
        .number(\.lockTimeout, .lockTimeout),
        .choice(
            \.transactionMode, "database", "transaction_mode",
            environment: "FERRY_TRANSACTION_MODE",
            parse: TransactionMode.init(parsing:)),
        .path(\.fixtures, "database", "fixtures", environment: "FERRY_FIXTURES"),
        .choice(
            \.layout, "database", "layout", environment: "FERRY_LAYOUT",
            parse: MigrationLayout.init(parsing:)),
        .flag(
            \.keepHistoryTable, "database", "keep_history_table",
            environment: "FERRY_KEEP_HISTORY_TABLE"),
        .path(\.backups, "backups", "directory", environment: "FERRY_BACKUPS"),
        .count(\.keepBackups, .keepBackups),
        .count(\.keepManualBackups, .keepManualBackups),
        .choice(
            \.backupCheck, "backups", "check", environment: "FERRY_BACKUPS_CHECK",
            parse: BackupCheckLevel.init(parsing:)),
        .count(\.keepFreeMB, .keepFreeMB),
        .path(\.osRelease, "preflight", "os_release", environment: "FERRY_OS_RELEASE"),
        .flag(\.schemaDrift, "preflight", "schema_drift", environment: "FERRY_SCHEMA_DRIFT"),
        .flag(\.json, environment: "FERRY_JSON"),
        SettingKey(
            \.fleetDatabases, file: .key(table: "fleet", name: "databases"),
            environment: "FERRY_DATABASES",
            fromFile: { reader in
                try reader.string("fleet", "databases").map { spec in
                    spec.hasPrefix("@")
                        ? "@" + reader.resolved(String(spec.dropFirst()))
                        : reader.resolved(spec)
                }
            },
            fromText: { text, _ in text }),
        .count(\.fleetParallel, .fleetParallel),
        .count(\.fleetCanary, .fleetCanary),
        .flag(
            \.fleetContinuesOnError, "fleet", "continue_on_error",
            environment: "FERRY_CONTINUE_ON_ERROR"),
        .path(\.fleetReport, "fleet", "report", environment: "FERRY_REPORT"),
        .texts(
            \.secretColumns, "export", "secret_columns",
            environment: "FERRY_EXPORT_SECRET_COLUMNS"),
        .tables(
            \.invariants, "verify", keys: ["name", "query", "expect", "preserve", "releases"]
        ) {
            try $0.invariants()
        },
        .tables(\.requirements, "requirement", keys: ["os", "engine", "unknown"]) {
            try $0.requirements()
        },
        .tables(
            \.components, "component",
            keys: ["name", "version", "compatible", "remove_before", "remove_after"]
        ) { try $0.components() },
        .tables(\.releaseBoundaries, "release", keys: ["version", "through"]) {
            try $0.releaseBoundaries()
        },
        .tables(\.releasePatterns, "release", keys: ["pattern"]) { try $0.releasePatterns() },
        .tables(\.importConversions, "import.convert", keys: ["column", "from"]) {
            try $0.importConversions()
        },
        .path(
            \.serverTokenFile, "server", "token_file", environment: "FERRY_SERVER_TOKEN_FILE"),
        SettingKey(
            \.serverToken, file: .none, environment: "FERRY_SERVER_TOKEN",
            fromFile: { _ in nil }, fromText: { text, _ in text }),
        .text(\.serverListen, "server", "listen", environment: "FERRY_SERVER_LISTEN"),
        .path(
            \.serverTLSCertificate, "server", "tls_certificate",
            environment: "FERRY_SERVER_TLS_CERTIFICATE"),
        .path(\.serverTLSKey, "server", "tls_key", environment: "FERRY_SERVER_TLS_KEY"),
        .tables(
            \.transfers, "transfer",
            keys: ["name", "table", "owner", "references", "order", "unique"]
        ) { try $0.transfers() },
    ]

    /// The core's settings and those the kinds of `engines` declare, each
    /// once (two engines may read the same setting).
    static func keys(engines: DatabaseEngines) -> [SettingKey] {
        var declared: Set<EngineSetting> = []
        let engineKeys = engines.kinds.flatMap(\.settings).filter { declared.insert($0).inserted }
            .map { setting in
                let property = \Settings.engineOptions[setting.key]
                return setting.isPath
                    ? SettingKey.path(
                        property, setting.table, setting.key,
                        environment: setting.environmentVariable)
                    : SettingKey.text(
                        property, setting.table, setting.key,
                        environment: setting.environmentVariable)
            }
        return keys + engineKeys
    }

    /// These settings with every value that `other` sets taken from `other`.
    public func overridden(by other: Settings) -> Settings {
        var settings = self
        for key in Self.keys { key.copy(from: other, into: &settings) }
        settings.engineOptions.merge(other.engineOptions) { _, theirs in theirs }
        return settings
    }

    /// The keys `ferry.toml` may hold, by table, for a program that links `engines`.
    package static func fileKeys(engines: DatabaseEngines) -> [String: Set<String>] {
        keys(engines: engines).reduce(into: [:]) { known, key in
            switch key.filePlace {
            case .none: break
            case .key(let table, let name): known[table, default: []].insert(name)
            case .arrayOfTables(let name, let keys):
                known[name, default: []].formUnion(keys)
                // `[[import.convert]]` is the key `convert` of the table `[import]`.
                if let dot = name.firstIndex(of: ".") {
                    known[String(name[..<dot]), default: []].insert(
                        String(name[name.index(after: dot)...]))
                }
            }
        }
    }

    /// The tables of `ferry.toml` written as arrays of tables (`[[verify]]`).
    package static var fileArrayTables: Set<String> {
        Set(
            keys.compactMap { key in
                guard case .arrayOfTables(let name, _) = key.filePlace else { return nil }
                return name
            })
    }

    /// Reads `ferry.toml`: the core's keys and those the kinds of `engines` declare.
    ///
    /// - Parameters:
    ///   - url: The file.
    ///   - engines: The engines the program links; their settings (such as
    ///     the folder of an engine's tools) are known keys.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the file
    ///   cannot be read, is not TOML, has an unknown table or key, or a value
    ///   of the wrong type.
    public static func file(
        at url: URL, engines: DatabaseEngines = DatabaseEngines([])
    ) throws -> Settings {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw FerryError(
                .invalidConfiguration, "Cannot read the configuration file \(url.path).",
                advice:
                    "Check the path given with \(.configurationFile), or run \(run: .initialize) to write one."
            )
        }
        if let trap = TOMLAssertionGuard.firstTrap(in: text) {
            throw FerryError(
                .invalidConfiguration,
                "\(url.path) is not valid TOML: at line \(trap.line), \(trap.problem).",
                advice: "Fix the file, then run the command again.")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw FerryError(
                .invalidConfiguration,
                "\(url.path) is not valid TOML: \(error.description) at line \(error.source.begin.line), column \(error.source.begin.column).",
                advice: "Fix the file, then run the command again.")
        }
        let reader = FileReader(path: url.path, table: table)
        try reader.checkKeys(known: fileKeys(engines: engines))
        var settings = Settings()
        for key in keys(engines: engines) { try key.read(from: reader, into: &settings) }
        // The migrations folder defaults to `migrations` beside the file.
        settings.migrations = settings.migrations ?? reader.resolved("migrations")
        return settings
    }

    /// Reads the `FERRY_*` environment variables, the core's and those the
    /// kinds of `engines` declare; an empty one counts as not set.
    ///
    /// - Parameters:
    ///   - environment: The process's environment.
    ///   - engines: The engines the program links, whose variables are
    ///     read too.
    /// - Throws: ``FerryError`` when a number, boolean or name does not parse.
    public static func environment(
        _ environment: [String: String], engines: DatabaseEngines = DatabaseEngines([])
    ) throws -> Settings {
        var settings = Settings()
        for key in keys(engines: engines) {
            try key.read(environment: environment, into: &settings)
        }
        return settings
    }

    /// The transaction mode, `upgrade` (the default) or `migration`.
    package func upgradeTransactionMode() -> TransactionMode {
        transactionMode ?? .wholeUpgrade
    }

    /// The database location, as given: the engine that opens it parses it.
    ///
    /// - Throws: ``FerryError`` when none is set.
    package func databaseLocation() throws -> String {
        guard let database else {
            throw FerryError(
                .invalidConfiguration, "No database is given.",
                advice:
                    "Pass \(.database, .placeholder) (or postgres://…), set FERRY_DATABASE, or set [database] url in ferry.toml."
            )
        }
        return database
    }

    /// Builds a configuration, with the engine that one of `engines` makes
    /// for the database location.
    ///
    /// - Throws: ``FerryError`` for a missing database, a location no engine
    ///   opens, a malformed release or a negative number.
    public func configuration(engines: DatabaseEngines) throws -> Ferry.Configuration {
        try configuration { location, settings in
            try engines.engine(for: location, settings: settings)
        }
    }

    /// Builds a configuration, with the engine made for the database location.
    ///
    /// - Parameter makeEngine: Makes the engine for the location as given; it
    ///   throws for a kind of database this program does not support.
    /// - Throws: ``FerryError`` for a missing database, a malformed release or
    ///   a negative number.
    public func configuration(
        makeEngine: (String, Settings) throws -> any DatabaseEngine
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
        configuration.migrationLayout = layout
        configuration.releaseBoundaries = releaseBoundaries ?? []
        let patterns = releasePatterns ?? []
        guard patterns.count <= 1, patterns.isEmpty || configuration.releaseBoundaries.isEmpty
        else {
            throw FerryError(
                .invalidConfiguration,
                "[[release]] gives releases by a pattern and also another way: keep one pattern alone, or version and through tables."
            )
        }
        configuration.releasePattern = patterns.first
        configuration.invariants = invariants ?? []
        configuration.requirements = requirements ?? []
        configuration.components = components ?? []
        configuration.transfers = transfers ?? []
        configuration.exportSecretColumns = secretColumns ?? []
        configuration.importConversions = importConversions ?? []
        if let keepFreeMB {
            let megabytes = try NumberSetting.keepFreeMB.checked(
                Double(keepFreeMB), from: "Keeping \(keepFreeMB) MB free")
            configuration.keepFreeBytes = Int64(megabytes) * 1_000_000
        }
        if let osRelease {
            configuration.operatingSystemReleaseFile = URL(fileURLWithPath: osRelease)
        }
        if let keepBackups {
            let keep = try NumberSetting.keepBackups.checked(
                Double(keepBackups), from: "Keeping \(keepBackups) backups")
            configuration.backupsToKeep = Int(keep)
        }
        if let keepManualBackups {
            let keep = try NumberSetting.keepManualBackups.checked(
                Double(keepManualBackups), from: "Keeping \(keepManualBackups) manual backups")
            configuration.manualBackupsToKeep = Int(keep)
        }
        if let backupCheck { configuration.backupCheck = backupCheck }
        if let create { configuration.createsDatabase = create }
        if let schemaDrift { configuration.checksSchemaDrift = schemaDrift }
        if let keepHistoryTable { configuration.keepsHistoryTable = keepHistoryTable }
        if let lockTimeout {
            // Checked where it was read; checked again for settings made in code.
            let seconds = try NumberSetting.lockTimeout.checked(
                lockTimeout, from: "The lock timeout \(lockTimeout)")
            configuration.lockTimeout = .milliseconds(Int64(seconds * 1000))
        }
        return configuration
    }
}

/// Reads typed values from a parsed `ferry.toml`, with messages that name the key.
struct FileReader {
    let path: String
    let table: TOMLTable

    /// Refuses a table or key not in `fileKeys` (the keys by table).
    func checkKeys(known fileKeys: [String: Set<String>]) throws {
        for key in table.keys {
            guard let known = fileKeys[key] else {
                throw FerryError(
                    .invalidConfiguration, "\(path): unknown table [\(key)].",
                    advice: "Known tables: "
                        + fileKeys.keys.sorted().map { "[\($0)]" }.joined(separator: ", ") + ".")
            }
            if Settings.fileArrayTables.contains(key) {
                try checkEntries(key, known: known)
                continue
            }
            guard let section = table[key]?.table else {
                throw FerryError(
                    .invalidConfiguration, "\(path): \(key) must be a table, written [\(key)].")
            }
            for inner in section.keys where !known.contains(inner) {
                throw FerryError(
                    .invalidConfiguration, "\(path): unknown key '\(inner)' in [\(key)].",
                    advice: "Known keys in [\(key)]: \(known.sorted().joined(separator: ", ")).")
            }
            for inner in section.keys where Settings.fileArrayTables.contains("\(key).\(inner)") {
                try checkEntries("\(key).\(inner)", known: fileKeys["\(key).\(inner)"] ?? [])
            }
        }
    }

    /// Refuses a key that the entries of an array of tables may not hold.
    private func checkEntries(_ key: String, known: Set<String>) throws {
        for (index, section) in try entries(key).enumerated() {
            for inner in section.keys where !known.contains(inner) {
                throw FerryError(
                    .invalidConfiguration,
                    "\(path): unknown key '\(inner)' in [[\(key)]] number \(index + 1).",
                    advice: "Known keys in [[\(key)]]: \(known.sorted().joined(separator: ", ")).")
            }
        }
    }

    /// A path of the file made absolute: relative to the file's folder.
    func resolved(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let folder = URL(fileURLWithPath: self.path).deletingLastPathComponent().standardizedFileURL
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// `[database] url`: a path in it is relative to the file's folder.
    func databaseURL(_ text: String) -> String {
        DatabaseLocation.resolving(
            text,
            against: URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL)
    }

    /// Runs `work`, naming the file in a Ferry error's message.
    func located<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch var error as FerryError {
            error.markedMessage = "\(path): \(error.markedMessage)"
            throw error
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

    /// A list of strings, such as `["users.password_hash"]`.
    func strings(_ section: String, _ key: String) throws -> [String]? {
        guard let value = value(section, key) else { return nil }
        guard let array = value.array else {
            throw typeError(section, key, "a list of strings in quotes")
        }
        return try array.map { element in
            guard let string = element.string else {
                throw typeError(section, key, "a list of strings in quotes")
            }
            return string
        }
    }

    /// A number setting, checked against its range.
    func number(_ setting: NumberSetting) throws -> Double? {
        guard let value = value(setting.section, setting.key) else { return nil }
        let number: Double
        if let integer = value.int {
            number = Double(integer)
        } else if let double = value.double {
            number = double
        } else {
            throw typeError(setting.section, setting.key, setting.rangeText)
        }
        let written = value.int.map(String.init) ?? String(number)
        return try setting.checked(number, from: "\(setting.fileName) = \(written) in \(path)")
    }

    private func typeError(_ section: String, _ key: String, _ expected: String) -> FerryError {
        FerryError(.invalidConfiguration, "\(path): [\(section)] \(key) must be \(expected).")
    }
}
