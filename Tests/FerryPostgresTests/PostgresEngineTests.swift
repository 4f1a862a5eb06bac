import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// The PostgreSQL engine on a real server: transactions and their modes,
/// statements PostgreSQL refuses in a transaction, deferred constraints, the
/// server's messages, the lock, privileges, and a database that is missing.
/// Every test has a database of its own.
@Suite(
    "PostgreSQL engine", .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresEngineTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func configuration(_ database: TestDatabase, release: String? = nil) throws
        -> Ferry.Configuration
    {
        var configuration = Ferry.Configuration(
            appName: "test", engine: database.engine,
            migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
        configuration.release = try release.map(Release.init(parsing:))
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    @Test func anUpgradeThatNeedsABackupIsRefusedWithoutABackupFolder() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/0.1.0/001_app_data.sql",
                "CREATE TABLE app_data (id bigint PRIMARY KEY); INSERT INTO app_data VALUES (1);")
            try await Ferry(try configuration(database)).upgrade()
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
            let before = try await database.snapshot()
            var configuration = try configuration(database)
            configuration.backupsDirectory = nil

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(error.code == .preflightRefused)
            #expect(error.category == .refused)
            #expect(error.message.contains("no backup folder"))
            #expect(
                error.message.contains("pass Configuration.backupsDirectory, set FERRY_BACKUPS"))
            #expect(try await database.snapshot() == before)
        }
    }

    /// The statements psql runs for a script, read from its single-step mode,
    /// which frames each statement before sending it.
    func psqlStatements(of file: URL, in database: TestDatabase) async throws -> [String] {
        let output = try await database.psql([
            "-v", "ON_ERROR_STOP=0", "-s", "-o", "/dev/null", "-f", file.path,
        ])
        let opening =
            "***(Single step mode: verify command)*******************************************\n"
        let closing =
            "\n***(press return to proceed or enter x and return to cancel)********************"
        return output.components(separatedBy: opening).dropFirst().compactMap { block in
            block.range(of: closing).map { String(block[..<$0.lowerBound]) }
        }
    }

    /// A statement without its comments, final `;` and layout, so that
    /// psql's framing (which keeps leading block comments) and Ferry's compare.
    func normalized(_ statement: String) -> String {
        var text = statement.replacingOccurrences(
            of: "--[^\n]*", with: "", options: .regularExpression)
        text = text.replacingOccurrences(
            of: "(?s)/\\*.*?\\*/", with: "", options: .regularExpression)
        text = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return text.hasSuffix(";")
            ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text
    }

    @Test func theSplitterAgreesWithPsqlOnEveryExampleScriptAndATrickyOne() async throws {
        try await withTestDatabase(.postgres) { database in
            let tricky = try database.folder.write(
                "tricky.sql",
                #"""
                -- a leading line comment
                CREATE TABLE "semi;colon" ("a ""b"";" text);
                INSERT INTO "semi;colon" VALUES (E'it\'s; here'), ('it''s; there'), ($$dollar; $$), ($tag$ $$; $tag$);
                SELECT /* outer /* nested; */ still; */ count(*) FROM "semi;colon";
                CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql
                BEGIN ATOMIC
                  SELECT CASE WHEN x > 0 THEN x + 1 ELSE 0 END;
                END;
                DO $do$ BEGIN RAISE NOTICE 'semi; colon'; END $do$;
                ;;
                SELECT add_one(41) -- a trailing comment; with a semicolon
                """#)
            let example = ExampleApplication.migrations(for: .postgres)
            let scripts =
                try FileManager.default.subpathsOfDirectory(atPath: example.path)
                .filter { $0.hasSuffix(".sql") }.sorted()
                .map { example.appendingPathComponent($0) }
                + ExampleApplication.releases.map { ExampleApplication.fixture($0, for: .postgres) }
                + [
                    tricky
                ]
            #expect(scripts.count == 34)
            for script in scripts {
                let ours = try PostgresScriptSplitter.split(
                    String(contentsOf: script, encoding: .utf8))
                let psqls = try await psqlStatements(of: script, in: database)
                // psql also sends the empty statements (";;") that Ferry leaves out.
                #expect(
                    ours.map { normalized($0.text) }
                        == psqls.map(normalized).filter { !$0.isEmpty },
                    "\(script.lastPathComponent)")
                #expect(!ours.isEmpty)
            }
        }
    }

    @Test func anEngineRequirementComparesTheServersVersion() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            try database.folder.write(
                "migrations/1.1.0/001_more.sql", "CREATE TABLE more (id bigint PRIMARY KEY);")
            var configuration = try configuration(database)
            configuration.requirements = [
                try Requirement(parsing: "postgresql >= 99", subject: .engine)
            ]

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(database.upgradeOptions())
            }
            #expect(error.code == .preflightRefused)
            #expect(
                error.message.contains("postgresql") && error.message.contains("99"), "\(error)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")

            configuration.requirements = [
                try Requirement(parsing: "postgresql >= 12", subject: .engine)
            ]
            try await Ferry(configuration).upgrade(database.upgradeOptions())
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.1.0")
        }
    }

    @Test func aFileMarkedNoTransactionRunsAloneAndTheRestInOneTransaction() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql",
                """
                CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100) AS i;
                """)
            // CREATE INDEX CONCURRENTLY fails inside a transaction: this passes only if it runs alone.
            try database.folder.write(
                "migrations/1.0.0/002_index.sql",
                """
                -- ferry:no-transaction
                CREATE INDEX CONCURRENTLY items_name ON items (name);
                VACUUM ANALYZE items;
                """)
            try database.folder.write(
                "migrations/1.0.0/003_more.sql", "CREATE TABLE more (id bigint PRIMARY KEY);")

            let report = try await Ferry(configuration(database)).upgrade(database.upgradeOptions())

            #expect(report.applied == ["1.0.0/001_items", "1.0.0/002_index", "1.0.0/003_more"])
            #expect(
                try await database.scalar(
                    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass")
                    == "t")
            #expect(
                try await database.scalar(
                    "SELECT kind FROM ferry_migrations WHERE id = '1.0.0/002_index'")
                    == "sql-no-transaction")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
        }
    }

    @Test func aFailureInAFileWithoutTransactionRestoresThePreUpgradeBackup() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY, name text);")
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            try database.folder.write(
                "migrations/1.1.0/001_indexes.sql",
                """
                -- ferry:no-transaction
                CREATE INDEX CONCURRENTLY items_name ON items (name);
                CREATE INDEX CONCURRENTLY things_name ON things (name);
                """)

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }

            #expect(error.location?.line == 3)
            #expect(
                error.changes?.contains("1.1.0/001_indexes runs outside any transaction") == true)
            #expect(
                error.changes?.contains("Ferry restored the pre-upgrade backup") == true, "\(error)"
            )
            // The index the first statement built and committed went with the restore.
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_name'")
                    == "0")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE release = '1.1.0'")
                    == "0")
        }
    }

    @Test func aStatementThatRefusesTransactionsSaysWhichMarkerFixesIt() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY, name text);")
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            try database.folder.write(
                "migrations/1.1.0/001_more.sql", "ALTER TABLE items ADD COLUMN price numeric;")
            try database.folder.write(
                "migrations/1.1.0/002_index.sql",
                "\nCREATE INDEX CONCURRENTLY items_name ON items (name);\n")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }

            #expect(error.code == .migrationFailed)
            #expect(error.engineCode == "25001")
            #expect(error.engineMessage?.contains("cannot run inside a transaction block") == true)
            #expect(
                error.location
                    == .init(
                        file: "1.1.0/002_index.sql", line: 2,
                        statement: "CREATE INDEX CONCURRENTLY items_name ON items (name)"))
            #expect(error.advice?.contains("-- ferry:no-transaction") == true)
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
        }
    }

    /// `ALTER TYPE … ADD VALUE` in one migration and the new value used in the
    /// next: PostgreSQL refuses (55P04) while both share a transaction.
    func writeEnumMigrations(in database: TestDatabase, marker: String = "") throws {
        try database.folder.write(
            "migrations/1.0.0/001_moods.sql",
            """
            CREATE TYPE mood AS ENUM ('ok', 'sad');
            CREATE TABLE feelings (id bigint PRIMARY KEY, mood mood NOT NULL);
            """)
        try database.folder.write(
            "migrations/2.0.0/001_add_great.sql", "\(marker)ALTER TYPE mood ADD VALUE 'great';\n")
        try database.folder.write(
            "migrations/2.0.0/002_use_great.sql", "INSERT INTO feelings VALUES (1, 'great');\n")
    }

    @Test func aNewEnumValueUsedInTheSameTransactionSaysWhichModeFixesIt() async throws {
        try await withTestDatabase(.postgres) { database in
            try writeEnumMigrations(in: database)
            try await Ferry(configuration(database, release: "1.0.0")).upgrade(
                database.upgradeOptions())
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }

            #expect(error.engineCode == "55P04")
            #expect(error.location?.file == "2.0.0/002_use_great.sql")
            #expect(error.advice?.contains("-- ferry:own-transaction") == true)
            #expect(
                error.advice?.contains("UpgradeOptions.transactionMode = .perMigration") == true)
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func anOwnTransactionMarkerCommitsTheNewEnumValueFirst() async throws {
        try await withTestDatabase(.postgres) { database in
            try writeEnumMigrations(in: database, marker: "-- ferry:own-transaction\n")
            try await Ferry(configuration(database, release: "1.0.0")).upgrade(
                database.upgradeOptions())
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            #expect(try await database.scalar("SELECT mood FROM feelings WHERE id = 1") == "great")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "2.0.0")
        }
    }

    @Test func theMigrationTransactionModeCommitsEachMigration() async throws {
        try await withTestDatabase(.postgres) { database in
            try writeEnumMigrations(in: database)
            try await Ferry(configuration(database, release: "1.0.0")).upgrade(
                database.upgradeOptions())
            try await Ferry(configuration(database)).upgrade(
                database.upgradeOptions(transactionMode: .perMigration))
            #expect(try await database.scalar("SELECT mood FROM feelings WHERE id = 1") == "great")
        }
    }

    @Test func aDeferredConstraintIsCheckedBeforeCommit() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_tables.sql",
                """
                CREATE TABLE parents (id bigint PRIMARY KEY);
                CREATE TABLE children (
                    id bigint PRIMARY KEY,
                    parent_id bigint NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED
                );
                INSERT INTO parents VALUES (1);
                INSERT INTO children VALUES (1, 1);
                """)
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            // Deferred: the statement itself succeeds; only the check before commit finds the orphan.
            try database.folder.write(
                "migrations/1.1.0/001_orphan.sql", "INSERT INTO children VALUES (2, 99);")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }

            // Verification finds it before commit, inside the transaction, with the server's words.
            #expect(error.code == .constraintViolation)
            #expect(error.category == .failed)
            #expect(error.message.contains("SET CONSTRAINTS ALL IMMEDIATE"))
            #expect(error.message.contains("table children"))
            #expect(error.message.contains("children_parent_id_fkey"))
            #expect(error.message.contains("Key (parent_id)=(99) is not present"))
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func aFailureNamesTheFileLineAndTheServersDetailAndHint() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql",
                """
                CREATE TABLE items (id bigint PRIMARY KEY);
                INSERT INTO items VALUES (1);
                """)
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            try database.folder.write(
                "migrations/1.1.0/001_twice.sql",
                """
                CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) || '!'; $$;
                /* the next statement
                   breaks the primary key */
                INSERT INTO items
                VALUES (1);
                """)
            try database.folder.write("migrations/1.1.0/002_hint.sql", "SELECT shout(42);")
            let before = try await database.snapshot()

            let duplicate = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }
            #expect(
                duplicate.location
                    == .init(
                        file: "1.1.0/001_twice.sql", line: 4,
                        statement: "INSERT INTO items VALUES (1)"))
            #expect(duplicate.engineCode == "23505")
            #expect(
                duplicate.engineMessage?.contains(
                    "duplicate key value violates unique constraint \"items_pkey\"") == true)
            #expect(
                duplicate.engineMessage?.contains("DETAIL: Key (id)=(1) already exists.") == true)
            #expect(duplicate.description.contains("database said: 23505"))
            #expect(try await database.snapshot() == before)

            try database.folder.write("migrations/1.1.0/001_twice.sql", "SELECT 1;")
            let hinted = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }
            #expect(hinted.engineCode == "42883")
            #expect(hinted.engineMessage?.contains("HINT: No function matches") == true)
        }
    }

    @Test func copyFromStdinIsRefusedBeforeAnythingRuns() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            try database.folder.write(
                "migrations/1.1.0/001_load.sql",
                """
                INSERT INTO items VALUES (7);
                COPY items (id) FROM stdin;
                1
                2
                \\.
                """)
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            }

            #expect(error.code == .invalidMigrations)
            #expect(error.location?.line == 2)
            #expect(error.message.contains("COPY … FROM STDIN"))
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func swiftMigrationsRunOnTheUpgradesConnection() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY, name text);")
            var configuration = try configuration(database)
            try configuration.migrations.register(release: "1.0.0", name: "002_fill") { db in
                #expect(db.engineName == "postgresql")
                try await db.execute(
                    "INSERT INTO items VALUES (1, 'one'); INSERT INTO items VALUES (2, NULL);")
                let rows = try await db.fetchAll(
                    """
                    SELECT count(*) AS n, bool_and(id > 0) AS positive, 1.50::numeric AS price, 0.25::float8 AS ratio,
                           max(name) AS name, NULL::text AS nothing, '\\x0aff'::bytea AS bytes,
                           timestamptz '2024-03-01 12:00:00Z' AS at
                    FROM items
                    """)
                let row = try #require(rows.first)
                #expect(row["n"] == .integer(2))
                #expect(row["positive"] == .integer(1))
                #expect(row["price"] == .text("1.5"))
                #expect(row["ratio"] == .real(0.25))
                #expect(row["name"] == .text("one"))
                #expect(row["nothing"] == .null)
                #expect(row["bytes"] == .blob([0x0a, 0xff]))
                #expect(row["at"] == .text("2024-03-01T12:00:00.000Z"))
            }
            try await Ferry(configuration).upgrade(database.upgradeOptions())
            #expect(
                try await database.scalar(
                    "SELECT kind FROM ferry_migrations WHERE id = '1.0.0/002_fill'")
                    == "swift")
        }
    }

    @Test func theLockShowsItsHolderAndASecondUpgraderWaitsThenRefuses() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
            var configuration = try configuration(database)
            configuration.lockTimeout = .milliseconds(400)
            let engine = database.engine
            let holder = LockHolder.currentProcess()

            try await engine.withUpgradeLock(holder: holder, timeout: .seconds(1), onWait: { _ in })
            {
                let shown = try #require(try await engine.lockHolder())
                // The client's address as the server sees it (a TCP connection, so never hidden).
                #expect(
                    shown.host == "127.0.0.1" || shown.host == "::1" || shown.host.contains("."))
                #expect(
                    shown.command.contains(
                        "ferry upgrade lock, pid \(ProcessInfo.processInfo.processIdentifier)"))
                #expect(shown.serverPID != nil)
                #expect(
                    abs(shown.since.timeIntervalSinceNow) < 600, "the lock was taken moments ago")
                let error = try await #require(throws: FerryError.self) {
                    try await Ferry(configuration).upgrade(database.upgradeOptions())
                }
                #expect(error.code == .lockTimeout)
                #expect(error.category == .refused)
                #expect(error.message.contains("server pid \(shown.serverPID!)"))
                #expect(error.message.contains("ferry upgrade lock"))
            }
            #expect(try await engine.lockHolder() == nil)
            try await Ferry(configuration).upgrade(database.upgradeOptions())
        }
    }

    @Test func aRoleThatCannotCreateTablesIsToldBeforeAnythingChanges() async throws {
        try await withTestDatabase(.postgres) { database in
            let role = "ferry_reader_" + UUID().uuidString.prefix(8).lowercased()
            let password = "pw-" + UUID().uuidString
            try await database.psql(["-c", "CREATE ROLE \(role) LOGIN PASSWORD '\(password)'"])
            try await withCleanup {
                try database.folder.write(
                    "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
                let url = try PostgresTestServer.url(
                    database: database.postgresDatabase!, user: role, password: password)
                var configuration = try configuration(database)
                configuration.engine = try PostgresEngine(url: url, environment: [:])
                let before = try await database.snapshot()

                let error = try await #require(throws: FerryError.self) {
                    try await Ferry(configuration).upgrade(database.upgradeOptions())
                }

                #expect(error.code == .insufficientPrivileges)
                #expect(error.category == .refused)
                #expect(error.message.contains("may not create tables in schema public"))
                #expect(error.advice?.contains("GRANT CREATE ON SCHEMA public TO \(role)") == true)
                #expect(!error.description.contains(password))
                #expect(try await database.snapshot() == before)
            } cleanup: {
                _ = try? await database.psql(["-c", "DROP OWNED BY \(role)"])
                _ = try? await PostgresTestServer.psql(
                    ["-c", "DROP ROLE IF EXISTS \(role)"], database: "postgres")
            }
        }
    }

    @Test func aMissingDatabaseIsCreatedAndAFailedFirstInstallLeavesNone() async throws {
        let folder = try TemporaryFolder()
        let name = "ferry_test_new_" + UUID().uuidString.prefix(8).lowercased()
        try await withCleanup {
            try folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint PRIMARY KEY);")
            try folder.write("migrations/1.0.0/002_bad.sql", "INSERT INTO nowhere VALUES (1);")
            let configuration = try firstInstall(of: name, migrations: folder)
            let exists = "SELECT count(*) FROM pg_database WHERE datname = '\(name)'"

            let status = try await Ferry(configuration).status()
            #expect(!status.databaseExists)
            #expect(status.pending.count == 2)
            #expect(
                try await PostgresTestServer.psql(["-At", "-c", exists], database: "postgres")
                    == "0\n")

            await #expect(throws: FerryError.self) { try await Ferry(configuration).upgrade() }
            #expect(
                try await PostgresTestServer.psql(["-At", "-c", exists], database: "postgres")
                    == "0\n")

            try folder.write("migrations/1.0.0/002_bad.sql", "INSERT INTO items VALUES (1);")
            try await Ferry(configuration).upgrade()
            #expect(
                try await PostgresTestServer.psql(["-At", "-c", exists], database: "postgres")
                    == "1\n")
            #expect(try await Ferry(configuration).status().databaseRelease == "1.0.0")
        } cleanup: {
            await PostgresTestServer.dropDatabase(name)
        }
    }
    /// A session still connected to the database a failed first install
    /// created (as a busy server ends the upgrade's own sessions late, or
    /// anyone who connected meanwhile) does not keep it: a plain DROP gave up
    /// after five seconds and left it behind.
    @Test func aFailedFirstInstallDropsItsDatabaseWhileASessionIsStillOnIt() async throws {
        let folder = try TemporaryFolder()
        let name = "ferry_test_new_" + UUID().uuidString.prefix(8).lowercased()
        let lingering = Process()
        try await withCleanup {
            try folder.write(
                "migrations/1.0.0/001_wait.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY);\nSELECT pg_sleep(2);")
            try folder.write("migrations/1.0.0/002_bad.sql", "INSERT INTO nowhere VALUES (1);")
            let configuration = try firstInstall(of: name, migrations: folder)
            let exists = "SELECT count(*) FROM pg_database WHERE datname = '\(name)'"
            let upgrade = Task { try await Ferry(configuration).upgrade() }
            // Once the database exists, a session connects to it and stays.
            try await waitUntilOne(exists)
            lingering.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            lingering.arguments = [
                "psql", "-X", "-q", try PostgresTestServer.url(database: name), "-c",
                "SELECT pg_sleep(900)",
            ]
            lingering.standardOutput = FileHandle.nullDevice
            lingering.standardError = FileHandle.nullDevice
            try lingering.run()
            let seen =
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(name)' AND wait_event = 'PgSleep' AND query = 'SELECT pg_sleep(900)'"
            try await waitUntilOne(seen)

            await #expect(throws: FerryError.self) { try await upgrade.value }
            #expect(
                try await PostgresTestServer.psql(["-At", "-c", exists], database: "postgres")
                    == "0\n")
        } cleanup: {
            if lingering.isRunning { lingering.terminate() }
            await PostgresTestServer.dropDatabase(name)
        }
    }

    /// Ferry on the database `name`, which does not exist yet, with the
    /// migrations in `folder`'s `migrations`.
    private func firstInstall(of name: String, migrations folder: TemporaryFolder) throws
        -> Ferry.Configuration
    {
        Ferry.Configuration(
            engine: try PostgresEngine(
                url: try PostgresTestServer.url(database: name), environment: [:]),
            migrationsDirectory: folder.url.appendingPathComponent("migrations"))
    }

    /// Asks the server `query` until it answers 1, for at most about five seconds.
    private func waitUntilOne(_ query: String) async throws {
        for _ in 0..<500 {
            if try await PostgresTestServer.psql(["-At", "-c", query], database: "postgres")
                == "1\n"
            {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
