import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// The real `ferry` killed with `kill -9` while it copies a database (a
/// backup, a rehearsal): what it was writing stays behind, private, and the
/// next run removes it; the catalog and the live database are right.
@Suite struct LeftoverTests {
    let folder: TemporaryFolder
    let path: String
    let temporary: URL
    var catalog: URL { folder.url.appendingPathComponent("backups") }
    var arguments: [String] { ["--database", path, "--migrations", ExampleApplication.migrations.path] }
    /// Every run's `TMPDIR`, a folder of the test's own.
    var environment: [String: String] { ["TMPDIR": temporary.path] }

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("sensorhub.db").path
        temporary = folder.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    /// The example at 0.3.0 with `rows` × 16 kB of ballast (about 200 MB by
    /// default), so that a copy takes long enough to be caught, and mode 0600.
    func makeLargeDatabase(rows: Int = 12000) async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: """
                CREATE TABLE ballast (id INTEGER PRIMARY KEY, data BLOB);
                INSERT INTO ballast (data) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                    SELECT randomblob(16000) FROM n;
                """)
        }
        try queue.close()
        #expect(chmod(path, 0o600) == 0)
    }

    /// Work folders in `parent`, by name.
    func workFolders(in parent: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).filter { $0.hasPrefix(".ferry-work-") }
    }

    /// Waits until a work folder in `parent` holds a file with bytes in it,
    /// and returns that file.
    func fileBeingWritten(in parent: URL, by process: FerryProcess.Running) async throws -> URL? {
        let deadline = ContinuousClock.now + .seconds(60)
        while process.process.isRunning, ContinuousClock.now < deadline {
            for work in workFolders(in: parent) {
                let url = parent.appendingPathComponent(work)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] where name != ".owner" {
                    let file = url.appendingPathComponent(name)
                    if FileSafety.size(of: file.path) > 0 { return file }
                }
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    func mode(_ url: URL) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
    }

    @Test func aBackupKilledMidCopyLeavesAPrivateWorkFolderThatTheNextBackupRemoves() async throws {
        try await makeLargeDatabase()
        // A file that a killed backup of an older release left: listed, not deleted.
        try FileManager.default.createDirectory(at: catalog, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: catalog.appendingPathComponent(".sensorhub-old.sqlite.partial"))
        let before = try DatabaseSnapshot(path: path)

        let killed = try FerryProcess.start(["backup"] + arguments, environment: environment)
        let copy = try await fileBeingWritten(in: catalog, by: killed)
        killed.kill(SIGKILL)
        let output = await killed.finish()
        let file = try #require(copy, "the backup was caught copying: \(output)")
        #expect(output.status == SIGKILL, "\(output)")
        #expect(try mode(file.deletingLastPathComponent()) == 0o700)
        #expect(workFolders(in: catalog).count == 1, "the killed run's copy is still there")

        let listing = try #require(try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        #expect((listing["backups"] as? [Any])?.isEmpty == true, "a killed backup is never listed")
        #expect(listing["leftovers"] as? [String] == [".sensorhub-old.sqlite.partial"])

        let rerun = try await FerryProcess.run(["backup", "--json"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(workFolders(in: catalog).isEmpty, "the next backup removed the dead run's work folder")
        let list = try #require(try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        let backups = try #require(list["backups"] as? [[String: Any]])
        #expect(backups.count == 1)
        #expect((list["unusable"] as? [Any])?.isEmpty == true)
        let name = try #require(backups.first?["file"] as? String)
        let backupFile = catalog.appendingPathComponent(name)
        #expect(try mode(backupFile) == 0o600)
        #expect(try integrityCheck(backupFile.path) == "ok")
        #expect(try scalar("SELECT count(*) FROM ballast", in: backupFile.path) == "12000")
        #expect(try DatabaseSnapshot(path: path) == before, "the live database was only read")
        let human = try await FerryProcess.run(["backups"] + arguments)
        #expect(human.stdout.contains("Left by killed backups of an older Ferry release"))
        #expect(human.stdout.contains(".sensorhub-old.sqlite.partial"))
    }

    @Test func aRehearsalKilledMidCopyLeavesAPrivateCopyThatTheNextRunRemoves() async throws {
        try await makeLargeDatabase()
        let before = try DatabaseSnapshot(path: path)

        let killed = try FerryProcess.start(["upgrade", "--rehearse"] + arguments, environment: environment)
        let copy = try await fileBeingWritten(in: temporary, by: killed)
        // The copy is as private as the database, from its first byte.
        let copyMode = try copy.map(mode)
        let folderMode = try copy.map { try mode($0.deletingLastPathComponent()) }
        killed.kill(SIGKILL)
        let output = await killed.finish()
        let file = try #require(copy, "the rehearsal was caught copying: \(output)")
        #expect(output.status == SIGKILL, "\(output)")
        #expect(copyMode == 0o600)
        #expect(folderMode == 0o700)
        #expect(file.lastPathComponent == "sensorhub.db")
        #expect(workFolders(in: temporary).count == 1, "the killed run's copy is still there")

        let rerun = try await FerryProcess.run(["upgrade", "--rehearse"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(workFolders(in: temporary).isEmpty, "the next rehearsal removed the dead run's copy, and its own")
        #expect(try DatabaseSnapshot(path: path) == before, "a rehearsal changes nothing")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.3.0")
    }

    @Test func aRestoreOfAnSQLDumpKilledWhileLoadingLeavesAWorkFolderThatTheNextRestoreRemoves() async throws {
        // An SQL dump is text twice the size of its blobs, loaded row by row: 50 MB is long enough.
        try await makeLargeDatabase(rows: 3000)
        let dump = try await FerryProcess.run(["backup", "--format", "sql", "--backup-check", "quick", "--json"] + arguments)
        #expect(dump.status == 0, "\(dump)")
        let name = try #require((try dump.jsonLines().last?["backup"] as? [String: Any])?["file"] as? String)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "DELETE FROM ballast WHERE id % 2 = 0") }
        try queue.close()
        let before = try DatabaseSnapshot(path: path)

        // The dump is loaded into a new database in a work folder of the catalog before anything else.
        let killed = try FerryProcess.start(["restore", name, "--yes"] + arguments, environment: environment)
        let loading = try await fileBeingWritten(in: catalog, by: killed)
        killed.kill(SIGKILL)
        let output = await killed.finish()
        #expect(output.status == SIGKILL, "\(output)")
        let file = try #require(loading, "the restore was caught loading the dump: \(output)")
        #expect(file.lastPathComponent == name + ".loading")
        #expect(workFolders(in: catalog).count == 1)
        #expect(try DatabaseSnapshot(path: path) == before, "the live database was not touched yet")

        let rerun = try await FerryProcess.run(["restore", name, "--yes"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(workFolders(in: catalog).isEmpty, "the next restore removed the dead run's load, and its own")
        #expect(try scalar("SELECT count(*) FROM ballast", in: path) == "3000")
        #expect(try integrityCheck(path) == "ok")
    }
}
