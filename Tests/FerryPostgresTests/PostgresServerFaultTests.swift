import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// Faults of the PostgreSQL server itself, made to happen: a data disk that
/// fills up, a session ended by `pg_terminate_backend`, a role without
/// `CREATEDB`, client programs older than the server. Ferry must say what
/// happened (not "the backup is damaged", not "run as a role with CREATEDB",
/// not "fix the migration"), and preflight must see them coming.
@Suite(
    "PostgreSQL server faults",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresServerFaultTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func configuration(url: String, folder: URL, toolsFolder: URL? = nil) throws
        -> Ferry.Configuration
    {
        var configuration = Ferry.Configuration(
            appName: "test",
            engine: try PostgresEngine(url: url, toolsFolder: toolsFolder, environment: [:]),
            migrationsDirectory: folder.appendingPathComponent("migrations"))
        configuration.backupsDirectory = folder.appendingPathComponent("backups")
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    @Test func aFullDataDiskIsSeenByPreflightAndABackupCheckItStopsIsNotCalledDamaged() async throws
    {
        let server = try await PrivatePostgresServer.start(diskMegabytes: 64)
        defer { server.remove() }
        try await server.psql("CREATE DATABASE app")
        try await server.psql(
            """
            CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
            INSERT INTO items SELECT i, repeat('x', 40) || i FROM generate_series(1, 100000) AS i;
            """, database: "app")
        let folder = try TemporaryFolder()
        try folder.write("migrations/1.0.0/001_more.sql", "CREATE TABLE more_items (id bigint);")
        let ferry = Ferry(try configuration(url: server.url(database: "app"), folder: folder.url))
        func bytes(_ sql: String) async throws -> Int64 {
            Int64(
                try await server.psql(sql, database: "app").trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? 0
        }
        let empty = try await bytes("SELECT pg_database_size('template1')")
        let rows = try await bytes("SELECT pg_database_size('app')") - empty
        // Room for an empty scratch database and half the rows: the check's copy cannot fit.
        try server.fillDisk(leaving: empty + rows / 2)

        let report = try await ferry.check()
        let space = try #require(
            report.checks.first { $0.name == "server free space" }, "\(report.checks)")
        #expect(space.status == .blocker, "\(space.detail)")
        #expect(space.detail.contains(server.dataFolder.path), "\(space.detail)")
        #expect(space.detail.contains("scratch copy for the backup check"), "\(space.detail)")

        let error = try await #require(throws: FerryError.self) { try await ferry.backup() }

        #expect(error.message.contains("ran out of a resource"), "\(error)")
        #expect(
            !error.message.contains("damaged") && error.advice?.contains("CREATEDB") != true,
            "\(error)")
        #expect(error.code != .backupCorrupt)
        #expect(
            error.engineMessage?.lowercased().contains("no space left on device") == true,
            "\(error)")
        #expect(try ferry.backups().isEmpty)
        #expect(try await server.psql("SELECT count(*) FROM items", database: "app") == "100000\n")
        #expect(
            try await server.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'ferry_%'")
                == "0\n")
    }

    @Test func aBackupCheckWhoseLoadIsTerminatedSaysSoAndKeepsNothing() async throws {
        // A server of its own: the killer below ends any backup check's load on its server, and must not
        // end those of tests running beside it.
        let server = try await PrivatePostgresServer.start()
        defer { server.remove() }
        try await server.psql("CREATE DATABASE app")
        try await server.psql(
            """
            CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 1200000) AS i;
            """, database: "app")
        let folder = try TemporaryFolder()
        do {
            let ferry = Ferry(
                try configuration(url: server.url(database: "app"), folder: folder.url))
            let before = try await server.psql(
                "SELECT count(*), sum(id) FROM items", database: "app")
            let killer = Task {
                try await PostgresTestServer.terminateOnceSeen(
                    where:
                        "application_name LIKE 'ferry check%' AND query LIKE 'COPY%' AND datname LIKE 'ferry\\_check\\_%'",
                    never: "the check never loaded rows", url: server.url())
            }
            // The killer watches before the backup starts, however slowly a loaded machine starts psql.
            for _ in 0..<600 {
                let watching = try await server.psql(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO $$%pg_terminate_backend%' AND pid <> pg_backend_pid()"
                )
                if watching != "0\n" { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            let error = try await #require(throws: FerryError.self) { try await ferry.backup() }
            _ = try await killer.value

            // pg_restore sees only its connection close while it sends rows: that is what it may say.
            #expect(
                error.message.contains("connection to the PostgreSQL server was lost"), "\(error)")
            #expect(error.message.contains("pg_terminate_backend"), "\(error)")
            #expect(!error.message.contains("damaged"), "\(error)")
            #expect(error.code == .databaseUnavailable, "\(error)")
            #expect(try ferry.backups().isEmpty)
            #expect(
                try await server.psql("SELECT count(*), sum(id) FROM items", database: "app")
                    == before)
        }
    }

    @Test func aMigrationWhoseSessionIsTerminatedIsNotBlamedOnTheMigration() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/0.9.0/001_items.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY); INSERT INTO items VALUES (1);")
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "INSERT INTO items VALUES (2);")
            let ferry = Ferry(
                try configuration(url: database.location, folder: database.folder.url))
            try await ferry.upgrade()
            try database.folder.write(
                "migrations/1.1.0/001_slow.sql",
                "INSERT INTO items VALUES (3);\nSELECT pg_sleep(60);")
            let before = try await database.snapshot()
            let name = try #require(database.postgresDatabase)
            let killer = Task {
                try await PostgresTestServer.terminateOnceSeen(
                    where:
                        "application_name LIKE 'ferry upgrade%' AND query LIKE '%pg_sleep%' AND datname = '\(name)'",
                    never: "the migration never ran")
            }

            let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
            _ = try await killer.value

            #expect(error.message.contains("the server ended it"), "\(error)")
            #expect(error.engineCode == "57P01", "\(error)")
            #expect(error.advice?.contains("Fix the migration") != true, "\(error)")
            #expect(error.changes?.contains("still at release 1.0.0") == true, "\(error)")
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func preflightNamesARoleWithoutCreatedbAndProgramsOlderThanTheServer() async throws {
        try await withTestDatabase(.postgres) { database in
            let name = try #require(database.postgresDatabase)
            let role = "ferry_nocreatedb_" + UUID().uuidString.prefix(8).lowercased()
            let password = "pw-" + UUID().uuidString
            try await database.psql(["-c", "CREATE ROLE \(role) LOGIN PASSWORD '\(password)'"])
            try await database.psql(["-c", "ALTER DATABASE \(name) OWNER TO \(role)"])
            try await database.psql(["-c", "ALTER SCHEMA public OWNER TO \(role)"])
            try await withCleanup {
                try database.folder.write(
                    "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id bigint);")
                let url = try PostgresTestServer.url(database: name, user: role, password: password)
                let ferry = Ferry(try configuration(url: url, folder: database.folder.url))
                var install = UpgradeOptions()
                install.skipBackup = true
                try await ferry.upgrade(install)
                try database.folder.write(
                    "migrations/1.1.0/001_more.sql", "CREATE TABLE more_items (id bigint);")

                let report = try await ferry.check()

                let roleCheck = try #require(
                    report.checks.first { $0.name == "role" }, "\(report.checks)")
                #expect(roleCheck.status == .blocker)
                #expect(roleCheck.detail.contains("\(role) lacks CREATEDB"), "\(roleCheck.detail)")
                #expect(
                    roleCheck.detail.contains("Configuration.backupCheck = .quick"),
                    "\(roleCheck.detail)")
                #expect(report.refusal(force: true) != nil)
                let space = try #require(report.checks.first { $0.name == "server free space" })
                #expect(space.status == .ok, "\(space.detail)")
                #expect(space.detail.contains("cannot be measured"), "\(space.detail)")

                // With the quick check the role needs no CREATEDB.
                var quick = try configuration(url: url, folder: database.folder.url)
                quick.backupCheck = .quick
                let quickReport = try await Ferry(quick).check()
                #expect(quickReport.checks.first { $0.name == "role" }?.status == .ok)
            } cleanup: {
                _ = try? await PostgresTestServer.psql(
                    ["-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"], database: "postgres")
                _ = try? await PostgresTestServer.psql(
                    ["-c", "DROP ROLE IF EXISTS \(role)"], database: "postgres")
            }
        }
    }

    @Test func preflightRefusesClientProgramsOlderThanTheServerAndMeasuresTheServersDisk()
        async throws
    {
        try await withTestDatabase(.postgres) { database in
            // A database Ferry made: one it did not is refused before the programs are looked at.
            try database.folder.write(
                "migrations/0.9.0/001_items.sql",
                "CREATE TABLE items (id bigint); INSERT INTO items VALUES (1);")
            try await Ferry(try configuration(url: database.location, folder: database.folder.url))
                .upgrade()
            try database.folder.write(
                "migrations/1.0.0/001_more.sql", "CREATE TABLE more_items (id bigint);")
            // A pg_bin holding release 14's programs only.
            let old = database.folder.url.appendingPathComponent("pg14")
            try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
            for program in ["pg_dump", "pg_restore", "psql"] {
                let file = old.appendingPathComponent(program)
                try Data("#!/bin/sh\necho '\(program) (PostgreSQL) 14.10'\n".utf8).write(to: file)
                try FileManager.default.setAttributes(
                    [.posixPermissions: 0o755], ofItemAtPath: file.path)
            }
            let ferry = Ferry(
                try configuration(
                    url: database.location, folder: database.folder.url, toolsFolder: old))
            let before = try await database.snapshot()

            let report = try await ferry.check()
            let programs = try #require(
                report.checks.first { $0.name == "PostgreSQL programs" }, "\(report.checks)")
            #expect(programs.status == .blocker)
            #expect(programs.detail.contains("\(old.path) (14)"), "\(programs.detail)")
            let space = try #require(report.checks.first { $0.name == "server free space" })
            #expect(space.status == .ok, "\(space.detail)")
            #expect(space.detail.contains("free at /"), "\(space.detail)")
            #expect(report.checks.first { $0.name == "server" }?.status == .ok)

            let error = try await #require(throws: FerryError.self) { try await ferry.upgrade() }
            #expect(error.code == .preflightRefused, "\(error)")
            #expect(try await database.snapshot() == before)
        }
    }
}
