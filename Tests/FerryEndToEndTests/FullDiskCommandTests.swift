import FerryTestSupport
import Foundation
import GRDB
import Testing

/// A disk that fills up under an upgrade or a restore (a 20 MB tmpfs): the
/// message says the disk is full, the live database is proven as it was,
/// and the next command opens it.
@Suite(.serialized) struct FullDiskCommandTests {
    @Test func aFullDiskDuringAnUpgradeSaysSoAndChangesNothing() async throws {
        let disk = try SmallDisk(megabytes: 20)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let path = disk.folder.appendingPathComponent("app.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path, migrations: migrations)
        try folder.write(
            "migrations/0.6.0/001_fill.sql",
            """
            CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
            INSERT INTO filler (data)
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                SELECT randomblob(1000) FROM n;
            """)
        let before = try DatabaseSnapshot(path: path)

        // No backup: its space check would refuse first, and this is about the migration filling the disk.
        let output = try await FerryProcess.run(
            ["upgrade", "--no-backup", "--database", path, "--migrations", migrations.path])

        #expect(output.status == 1, "\(output)")
        #expect(
            output.stderr.contains(
                "0.6.0/001_fill failed: SQLite could not write the statement's changes: "
                    + "the file system that holds \(disk.folder.path) is full"), "\(output)")
        #expect(
            output.stderr.contains("Nothing was changed: the database is still at release 0.3.0."),
            "\(output)")
        #expect(
            output.stderr.contains("Free space on the file system that holds \(disk.folder.path)"),
            "\(output)")
        #expect(!output.stderr.contains("Fix the migration"), "\(output)")
        #expect(output.lines.last == "[END UPGRADE ERROR]")
        // The upgrade rolled back its own transaction: nothing is left for the next command to do.
        #expect(InterruptedUpgrade.journalSize(of: path) == 0)

        let status = try await FerryProcess.run([
            "status", "--database", path, "--migrations", migrations.path,
        ])
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("Database release: 0.3.0"), "\(status)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))
        #expect(try integrityCheck(path) == "ok")
    }

    @Test func aRestoreOnAFullDiskKeepsTheLiveDatabaseAndSaysSo() async throws {
        let disk = try SmallDisk(megabytes: 20)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let catalog = folder.url.appendingPathComponent("backups").path
        // A backup of a database larger than the whole disk the live database is on.
        let large = folder.url.appendingPathComponent("large.db").path
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: large, migrations: migrations)
        let queue = try DatabaseQueue(path: large)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE ballast (data BLOB NOT NULL);
                    INSERT INTO ballast WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
                        SELECT randomblob(1000) FROM n;
                    """)
        }
        try queue.close()
        let backup = try await FerryProcess.run([
            "backup", "--database", large, "--backups", catalog, "--json",
        ])
        #expect(backup.status == 0, "\(backup)")
        let backupFile = try #require(try backup.jsonLines().last?["path"] as? String)
        let live = disk.folder.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: live, migrations: migrations)
        let before = try DatabaseSnapshot(path: live)

        let output = try await FerryProcess.run(
            [
                "restore", URL(fileURLWithPath: backupFile).lastPathComponent, "--yes",
                "--database", live,
                "--backups", catalog, "--migrations", migrations.path,
            ])

        #expect(output.status == 1, "\(output)")
        #expect(
            output.stderr.contains("the file system that holds \(disk.folder.path) is full"),
            "\(output)")
        #expect(
            output.stderr.contains(
                "Nothing was changed: the copy was rolled back, and the live database passed its integrity check at "
                    + "release 0.3.0, as before."), "\(output)")
        #expect(!output.stderr.contains("not an error"), "\(output)")
        #expect(InterruptedUpgrade.journalSize(of: live) == 0)
        #expect(try DatabaseSnapshot(path: live).hasSameContent(as: before))
        #expect(try integrityCheck(live) == "ok")
        // The pre-restore backup was removed only once the live database was proven as before.
        let kept = try FileManager.default.contentsOfDirectory(atPath: catalog).filter {
            $0.hasSuffix(".sqlite")
        }
        #expect(kept == [URL(fileURLWithPath: backupFile).lastPathComponent])

        let status = try await FerryProcess.run([
            "status", "--database", live, "--migrations", migrations.path,
        ])
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("Database release: 0.3.0"), "\(status)")
    }
}
