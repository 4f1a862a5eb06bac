import Ferry
import FerryPostgres
import FerrySQLite
import FerryTestSupport
import Foundation
import Testing

/// Every key of `ferry.toml` and every `FERRY_*` variable reaches its setting,
/// with flags over the environment over the file, for each one: the core's
/// and those the engines the tool links declare (`pg_bin`).
@Suite struct SettingKeysTests {
    let engines = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])

    @Test func theFileKeysAreTheContract() {
        #expect(
            Settings.fileKeys(engines: engines) == [
                "app": ["name", "release", "minimum_upgradable_from"],
                "database": [
                    "url", "migrations", "lock_timeout", "fixtures", "transaction_mode", "pg_bin",
                    "create", "layout", "keep_history_table",
                ],
                "backups": ["directory", "keep", "keep_manual", "check"],
                "preflight": ["keep_free_mb", "os_release", "schema_drift"],
                "verify": ["name", "query", "expect", "preserve", "releases"],
                "requirement": ["os", "engine", "unknown"],
                "component": ["name", "version", "compatible", "remove_before", "remove_after"],
                "release": ["version", "through", "pattern"],
                "export": ["secret_columns"],
                "import": ["convert"],
                "import.convert": ["column", "from"],
                "server": ["token_file", "listen", "tls_certificate", "tls_key"],
                "transfer": ["name", "table", "owner", "references", "order", "unique"],
                "fleet": ["databases", "parallel", "canary", "continue_on_error", "report"],
            ])
        #expect(
            Settings.fileArrayTables == [
                "verify", "requirement", "component", "release", "import.convert", "transfer",
            ])
    }

    @Test func everyKeyComesFromTheFileTheEnvironmentOrAFlagInThatOrder() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "conf/ferry.toml",
            """
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
            layout = "goose"
            keep_history_table = true

            [backups]
            directory = "file-backups"
            keep = 1
            keep_manual = 1
            check = "quick"

            [preflight]
            keep_free_mb = 1
            os_release = "file-os-release"
            schema_drift = false

            [fleet]
            databases = "@tenants.txt"
            parallel = 3
            canary = 1
            continue_on_error = true
            report = "file-report.json"

            [[component]]
            name = "bridge"

            [[release]]
            version = "0.9.0"
            through = "00005"
            """)
        let base = folder.url.appendingPathComponent("conf").standardizedFileURL.path
        let fromFile = try Settings.file(at: file, engines: engines)
        let expectedFromFile = Settings {
            $0.appName = "file-app"
            $0.release = "1.0.0"
            $0.minimumUpgradableFrom = "0.1.0"
            $0.database = base + "/file.db"
            $0.migrations = base + "/file-migrations"
            $0.lockTimeout = 1
            $0.transactionMode = .perMigration
            $0.engineOptions = ["pg_bin": base + "/file-bin"]
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
            $0.layout = .goose
            $0.keepHistoryTable = true
            $0.releaseBoundaries = [ReleaseBoundary(release: Release(0, 9, 0), through: "00005")]
            $0.fleetDatabases = "@" + base + "/tenants.txt"
            $0.fleetParallel = 3
            $0.fleetCanary = 1
            $0.fleetContinuesOnError = true
            $0.fleetReport = base + "/file-report.json"
        }
        #expect(fromFile == expectedFromFile)

        let environment = try Settings.environment(
            [
                "FERRY_APP_NAME": "env-app", "FERRY_RELEASE": "2.0.0",
                "FERRY_MINIMUM_UPGRADABLE_FROM": "0.2.0",
                "FERRY_DATABASE": "env.db", "FERRY_MIGRATIONS": "env-migrations",
                "FERRY_LOCK_TIMEOUT": "2",
                "FERRY_TRANSACTION_MODE": "upgrade", "FERRY_PG_BIN": "env-bin",
                "FERRY_FIXTURES": "env-fixtures",
                "FERRY_CREATE": "0", "FERRY_BACKUPS": "env-backups", "FERRY_BACKUPS_KEEP": "2",
                "FERRY_BACKUPS_KEEP_MANUAL": "2", "FERRY_BACKUPS_CHECK": "full",
                "FERRY_KEEP_FREE_MB": "2",
                "FERRY_OS_RELEASE": "env-os-release", "FERRY_SCHEMA_DRIFT": "1",
                "FERRY_JSON": "yes", "FERRY_LAYOUT": "golang-migrate",
                "FERRY_KEEP_HISTORY_TABLE": "0",
                "FERRY_DATABASES": "env/*.db", "FERRY_PARALLEL": "2", "FERRY_CANARY": "0",
                "FERRY_CONTINUE_ON_ERROR": "0", "FERRY_REPORT": "env-report.json",
                "FERRY_UNRELATED": "x",
            ], engines: engines)
        let expectedFromEnvironment = Settings {
            $0.appName = "env-app"
            $0.release = "2.0.0"
            $0.minimumUpgradableFrom = "0.2.0"
            $0.database = "env.db"
            $0.migrations = "env-migrations"
            $0.lockTimeout = 2
            $0.transactionMode = .wholeUpgrade
            $0.engineOptions = ["pg_bin": "env-bin"]
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
            $0.layout = .golangMigrate
            $0.keepHistoryTable = false
            $0.fleetDatabases = "env/*.db"
            $0.fleetParallel = 2
            $0.fleetCanary = 0
            $0.fleetContinuesOnError = false
            $0.fleetReport = "env-report.json"
        }
        #expect(environment == expectedFromEnvironment)

        var merged = expectedFromEnvironment
        merged.components = [Component(name: "bridge")]
        merged.releaseBoundaries = expectedFromFile.releaseBoundaries
        #expect(
            fromFile.overridden(by: environment) == merged,
            "the environment beats the file, key by key")
        let flags = Settings {
            $0.database = "flag.db"
            $0.lockTimeout = 3
        }
        let final = fromFile.overridden(by: environment).overridden(by: flags)
        #expect(final.database == "flag.db")
        #expect(final.lockTimeout == 3)
        #expect(final.backups == "env-backups", "a flag not given leaves the value below it")
        #expect(
            fromFile.overridden(by: Settings { $0.engineOptions = ["pg_bin": "flag-bin"] })
                .engineOptions == ["pg_bin": "flag-bin"],
            "an engine's option is overridden like any other")
        #expect(
            fromFile.overridden(by: Settings { $0.database = "flag.db" }).engineOptions
                == fromFile.engineOptions)
        #expect(fromFile.overridden(by: Settings()) == fromFile)
    }

    @Test func anEmptyVariableIsNotSetAndABadOneNamesItself() throws {
        #expect(
            try Settings.environment(["FERRY_DATABASE": "", "FERRY_TRANSACTION_MODE": ""])
                == Settings())
        let mode = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_TRANSACTION_MODE": "x"])
        }
        #expect(mode.message.contains("'x' is not a transaction mode"))
        #expect(mode.category == .usage)
        let flag = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_CREATE": "maybe"])
        }
        #expect(flag.message == "FERRY_CREATE=maybe is not a boolean (1 or 0).")
        let folder = try TemporaryFolder()
        let file = try folder.write("ferry.toml", "[backups]\ncheck = \"fast\"\n")
        let level = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(
            level.message.hasPrefix("\(file.path): 'fast' is not a backup check level"),
            "\(level.message)")
        #expect(level.category == .usage)
    }
}

