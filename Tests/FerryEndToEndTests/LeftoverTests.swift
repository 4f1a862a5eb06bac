import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// The real `ferry` killed as `kill -9` would, at a crash point right after it
/// copied a database (a backup, a rehearsal, a dump's load): what it wrote
/// stays behind, private, and the next run removes it; the catalog and the
/// live database are right.
@Suite struct LeftoverTests {
    let folder: TemporaryFolder
    let path: String
    let temporary: URL
    var catalog: URL { folder.url.appendingPathComponent("backups") }
    var arguments: [String] {
        ["--database", path, "--migrations", ExampleApplication.migrations.path]
    }
    /// Every run's `TMPDIR`, a folder of the test's own.
    var environment: [String: String] { ["TMPDIR": temporary.path] }

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("sensorhub.db").path
        temporary = folder.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    /// The example at 0.3.0 with `rows` × 16 kB of ballast (about 16 MB by
    /// default), and mode 0600.
    func makeLargeDatabase(rows: Int = 1000) async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        try await addBallast(to: path, rows: rows)
        #expect(chmod(path, 0o600) == 0)
    }

    /// Work folders in `parent`, by name.
    func workFolders(in parent: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).filter {
            $0.hasPrefix(".ferry-work-")
        }
    }

    /// The file a killed run left in a work folder of `parent` (its lock file aside).
    func writtenFile(in parent: URL) -> URL? {
        for work in workFolders(in: parent) {
            let url = parent.appendingPathComponent(work)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            where name != ".owner" {
                let file = url.appendingPathComponent(name)
                if FileSafety.size(of: file.path) > 0 { return file }
            }
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
        try Data("old".utf8).write(
            to: catalog.appendingPathComponent(".sensorhub-old.sqlite.partial"))
        let before = try DatabaseSnapshot(path: path)

        // Killed as `kill -9` would, once the copy is written and before it enters the catalog: a timer
        // racing the copy misses it when the machine is busy.
        let output = try await FerryProcess.run(
            ["backup"] + arguments,
            environment: environment.merging([CrashPoint.variable: "backup.written"]) { $1 })
        let copy = writtenFile(in: catalog)
        let file = try #require(copy, "the killed backup left its copy: \(output)")
        #expect(output.status == SIGKILL, "\(output)")
        #expect(try mode(file.deletingLastPathComponent()) == 0o700)
        #expect(workFolders(in: catalog).count == 1, "the killed run's copy is still there")

        let listing = try #require(
            try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        #expect((listing["backups"] as? [Any])?.isEmpty == true, "a killed backup is never listed")
        #expect(listing["leftovers"] as? [String] == [".sensorhub-old.sqlite.partial"])

        let rerun = try await FerryProcess.run(
            ["backup", "--json"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(
            workFolders(in: catalog).isEmpty, "the next backup removed the dead run's work folder")
        let list = try #require(
            try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        let backups = try #require(list["backups"] as? [[String: Any]])
        #expect(backups.count == 1)
        #expect((list["unusable"] as? [Any])?.isEmpty == true)
        let name = try #require(backups.first?["file"] as? String)
        let backupFile = catalog.appendingPathComponent(name)
        #expect(try mode(backupFile) == 0o600)
        #expect(try integrityCheck(backupFile.path) == "ok")
        #expect(try scalar("SELECT count(*) FROM ballast", in: backupFile.path) == "1000")
        #expect(try DatabaseSnapshot(path: path) == before, "the live database was only read")
        let human = try await FerryProcess.run(["backups"] + arguments)
        #expect(human.stdout.contains("Left by killed backups of an older Ferry release"))
        #expect(human.stdout.contains(".sensorhub-old.sqlite.partial"))
    }

    @Test func aRehearsalKilledMidCopyLeavesAPrivateCopyThatTheNextRunRemoves() async throws {
        try await makeLargeDatabase()
        let before = try DatabaseSnapshot(path: path)

        let output = try await FerryProcess.run(
            ["upgrade", "--rehearse"] + arguments,
            environment: environment.merging([CrashPoint.variable: "rehearsal.copied"]) { $1 })
        let copy = writtenFile(in: temporary)
        // The copy is as private as the database.
        let copyMode = try copy.map(mode)
        let folderMode = try copy.map { try mode($0.deletingLastPathComponent()) }
        let file = try #require(copy, "the killed rehearsal left its copy: \(output)")
        #expect(output.status == SIGKILL, "\(output)")
        #expect(copyMode == 0o600)
        #expect(folderMode == 0o700)
        #expect(file.lastPathComponent == "sensorhub.db")
        #expect(workFolders(in: temporary).count == 1, "the killed run's copy is still there")

        let rerun = try await FerryProcess.run(
            ["upgrade", "--rehearse"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(
            workFolders(in: temporary).isEmpty,
            "the next rehearsal removed the dead run's copy, and its own")
        #expect(try DatabaseSnapshot(path: path) == before, "a rehearsal changes nothing")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.3.0")
    }

    @Test func aRestoreOfAnSQLDumpKilledWhileLoadingLeavesAWorkFolderThatTheNextRestoreRemoves()
        async throws
    {
        try await makeLargeDatabase(rows: 300)
        let dump = try await FerryProcess.run(
            ["backup", "--format", "sql", "--backup-check", "quick", "--json"] + arguments)
        #expect(dump.status == 0, "\(dump)")
        let name = try #require(try dump.jsonLines().last?["backup"] as? String)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "DELETE FROM ballast WHERE id % 2 = 0") }
        try queue.close()
        let before = try DatabaseSnapshot(path: path)

        // The dump is loaded into a new database in a work folder of the catalog before anything else.
        let output = try await FerryProcess.run(
            ["restore", name, "--yes"] + arguments,
            environment: environment.merging([CrashPoint.variable: "restore.dump-loaded"]) { $1 })
        let loading = writtenFile(in: catalog)
        #expect(output.status == SIGKILL, "\(output)")
        let file = try #require(loading, "the killed restore left its load: \(output)")
        #expect(file.lastPathComponent == name + ".loading")
        #expect(workFolders(in: catalog).count == 1)
        #expect(try DatabaseSnapshot(path: path) == before, "the live database was not touched yet")

        let rerun = try await FerryProcess.run(
            ["restore", name, "--yes"] + arguments, environment: environment)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(
            workFolders(in: catalog).isEmpty,
            "the next restore removed the dead run's load, and its own")
        #expect(try scalar("SELECT count(*) FROM ballast", in: path) == "300")
        #expect(try integrityCheck(path) == "ok")
    }
}
