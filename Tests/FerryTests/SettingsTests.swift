import Ferry
import Foundation
import FerryTestSupport
import Testing

@Suite struct SettingsTests {
    @Test func flagsBeatTheEnvironmentWhichBeatsTheFile() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("conf/ferry.toml", """
            [app]
            name = "sensorhub"
            release = "0.7.0"
            minimum_upgradable_from = "0.3.0"

            [database]
            url = "data/sensorhub.db"
            migrations = "migrations"
            lock_timeout = 5

            [backups]
            directory = "data/backups"
            keep = 4
            check = "quick"
            """)
        let fromFile = try Settings.file(at: file)
        let base = folder.url.appendingPathComponent("conf").standardizedFileURL.path
        #expect(fromFile.database == base + "/data/sensorhub.db")
        #expect(fromFile.migrations == base + "/migrations")
        #expect(fromFile.backups == base + "/data/backups")
        #expect(fromFile.keepBackups == 4)
        #expect(fromFile.backupCheck == .quick)
        #expect(fromFile.lockTimeout == 5)

        let environment = try Settings.environment(["FERRY_DATABASE": "env.db", "FERRY_BACKUPS_KEEP": "7", "FERRY_JSON": "1"])
        let flags = Settings { $0.database = "flag.db" }
        let merged = fromFile.overridden(by: environment).overridden(by: flags)
        #expect(merged.database == "flag.db")
        #expect(merged.keepBackups == 7)
        #expect(merged.json == true)
        #expect(merged.appName == "sensorhub")
        #expect(fromFile.overridden(by: environment).database == "env.db")

        let configuration = try merged.configuration { location, _ in
            #expect(location == "flag.db")
            return NoEngine()
        }
        #expect(configuration.release == Release(0, 7, 0))
        #expect(configuration.minimumUpgradableFrom == Release(0, 3, 0))
        #expect(configuration.lockTimeout == .seconds(5))
        #expect(configuration.backupsToKeep == 7)
        #expect(configuration.backupCheck == .quick)
        let full = try Settings.environment(["FERRY_BACKUPS_CHECK": "full"])
        #expect(try merged.overridden(by: full).configuration { _, _ in NoEngine() }.backupCheck == .full)
    }

    @Test func refusesAnUnknownBackupCheckLevel() throws {
        let error = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_DATABASE": "app.db", "FERRY_BACKUPS_CHECK": "fast"])
        }
        #expect(error.message.contains("'fast' is not a backup check level"))
        #expect(error.advice?.contains("quick") == true)
        #expect(error.category == .usage)
    }

    @Test(arguments: [
        ("[databse]\nurl = \"x\"", "unknown table [databse]"),
        ("[database]\nulr = \"x\"", "unknown key 'ulr'"),
        ("[backups]\nkeep = \"ten\"", "keep must be a whole number"),
        ("[app\nname = 1", "is not valid TOML"),
    ])
    func refusesBadFilesClearly(text: String, expected: String) throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("ferry.toml", text)
        let error = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(error.message.contains(expected))
        #expect(error.category == .usage)
    }

    @Test func readsDatabaseLocations() throws {
        let srv = URL(fileURLWithPath: "/srv")
        #expect(DatabaseLocation.scheme(of: "SQLite:data/app.db") == "sqlite")
        #expect(DatabaseLocation.scheme(of: "C:app.db") == nil)
        #expect(DatabaseLocation.resolving("app.db", against: srv) == "/srv/app.db")
        #expect(DatabaseLocation.resolving("sqlite:data/app.db", against: srv) == "sqlite:/srv/data/app.db")
        #expect(DatabaseLocation.resolving("/abs/app.db", against: srv) == "/abs/app.db")
        #expect(DatabaseLocation.resolving("postgres://db.local/app", against: srv) == "postgres://db.local/app")
        #expect(!DatabaseLocation.redactingPassword(in: "postgres://ferry:s3cret@db.local:5432/app").contains("s3cret"))
        #expect(throws: FerryError.self) { try DatabaseEngines([]).kind(for: "mysql://db/app") }
        #expect(throws: FerryError.self) { try Settings().databaseLocation() }
    }
}

/// An engine for tests that only build a configuration.
struct NoEngine: DatabaseEngine {
    var engineName: String { "none" }
    var displayName: String { "none" }
    func readState() async throws -> DatabaseState { .missing }
    func lockHolder() async throws -> LockHolder? { nil }
    func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void, _ body: () async throws -> Result
    ) async throws -> Result { try await body() }
    func withSession<Result: Sendable>(_ body: (any MigrationSession) async throws -> Result) async throws -> Result {
        throw FerryError(.databaseUnavailable, "No database in this test.")
    }
}