/// An engine's setting is known only to a program that links the engine: the
/// core alone refuses `pg_bin` with the same message as any unknown key.
@Suite struct EngineSettingKeysTests {
    @Test func aKeyOfAnEngineNotLinkedIsAnUnknownKey() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml", "[database]\nurl = \"app.db\"\npg_bin = \"bin\"\n")
        let sqliteOnly = DatabaseEngines([SQLiteEngine.kind])
        let error = try #require(throws: FerryError.self) {
            try Settings.file(at: file, engines: sqliteOnly)
        }
        #expect(error.message == "\(file.path): unknown key 'pg_bin' in [database].")
        #expect(
            error.advice
                == "Known keys in [database]: create, fixtures, keep_history_table, layout, lock_timeout, "
                + "migrations, transaction_mode, url.")
        #expect(
            try Settings.environment(["FERRY_PG_BIN": "bin"], engines: sqliteOnly) == Settings())

        let tool = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])
        let bin = folder.url.standardizedFileURL.path + "/bin"
        #expect(try Settings.file(at: file, engines: tool).engineOptions == ["pg_bin": bin])
        let postgres = try Settings.file(at: file, engines: tool)
            .overridden(by: try Settings.environment(["FERRY_PG_BIN": "/env/bin"], engines: tool))
            .overridden(by: Settings { $0.database = "postgres://db/app" })
            .configuration(engines: tool)
        #expect(
            (postgres.engine as? PostgresEngine)?.toolsFolder?.path == "/env/bin",
            "the environment beats the file")
    }

    @Test func theToolKnowsTheKeysOfTheEnginesItLinks() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/0.1.0/001_init.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
        try folder.write("ferry.toml", "[database]\nurl = \"app.db\"\npg_bin = \"bin\"\n")
        let status = try await FerryProcess.run(["status"], in: folder.url)
        #expect(status.status == 0, "\(status)")
        try folder.write("ferry.toml", "[database]\nurl = \"app.db\"\npg_bn = \"bin\"\n")
        let typo = try await FerryProcess.run(["status"], in: folder.url)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown key 'pg_bn' in [database]."), "\(typo)")
        #expect(
            typo.stderr.contains(
                "Known keys in [database]: create, fixtures, keep_history_table, layout, lock_timeout, migrations, "
                    + "pg_bin, transaction_mode, url."
            ))
        #expect(
            !FileManager.default.fileExists(
                atPath: folder.url.appendingPathComponent("app.db").path))
    }
}
