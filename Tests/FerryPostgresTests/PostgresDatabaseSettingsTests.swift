import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// A database whose own settings (`ALTER DATABASE … SET search_path = app`)
/// decide where its tables live: the scratch databases of the backup check
/// and of the rehearsal must see the same.
@Suite(
    "PostgreSQL database settings",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresDatabaseSettingsTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    @Test func aDatabaseSearchPathIsCarriedToTheBackupCheckTheRestoreAndTheRehearsal() async throws
    {
        try await withTestDatabase(.postgres) { database in
            let name = try #require(database.postgresDatabase)
            try await PostgresTestServer.psql(
                ["-c", "ALTER DATABASE \(name) SET search_path = app"], database: "postgres")
            try await database.load("CREATE SCHEMA app")
            try database.folder.write(
                "migrations/1.0.0/001_devices.sql",
                "CREATE TABLE devices (id bigint PRIMARY KEY, name text); INSERT INTO devices VALUES (1, 'a'), (2, 'b'), (3, 'c');"
            )
            var configuration = Ferry.Configuration(
                appName: "test", engine: database.engine,
                migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
            configuration.backupsDirectory = database.backupsFolder
            let ferry = Ferry(configuration)
            try await ferry.upgrade()
            #expect(try await database.scalar("SELECT count(*) FROM app.ferry_state") == "1")

            let backup = try await ferry.backup()
            #expect(
                backup.manifest.rowCounts?["devices"] == 3, "\(backup.manifest.rowCounts ?? [:])")
            #expect(backup.manifest.rowCounts?["app.devices"] == nil)

            try await database.load("DELETE FROM app.devices WHERE id > 1")
            let report = try await ferry.restore(backup)
            #expect(report.release == "1.0.0")
            #expect(try await database.scalar("SELECT count(*) FROM app.devices") == "3")

            try database.folder.write(
                "migrations/1.1.0/001_rooms.sql", "CREATE TABLE rooms (id bigint PRIMARY KEY);")
            let before = try await database.snapshot()
            let rehearsal = try await ferry.rehearse()
            #expect(
                rehearsal.from == "1.0.0", "the copy is the database at 1.0.0, not a fresh install")
            #expect(rehearsal.applied.count == 1, "\(rehearsal.applied)")
            #expect(rehearsal.rowsBefore["devices"] == 3, "\(rehearsal.rowsBefore)")
            #expect(try await database.snapshot() == before)
        }
    }
}
