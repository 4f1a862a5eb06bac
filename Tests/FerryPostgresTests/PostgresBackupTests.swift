import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// Backups and restores on a real PostgreSQL server, with the real
/// `pg_dump`, `pg_restore` and `psql`: each failure is made to happen, and
/// the live database is re-read to prove that nothing was lost.
@Suite(
    "PostgreSQL backups", .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresBackupTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func configuration(_ database: TestDatabase) -> Ferry.Configuration {
        var configuration = Ferry.Configuration(
            appName: "test", engine: database.engine,
            migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    func fill(_ database: TestDatabase, rows: Int) async throws {
        try await database.load(
            """
            CREATE SCHEMA archive;
            CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, \(rows)) AS i;
            CREATE TABLE archive.old_items (id bigint PRIMARY KEY);
            INSERT INTO archive.old_items VALUES (1), (2);
            """)
    }

    @Test func aBackupCutShortIsRefusedByItsCheckBeforeTheLiveDatabaseIsTouched() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 20_000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            #expect(backup.manifest.rowCounts?["items"] == 20_000)
            #expect(backup.manifest.rowCounts?["archive.old_items"] == 2)
            // Cut short as by a full disk, with a manifest that matches: only loading it can tell.
            let data = try Data(contentsOf: backup.file)
            try data.prefix(data.count * 2 / 3).write(to: backup.file)
            var manifest = backup.manifest
            manifest.sha256 = try FileSafety.sha256(of: backup.file)
            manifest.size = FileSafety.size(of: backup.file.path)
            _ = try BackupCatalog(folder: database.backupsFolder).writeManifest(
                manifest, name: backup.manifestFile.deletingPathExtension().lastPathComponent)
            try await database.load("DELETE FROM items WHERE id > 10")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(try ferry.findBackup(.named(backup.name)))
            }

            #expect(error.code == .backupCorrupt)
            #expect(error.changes == "Nothing was changed.")
            #expect(error.engineMessage?.isEmpty == false, "pg_restore's own words: \(error)")
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT count(*) FROM items") == "10")
            #expect(try ferry.backups().count == 1, "no pre-restore backup was taken")
        }
    }

    @Test func aRestoreKilledPartWayLeavesTheLiveDataAsItWas() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 400_000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            try await database.load(
                "DELETE FROM items WHERE id % 2 = 0; CREATE TABLE newer (id int);")
            let before = try await database.snapshot()

            let name = try #require(database.postgresDatabase)
            // Ends the restore's session once it loads rows, after it dropped the live tables in its transaction.
            let killer = Task {
                try await PostgresTestServer.terminateOnceSeen(
                    where:
                        "application_name LIKE 'ferry restore%' AND query LIKE 'COPY%' AND datname = '\(name)'",
                    never: "the restore never loaded rows")
            }

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(backup)
            }
            _ = try await killer.value

            #expect(error.code == .restoreFailed, "\(error)")
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT count(*) FROM items") == "200000")
            #expect(try await database.scalar("SELECT to_regclass('newer') IS NOT NULL") == "t")

            // The same backup restores once nothing interferes.
            try await ferry.restore(backup)
            #expect(try await database.scalar("SELECT count(*) FROM items") == "400000")
            #expect(try await database.scalar("SELECT to_regclass('newer') IS NULL") == "t")
            #expect(try await database.scalar("SELECT count(*) FROM archive.old_items") == "2")
        }
    }

    @Test func theRestoreCountsWhatItLoadedBeforeCommittingAndARefusalLeavesTheLiveDataAsItWas()
        async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 5000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            try await database.load("DELETE FROM items WHERE id > 10; CREATE TABLE newer (id int);")
            let before = try await database.snapshot()
            let engine = database.engine
            let seen = SeenCheck()

            let error = try await #require(throws: FerryError.self) {
                try await engine.withBackup(at: backup.file, format: .native, level: .quick) {
                    copy in
                    try await copy.replaceLiveDatabase(accepting: { loaded in
                        seen.set(loaded)
                        throw FerryError(.backupCorrupt, "refused by the test")
                    })
                }
            }

            #expect(error.message == "refused by the test")
            let loaded = try #require(seen.value?.rowCounts)
            #expect(loaded == backup.manifest.rowCounts)
            #expect(loaded["items"] == 5000)
            #expect(loaded["archive.old_items"] == 2)
            #expect(loaded["newer"] == nil)
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT count(*) FROM items") == "10")
        }
    }

    @Test func withTheQuickCheckABackupCutShortIsStillRefusedAndTheLiveDataStays() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 20_000)
            var configuration = configuration(database)
            configuration.backupCheck = .quick
            let ferry = Ferry(configuration)
            let backup = try await ferry.backup()
            #expect(backup.manifest.check == .quick)
            #expect(backup.manifest.rowCounts == nil, "the quick check counts no rows")
            let data = try Data(contentsOf: backup.file)
            try data.prefix(data.count * 2 / 3).write(to: backup.file)
            var manifest = backup.manifest
            manifest.sha256 = try FileSafety.sha256(of: backup.file)
            manifest.size = FileSafety.size(of: backup.file.path)
            _ = try BackupCatalog(folder: database.backupsFolder).writeManifest(
                manifest, name: backup.manifestFile.deletingPathExtension().lastPathComponent)
            try await database.load("DELETE FROM items WHERE id > 10")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(try ferry.findBackup(.named(backup.name)))
            }

            #expect(error.code == .backupCorrupt, "\(error)")
            #expect(error.changes == "Nothing was changed.")
            #expect(error.engineMessage?.isEmpty == false, "pg_restore's own words: \(error)")
            #expect(try await database.snapshot() == before)
            #expect(
                try ferry.backups().count == 1,
                "the pre-restore backup of an unchanged database is not kept")
        }
    }

    @Test func withTheQuickCheckADamagedByteIsRefusedByTheChecksumAndTheLiveDataStays() async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 2000)
            var configuration = configuration(database)
            configuration.backupCheck = .quick
            let ferry = Ferry(configuration)
            let backup = try await ferry.backup()
            var data = try Data(contentsOf: backup.file)
            data[data.count / 2] ^= 0xFF
            try data.write(to: backup.file)
            try await database.load("DELETE FROM items WHERE id > 10")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(backup)
            }

            #expect(error.code == .backupCorrupt)
            #expect(error.message.contains("SHA-256"), "\(error)")
            #expect(try await database.snapshot() == before)
            #expect(try ferry.backups().count == 1)
        }
    }

    @Test func aBackupWhoseRowsDifferFromItsManifestIsRefusedBeforeTheRestoreCommits() async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 3000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            var manifest = backup.manifest
            manifest.rowCounts?["items"] = 2999
            _ = try BackupCatalog(folder: database.backupsFolder).writeManifest(
                manifest, name: backup.manifestFile.deletingPathExtension().lastPathComponent)
            try await database.load("DELETE FROM items WHERE id > 10; CREATE TABLE newer (id int);")
            let before = try await database.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(try ferry.findBackup(.named(backup.name)))
            }

            #expect(error.code == .backupCorrupt)
            #expect(error.message.contains("does not hold the rows its manifest lists"), "\(error)")
            #expect(error.changes == "Nothing was changed.")
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT to_regclass('newer') IS NOT NULL") == "t")
            #expect(
                try ferry.backups().count == 1,
                "the pre-restore backup of an unchanged database is not kept")
        }
    }

    @Test func aRestoreIntoADatabaseThatDoesNotExistCreatesItAndKeepsNoPreRestoreBackup()
        async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 1000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            let before = try await database.snapshot()
            let name =
                "ferry_restored_"
                + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            var elsewhere = configuration(database)
            elsewhere.engine = try PostgresEngine(
                url: try PostgresTestServer.url(database: name), environment: [:])

            let report = try await Ferry(elsewhere).restore(backup)
            let restored = try await PostgresTestServer.psql(
                ["-A", "-t", "-c", "SELECT count(*) FROM items"], database: name)
            await PostgresTestServer.dropDatabase(name)

            #expect(report.preRestoreBackup == nil)
            #expect(try Ferry(elsewhere).backups().count == 1)
            #expect(restored.trimmingCharacters(in: .whitespacesAndNewlines) == "1000")
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func aRestoreKeepsThePublicSchemasOwnerAndPrivileges() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 10)
            let query =
                "SELECT nspowner::regrole::text || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'public'"
            let owner = try await database.scalar(query)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            let before = try await database.snapshot()
            try await database.load("DELETE FROM items WHERE id > 5; CREATE TABLE newer (id int);")

            let report = try await ferry.restore(backup)

            // The restore did replace the data (a restore that did nothing would keep the owner too).
            #expect(report.preRestoreBackup != nil)
            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT count(*) FROM items") == "10")
            #expect(try await database.scalar(query) == owner)
        }
    }

    @Test func aConfiguredToolsFolderWithoutPgDumpIsNamedAndNothingIsKept() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 10)
            let empty = database.folder.url.appendingPathComponent("no-tools")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            var configuration = configuration(database)
            configuration.engine = try PostgresEngine(
                url: database.location, toolsFolder: empty, environment: [:])

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).backup()
            }

            #expect(error.code == .backupFailed)
            #expect(error.message.contains(empty.path) && error.message.contains("pg_bin"))
            #expect(error.advice?.contains("FERRY_PG_BIN") == true)
            #expect(try Ferry(configuration).backups().isEmpty)
        }
    }

    /// Ferry on `database`, waiting at most two seconds for a table another
    /// session holds (a restore's locks, a backup's `pg_dump`).
    func waitingTwoSecondsForLocks(_ database: TestDatabase) throws -> Ferry {
        var configuration = configuration(database)
        var engine = try PostgresEngine(url: database.location, environment: [:])
        engine.restoreLockTimeout = .seconds(2)
        configuration.engine = engine
        return Ferry(configuration)
    }

    @Test func aRestoreWaitingForAnOpenTransactionGivesUpNamingItAndChangesNothing() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 100)
            let ferry = try waitingTwoSecondsForLocks(database)
            let backup = try await ferry.backup()
            try await database.load("DELETE FROM items WHERE id > 5")
            let before = try await database.snapshot()
            let name = try #require(database.postgresDatabase)
            // The application, in a long transaction that has read the table.
            let application = try await PostgresTestServer.holdOpenTransaction(
                reading: "items", in: name)

            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(backup)
            }
            try await PostgresTestServer.endApplication(in: name)
            _ = await application.value

            #expect(error.code == .restoreFailed)
            #expect(error.message.contains("sensorhub-web"), "\(error)")
            #expect(error.message.contains("for 2.0 s"), "\(error)")
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
        }
    }

    /// A table that the application holds locked makes pg_dump wait: the
    /// backup gives up after the lock timeout, naming the table and the
    /// session, instead of waiting as long as the application holds it.
    @Test func aBackupWaitingForALockedTableGivesUpNamingIt() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 100)
            let ferry = try waitingTwoSecondsForLocks(database)
            let name = try #require(database.postgresDatabase)
            let application = try await PostgresTestServer.holdOpenTransaction(
                reading: "items", locking: true, in: name)
            let started = ContinuousClock.now
            let error = try await #require(throws: FerryError.self) { try await ferry.backup() }
            let waited = ContinuousClock.now - started
            try await PostgresTestServer.endApplication(in: name)
            _ = await application.value

            #expect(error.code == .lockTimeout, "\(error)")
            #expect(error.message.contains("items"), "\(error)")
            #expect(error.message.contains("sensorhub-web"), "\(error)")
            #expect(error.changes?.hasPrefix("Nothing was changed") == true, "\(error)")
            #expect(waited < .seconds(30), "\(waited)")
            #expect(try ferry.backups().isEmpty)
        }
    }

    @Test func anSQLBackupRestoresLikeANativeOne() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 1000)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup(format: .sql)
            let before = try await database.snapshot()
            try await database.load(
                "DROP SCHEMA archive CASCADE; DELETE FROM items; CREATE TABLE newer (id int);")

            try await ferry.restore(backup)

            #expect(try await database.snapshot() == before)
            #expect(try await database.scalar("SELECT count(*) FROM archive.old_items") == "2")
        }
    }

    @Test func anUpgradeWhoseBackupHasNoRoomIsRefusedInPreflight() async throws {
        try await withTestDatabase(.postgres) { database in
            // A database Ferry made (an unmanaged one is refused before the space is checked).
            try database.folder.write("migrations/0.1.0/001_start.sql", "SELECT 1;")
            try await Ferry(configuration(database)).upgrade()
            let backupsBefore = try Ferry(configuration(database)).backups().map(\.name)
            try await fill(database, rows: 10)
            try database.folder.write(
                "migrations/1.0.0/001_more.sql", "CREATE TABLE more_items (id bigint);")
            let before = try await database.snapshot()
            var configuration = configuration(database)
            configuration.keepFreeBytes = Int64.max / 4

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(error.code == .preflightRefused)
            #expect(error.message.contains("free space"), "\(error)")
            #expect(error.message.contains("the database's size on the server"), "\(error)")
            #expect(try await database.snapshot() == before)
            #expect(try Ferry(configuration).backups().map(\.name) == backupsBefore)
        }
    }

    @Test func aConnectedIdleClientStaysConnectedAndSeesTheRestoredData() async throws {
        try await withTestDatabase(.postgres) { database in
            try await fill(database, rows: 100)
            let ferry = Ferry(configuration(database))
            let backup = try await ferry.backup()
            try await database.load("DELETE FROM items WHERE id > 5")
            // The application: the real psql on one connection, fed line by line.
            let output = database.folder.url.appendingPathComponent("client.out")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [
                "psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", database.location,
            ]
            let input = Pipe()
            client.standardInput = input
            client.standardOutput = try FileHandle(forWritingTo: output)
            client.standardError = client.standardOutput
            try client.run()
            func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }
            func lines() -> [String] {
                ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n")
                    .map(
                        String.init)
            }
            send("SELECT pg_backend_pid() || ' ' || count(*) FROM items;")
            let deadline = ContinuousClock.now + .seconds(30)
            while lines().isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }

            try await ferry.restore(backup)

            send("SELECT pg_backend_pid() || ' ' || count(*) FROM items;")
            send("\\q")
            while client.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            let results = lines()
            #expect(client.terminationStatus == 0, "\(results)")
            #expect(results.count == 2, "\(results)")
            let before = results.first?.split(separator: " ") ?? []
            let after = results.last?.split(separator: " ") ?? []
            #expect(before.last == "5")
            #expect(after.last == "100", "the same session sees the restored rows: \(results)")
            #expect(before.first == after.first, "the same session, never disconnected: \(results)")
        }
    }
}

/// What a restore handed to its `accept` closure, for a test to read afterwards.
private final class SeenCheck: @unchecked Sendable {
    private let lock = NSLock()
    private var check: BackupCheck?

    var value: BackupCheck? {
        lock.lock()
        defer { lock.unlock() }
        return check
    }

    func set(_ check: BackupCheck) {
        lock.lock()
        defer { lock.unlock() }
        self.check = check
    }
}
