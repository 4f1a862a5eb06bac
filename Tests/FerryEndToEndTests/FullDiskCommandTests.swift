import FerryTestSupport
import Foundation
import GRDB
import Testing

/// A disk that fills up under an upgrade, a restore, a backup, an export or
/// an import (a small tmpfs): the message says which folder is full (and,
/// where it can be known, how much was needed), the live database is proven
/// as it was, nothing partial is left usable, and the next command opens it.
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

    /// SQLite's temporary folder (here `SQLITE_TMPDIR`, often a small `/tmp`
    /// in memory) fills up while `CREATE INDEX` sorts a large table: the
    /// message names that folder, not the database's, which has room.
    @Test func aFullTemporaryFolderIsNamedAndNothingChanges() async throws {
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try folder.write(
            "migrations/1.0.0/001_notes.sql",
            """
            CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
            INSERT INTO notes (body)
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
                SELECT printf('%.100c', char(65 + abs(random()) % 26)) || i FROM n;
            """)
        let migrations = folder.url.appendingPathComponent("migrations").path
        let arguments = ["--no-backup", "--database", path, "--migrations", migrations]
        let first = try await FerryProcess.run(["upgrade", "--create"] + arguments)
        #expect(first.status == 0, "\(first)")
        try folder.write(
            "migrations/1.1.0/001_index_notes.sql", "CREATE INDEX notes_by_body ON notes (body);")
        let before = try DatabaseSnapshot(path: path)

        let output = try await FerryProcess.run(
            ["upgrade"] + arguments, environment: ["SQLITE_TMPDIR": disk.folder.path])

        #expect(output.status == 1, "\(output)")
        #expect(
            output.stderr.contains(
                "the file system that holds SQLite's temporary files, \(disk.folder.path), is full"),
            "\(output)")
        #expect(
            output.stderr.contains(
                "the database's folder \(folder.url.path) is on another file system"),
            "\(output)")
        #expect(
            output.stderr.contains(
                "Free space in SQLite's temporary folder \(disk.folder.path) (large sorts such as CREATE INDEX "
                    + "write there), or point SQLITE_TMPDIR at a folder with more room"),
            "\(output)")
        #expect(
            output.stderr.contains("Nothing was changed: the database is still at release 1.0.0."),
            "\(output)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))

        // With room for its sort, the same upgrade goes through.
        let again = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(again.status == 0, "\(again)")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "1.1.0")
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

        // Into a path where there was no database: none is left there either.
        let new = disk.folder.appendingPathComponent("new.db").path
        let intoNothing = try await FerryProcess.run(
            [
                "restore", URL(fileURLWithPath: backupFile).lastPathComponent, "--yes",
                "--database", new, "--backups", catalog, "--migrations", migrations.path,
            ])
        #expect(intoNothing.status == 1, "\(intoNothing)")
        #expect(intoNothing.stderr.contains("There was no database before the restore."))
        #expect(!FileManager.default.fileExists(atPath: new), "no empty database is left")
    }

    /// The example at 0.5.0 with 4,000 more history rows of 1 kB each (about 12 MB).
    func largeExample(in folder: TemporaryFolder) async throws -> (path: String, migrations: URL) {
        let path = folder.url.appendingPathComponent("app.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path, migrations: migrations)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sensor_history (sensor_id, taken_at, value, quality, source)
                        SELECT sensor_id, taken_at, value, quality, hex(randomblob(500))
                        FROM sensor_history, (SELECT 1 UNION ALL SELECT 2);
                    """)
        }
        try queue.close()
        return (path, migrations)
    }

    @Test func anExportOnAFullDiskSaysHowMuchAndLeavesNothingToImport() async throws {
        let disk = try SmallDisk(megabytes: 2)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let (path, migrations) = try await largeExample(in: folder)
        let before = try DatabaseSnapshot(path: path)
        let export = disk.folder.appendingPathComponent("export").path

        let output = try await FerryProcess.run([
            "export", export, "--database", path, "--migrations", migrations.path,
        ])

        #expect(output.status == 1, "\(output)")
        #expect(
            output.stderr.contains(
                "The export does not fit in \(export): its file system is full."),
            "\(output)")
        #expect(output.stderr.contains("were free when it started"), "\(output)")
        // What was being written, as the user knows it: no piece's or work folder's name.
        #expect(output.stderr.contains("/data/"), "\(output)")
        #expect(
            !output.stderr.contains("piece") && !output.stderr.contains(".ferry-work"), "\(output)")
        #expect(output.stderr.contains("Free at least"), "\(output)")
        #expect(
            output.stderr.contains(
                "The database was not changed; the unfinished export was removed."), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: export), "nothing partial is left")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))

        let target = folder.url.appendingPathComponent("target.db").path
        let imported = try await FerryProcess.run([
            "import", export, "--yes", "--database", target, "--migrations", migrations.path,
        ])
        #expect(imported.status != 0, "\(imported)")
        #expect(!FileManager.default.fileExists(atPath: target), "\(imported)")
    }

    @Test func anImportOnAFullDiskSaysWhichFolderAndLeavesNoDatabase() async throws {
        let disk = try SmallDisk(megabytes: 3)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let (path, migrations) = try await largeExample(in: folder)
        let export = folder.url.appendingPathComponent("export").path
        let exported = try await FerryProcess.run([
            "export", export, "--database", path, "--migrations", migrations.path,
        ])
        #expect(exported.status == 0, "\(exported)")
        let target = disk.folder.appendingPathComponent("new.db").path

        let output = try await FerryProcess.run([
            "import", export, "--yes", "--database", target, "--migrations", migrations.path,
            "--backups", folder.url.appendingPathComponent("backups").path,
        ])

        #expect(output.status == 1, "\(output)")
        #expect(
            output.stderr.contains("the file system that holds \(disk.folder.path) is full"),
            "\(output)")
        #expect(
            output.stderr.contains("Free space on the file system that holds \(disk.folder.path)"),
            "\(output)")
        #expect(!output.stderr.contains("the export came from this application"), "\(output)")
        #expect(
            output.stderr.contains(
                "Nothing was changed: the database is still new, with no release."),
            "\(output)")
        #expect(!FileManager.default.fileExists(atPath: target), "no half-loaded database is left")
    }

    @Test(arguments: ["native", "sql"])
    func aBackupIntoAFullFolderSaysHowMuchItNeedsAndListsNothing(format: String) async throws {
        let disk = try SmallDisk(megabytes: 2)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let (path, _) = try await largeExample(in: folder)
        let before = try DatabaseSnapshot(path: path)
        let catalog = disk.folder.appendingPathComponent("backups").path

        let output = try await FerryProcess.run([
            "backup", "--format", format, "--database", path, "--backups", catalog,
        ])

        #expect(output.status == 3, "\(output)")
        #expect(output.stderr.contains("The backup needs about "), "\(output)")
        #expect(output.stderr.contains("are free in \(catalog)."), "\(output)")
        #expect(output.stderr.contains("Nothing was changed."), "\(output)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))
        let listed = try await FerryProcess.run([
            "backups", "--database", path, "--backups", catalog, "--json",
        ])
        #expect(listed.status == 0, "\(listed)")
        #expect(listed.stdout.contains("\"backups\":[]"), "no backup is listed: \(listed)")
        #expect(listed.stdout.contains("\"unusable\":[]"), "\(listed)")
    }

    /// An SQL backup's full check loads the dump while it is written, both
    /// in the catalog's file system; the quick one only writes it. The disk,
    /// filled from outside once the backup has started (its estimate of the
    /// room it needs passed), fails it with where the room ran out; nothing
    /// is listed or left behind. (Before, a dump whose write failed crashed
    /// `ferry` as its writer was dropped.)
    @Test(arguments: ["full", "quick"])
    func aDiskFilledDuringAnSQLBackupFailsItAndLeavesNothing(check: String) async throws {
        let disk = try SmallDisk(megabytes: 64)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let (path, _) = try await largeExample(in: folder)
        let before = try DatabaseSnapshot(path: path)
        let catalog = disk.folder.appendingPathComponent("backups")
        let running = try FerryProcess.start(
            [
                "backup", "--format", "sql", "--backup-check", check, "--database", path,
                "--backups", catalog.path,
            ],
            environment: ["FERRY_TEST_STOP_AT": "event.backupStarted"])
        #expect(await running.waitUntilStopped(), "the backup stopped as it started")
        // Leave 2 MB: less than the dump (about 13 MB), and less than its load.
        var status = statvfs()
        #expect(statvfs(disk.folder.path, &status) == 0)
        let free = Int(status.f_bavail) * Int(status.f_frsize)
        try Data(count: max(0, free - (2 << 20))).write(
            to: disk.folder.appendingPathComponent("filler"))
        running.kill(SIGCONT)
        let output = await running.finish()

        #expect(output.status != 0, "\(output)")
        #expect(
            output.stderr.contains("No space left on device")
                || output.stderr.contains("is full"), "\(output)")
        #expect(!output.stderr.contains("damaged"), "a full disk is not called damage: \(output)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: catalog.path).isEmpty,
            "no dump, no loaded copy, no work folder is left")
    }
}