/// Every key of `ferry.toml` and every `FERRY_*` variable reaches its setting,
/// with flags over the environment over the file, for each one.
@Suite struct SettingKeysTests {
    @Test func theFileKeysAreTheContract() {
        #expect(Settings.fileKeys == [
            "app": ["name", "release", "minimum_upgradable_from"],
            "database": ["url", "migrations", "lock_timeout", "fixtures", "transaction_mode", "pg_bin", "create"],
            "backups": ["directory", "keep", "keep_manual", "check"],
            "preflight": ["keep_free_mb", "os_release", "schema_drift"],
            "verify": ["name", "query", "expect", "preserve", "releases"],
            "requirement": ["os", "engine", "unknown"],
            "component": ["name", "version", "compatible", "remove_before", "remove_after"],
        ])
        #expect(Settings.fileArrayTables == ["verify", "requirement", "component"])
    }

    @Test func everyKeyComesFromTheFileTheEnvironmentOrAFlagInThatOrder() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("conf/ferry.toml", """
            [app]
            name = "file-app"
            release = "1.0.0"
            minimum_upgradable_from = "0.1.0"

            [database]
            url = "file.db"
            migrations = "file-migrations"
            lock_timeout = 1
            transaction_mode = "migration"
            pg_bin = "file-bin"
            fixtures = "file-fixtures"
            create = true

            [backups]
            directory = "file-backups"
            keep = 1
            keep_manual = 1
            check = "quick"

            [preflight]
            keep_free_mb = 1
            os_release = "file-os-release"
            schema_drift = false

            [[component]]
            name = "bridge"
            """)
        let base = folder.url.appendingPathComponent("conf").standardizedFileURL.path
        let fromFile = try Settings.file(at: file)
        let expectedFromFile = Settings {
            $0.appName = "file-app"
            $0.release = "1.0.0"
            $0.minimumUpgradableFrom = "0.1.0"
            $0.database = base + "/file.db"
            $0.migrations = base + "/file-migrations"
            $0.lockTimeout = 1
            $0.transactionMode = .perMigration
            $0.postgresTools = base + "/file-bin"
            $0.fixtures = base + "/file-fixtures"
            $0.create = true
            $0.backups = base + "/file-backups"
            $0.keepBackups = 1
            $0.keepManualBackups = 1
            $0.backupCheck = .quick
            $0.keepFreeMB = 1
            $0.osRelease = base + "/file-os-release"
            $0.schemaDrift = false
            $0.components = [Component(name: "bridge")]
        }
        #expect(fromFile == expectedFromFile)

        let environment = try Settings.environment([
            "FERRY_APP_NAME": "env-app", "FERRY_RELEASE": "2.0.0", "FERRY_MINIMUM_UPGRADABLE_FROM": "0.2.0",
            "FERRY_DATABASE": "env.db", "FERRY_MIGRATIONS": "env-migrations", "FERRY_LOCK_TIMEOUT": "2",
            "FERRY_TRANSACTION_MODE": "upgrade", "FERRY_PG_BIN": "env-bin", "FERRY_FIXTURES": "env-fixtures",
            "FERRY_CREATE": "0", "FERRY_BACKUPS": "env-backups", "FERRY_BACKUPS_KEEP": "2",
            "FERRY_BACKUPS_KEEP_MANUAL": "2", "FERRY_BACKUPS_CHECK": "full", "FERRY_KEEP_FREE_MB": "2",
            "FERRY_OS_RELEASE": "env-os-release", "FERRY_SCHEMA_DRIFT": "1", "FERRY_JSON": "yes",
            "FERRY_UNRELATED": "x",
        ])
        let expectedFromEnvironment = Settings {
            $0.appName = "env-app"
            $0.release = "2.0.0"
            $0.minimumUpgradableFrom = "0.2.0"
            $0.database = "env.db"
            $0.migrations = "env-migrations"
            $0.lockTimeout = 2
            $0.transactionMode = .wholeUpgrade
            $0.postgresTools = "env-bin"
            $0.fixtures = "env-fixtures"
            $0.create = false
            $0.backups = "env-backups"
            $0.keepBackups = 2
            $0.keepManualBackups = 2
            $0.backupCheck = .full
            $0.keepFreeMB = 2
            $0.osRelease = "env-os-release"
            $0.schemaDrift = true
            $0.json = true
        }
        #expect(environment == expectedFromEnvironment)

        var merged = expectedFromEnvironment
        merged.components = [Component(name: "bridge")]
        #expect(fromFile.overridden(by: environment) == merged, "the environment beats the file, key by key")
        let flags = Settings { $0.database = "flag.db"; $0.lockTimeout = 3 }
        let final = fromFile.overridden(by: environment).overridden(by: flags)
        #expect(final.database == "flag.db")
        #expect(final.lockTimeout == 3)
        #expect(final.backups == "env-backups", "a flag not given leaves the value below it")
        #expect(fromFile.overridden(by: Settings()) == fromFile)
    }

    @Test func anEmptyVariableIsNotSetAndABadOneNamesItself() throws {
        #expect(try Settings.environment(["FERRY_DATABASE": "", "FERRY_TRANSACTION_MODE": ""]) == Settings())
        let mode = try #require(throws: FerryError.self) { try Settings.environment(["FERRY_TRANSACTION_MODE": "x"]) }
        #expect(mode.message.contains("'x' is not a transaction mode"))
        #expect(mode.category == .usage)
        let flag = try #require(throws: FerryError.self) { try Settings.environment(["FERRY_CREATE": "maybe"]) }
        #expect(flag.message == "FERRY_CREATE=maybe is not a boolean (1 or 0).")
        let folder = try TemporaryFolder()
        let file = try folder.write("ferry.toml", "[backups]\ncheck = \"fast\"\n")
        let level = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(level.message.hasPrefix("\(file.path): 'fast' is not a backup check level"), "\(level.message)")
        #expect(level.category == .usage)
    }
}
