import FerryTestSupport
import Foundation
import Testing

/// The `ferry` binary against a real PostgreSQL hot standby (a private
/// primary and a standby made with `pg_basebackup -R`): `status` and
/// `check` say what it is, `upgrade` and `restore` refuse before any backup
/// naming the primary, and backups are allowed with the quick check.
@Suite(
    "ferry on a PostgreSQL hot standby",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresStandbyTests {
    @Test func aStandbyIsNamedAndChangesAreRefusedBeforeAnyBackupWhileQuickBackupsWork()
        async throws
    {
        let primary = try await PrivatePostgresServer.start()
        defer { primary.remove() }
        try await primary.psql("CREATE DATABASE app")
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_items.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY); INSERT INTO items VALUES (1), (2);")
        let migrations = ["--migrations", folder.url.appendingPathComponent("migrations").path]
        let backups = folder.url.appendingPathComponent("backups")
        let installed = try await FerryProcess.run(
            ["upgrade", "--database", primary.url(database: "app"), "--backups", backups.path]
                + migrations)
        #expect(installed.status == 0, "\(installed)")
        try folder.write("migrations/1.1.0/001_more.sql", "CREATE TABLE more_items (id bigint);")

        let standby = try await primary.startStandby()
        defer { standby.remove() }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await standby.psql(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'items'", database: "app")
            != "1\n", ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        let arguments =
            ["--database", standby.url(database: "app"), "--backups", backups.path] + migrations
        let primaryAddress = "127.0.0.1:\(primary.port)"

        let status = try await FerryProcess.run(["status"] + arguments)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("hot standby"), "\(status)")
        #expect(status.stdout.contains(primaryAddress), "\(status)")
        #expect(status.stdout.contains("on the primary"), "\(status)")

        let check = try await FerryProcess.run(["check"] + arguments)
        #expect(check.status == 3, "\(check)")
        #expect(check.stdout.contains("hot standby"), "\(check)")

        let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(upgrade.status == 3, "\(upgrade)")
        #expect((upgrade.stdout + upgrade.stderr).contains("run on the primary"), "\(upgrade)")
        #expect((upgrade.stdout + upgrade.stderr).contains(primaryAddress), "\(upgrade)")
        #expect((upgrade.stdout + upgrade.stderr).contains("Nothing was changed"), "\(upgrade)")
        #expect(
            try backupFiles(in: backups).count == 1,
            "only the primary's pre-upgrade backup, none from the standby")

        let fullBackup = try await FerryProcess.run(["backup"] + arguments)
        let fullText = fullBackup.stdout + fullBackup.stderr
        #expect(fullBackup.status != 0, "\(fullBackup)")
        #expect(fullText.contains("hot standby"), "\(fullBackup)")
        #expect(fullText.contains("--backup-check quick"), "\(fullBackup)")
        #expect(!fullText.contains("CREATEDB") && !fullText.contains("damaged"), "\(fullBackup)")
        #expect(
            try backupFiles(in: backups).count == 1, "no backup is kept when its check was refused")

        let quickBackup = try await FerryProcess.run(
            ["backup", "--backup-check", "quick"] + arguments)
        #expect(quickBackup.status == 0, "\(quickBackup)")
        #expect(try backupFiles(in: backups).count == 2)

        let restore = try await FerryProcess.run(["restore", "--latest", "--yes"] + arguments)
        #expect(restore.status == 3, "\(restore)")
        #expect((restore.stdout + restore.stderr).contains("run on the primary"), "\(restore)")
        #expect(try backupFiles(in: backups).count == 2, "no pre-restore backup")

        #expect(
            try await primary.psql("SELECT release FROM ferry_state", database: "app") == "1.0.0\n")
        #expect(try await primary.psql("SELECT count(*) FROM items", database: "app") == "2\n")
        #expect(
            try await primary.psql("SELECT to_regclass('more_items') IS NULL", database: "app")
                == "t\n")
        #expect(try await standby.psql("SELECT count(*) FROM items", database: "app") == "2\n")
    }

    func backupFiles(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".json")
        }
    }
}
