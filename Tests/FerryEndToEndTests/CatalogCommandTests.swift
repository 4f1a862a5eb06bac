import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// The backup catalog through the built binary, with its files damaged from
/// outside: manifests cut short, pointing out of the catalog, backup files
/// deleted. Each refusal is checked, then the data re-read.
@Suite struct CatalogCommandTests {
    let folder: TemporaryFolder
    let path: String
    var catalog: URL { folder.url.appendingPathComponent("backups") }
    var arguments: [String] {
        ["--database", path, "--migrations", ExampleApplication.migrations.path]
    }

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("sensorhub.db").path
    }

    /// Runs `ferry backup --json` and returns the new backup's file name.
    func backup(environment: [String: String] = [:]) async throws -> String {
        let output = try await FerryProcess.run(
            ["backup", "--json"] + arguments, environment: environment)
        #expect(output.status == 0, "\(output)")
        let result = try #require(try output.jsonLines().last)
        return try #require(result["backup"] as? String)
    }

    func manifest(of file: String) -> URL {
        catalog.appendingPathComponent(
            URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + ".json")
    }

    @Test func aDamagedNewestManifestIsListedAndRestoreLatestRefusesInsteadOfPickingAnOlderBackup()
        async throws
    {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let older = try await backup()
        let newest = try await backup()
        let manifestFile = manifest(of: newest)
        let text = try Data(contentsOf: manifestFile)
        try text.prefix(text.count / 3).write(to: manifestFile)
        let before = try DatabaseSnapshot(path: path)

        let list = try await FerryProcess.run(["backups"] + arguments)
        #expect(list.status == 0, "\(list)")
        #expect(list.stdout.contains("Backups in \(catalog.path): 1"))
        let stem = URL(fileURLWithPath: newest).deletingPathExtension().lastPathComponent
        #expect(list.stdout.contains("\(stem)  DAMAGED OR UNUSABLE"))
        #expect(
            list.stdout.contains(
                "its manifest is damaged: it is not valid JSON (cut short, changed, or with more after it)"
            ))
        let json = try #require(
            try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        #expect((json["backups"] as? [[String: Any]])?.map { $0["file"] as? String } == [older])
        let unusable = try #require(json["unusable"] as? [[String: Any]])
        #expect(unusable.map { $0["backup"] as? String } == [stem])
        #expect(
            unusable.first?["reason"] as? String
                == "its manifest is damaged: it is not valid JSON (cut short, changed, or with more after it)"
        )

        let latest = try await FerryProcess.run(["restore", "--latest", "--yes"] + arguments)
        #expect(latest.status == 3, "\(latest)")
        #expect(
            latest.stderr.contains(
                "The newest entry of the catalog that --latest could pick, \(stem), cannot be restored"
            ))
        let before03 = try await FerryProcess.run(
            ["restore", "--before-upgrade-to", "0.5.0", "--yes"] + arguments)
        #expect(before03.status == 3, "an unreadable entry might be that backup too: \(before03)")
        #expect(before03.stderr.contains("--before-upgrade-to 0.5.0 does not pass over it"))
        #expect(latest.stderr.contains("--latest does not pass over it to restore an older backup"))
        #expect(latest.stderr.contains("Nothing was changed."))
        let named = try await FerryProcess.run(["restore", newest, "--yes"] + arguments)
        #expect(named.status == 3, "\(named)")
        #expect(
            named.stderr.contains("The backup \(stem) cannot be restored: its manifest is damaged"))

        #expect(try DatabaseSnapshot(path: path) == before, "nothing was restored")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter {
                $0.contains("pre-restore")
            }
            .isEmpty)
    }

    @Test func aManifestPointingOutOfTheCatalogIsNeverRestoredNorDeletedByRetention() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let victim = try folder.write("victim.txt", "a file outside the catalog")
        let first = try await backup()
        // A manifest, once sound, now naming a file outside the catalog, and older than every backup.
        let original = manifest(of: first)
        let hostile = catalog.appendingPathComponent("hostile.json")
        try String(contentsOf: original, encoding: .utf8)
            .replacingOccurrences(
                of: "\"file\" : \"\(first)\"", with: "\"file\" : \"../victim.txt\""
            )
            .replacingOccurrences(of: "\"created\" : \"2", with: "\"created\" : \"1")
            .write(to: hostile, atomically: false, encoding: .utf8)

        let keepOne = ["FERRY_BACKUPS_KEEP": "1", "FERRY_BACKUPS_KEEP_MANUAL": "1"]
        _ = try await backup(environment: keepOne)
        let third = try await FerryProcess.run(["backup"] + arguments, environment: keepOne)
        #expect(third.status == 0, "\(third)")
        #expect(
            third.stderr.contains("Retention left 1 unusable entry of \(catalog.path) alone"),
            "\(third)")
        #expect(third.stderr.contains("hostile (its manifest names the file '../victim.txt'"))
        #expect(try String(contentsOf: victim, encoding: .utf8) == "a file outside the catalog")
        #expect(FileManager.default.fileExists(atPath: hostile.path))
        // Retention ran: one usable backup is left (the third may reuse the first's name within one second).
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: catalog.path)
                .filter { $0.hasSuffix(".json") && $0 != "hostile.json" }.count == 1,
            "retention ran")

        let before = try DatabaseSnapshot(path: path)
        let restore = try await FerryProcess.run(["restore", "hostile", "--yes"] + arguments)
        #expect(restore.status == 3, "\(restore)")
        #expect(restore.stderr.contains("which is not a plain file name in the catalog"))
        #expect(try DatabaseSnapshot(path: path) == before)
    }

    @Test func aDeletedBackupFileIsARefusalNamingTheFile() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let name = try await backup()
        try FileManager.default.removeItem(at: catalog.appendingPathComponent(name))
        let before = try DatabaseSnapshot(path: path)

        let restore = try await FerryProcess.run(["restore", name, "--yes"] + arguments)
        #expect(restore.status == 3, "\(restore)")
        #expect(restore.stderr.contains("its file \(name) is missing"), "\(restore)")
        #expect(restore.stderr.contains("Use another backup"))
        #expect(try DatabaseSnapshot(path: path) == before)
    }

    @Test func restoreLatestAfterARestorePicksTheBackupAPersonMeantAndNamesIt() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let manual = try await backup()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: "CREATE TABLE written_after (x); INSERT INTO written_after VALUES (1)")
        }
        try queue.close()

        for round in 1...2 {
            let restore = try await FerryProcess.run(["restore", "--latest", "--yes"] + arguments)
            #expect(restore.status == 0, "round \(round): \(restore)")
            #expect(
                restore.stdout.contains(
                    "Restoring \(manual), the newest pre-upgrade or manual backup (manual, release 0.3.0"
                ))
            #expect(restore.stdout.contains("Restored \(manual) (the manual backup made "))
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'written_after'", in: path)
                    == "0")
        }
        // The restore can be undone by the pre-restore backup's name as 'ferry backups' shows it, without extension.
        let listing = try #require(
            try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
        // The oldest pre-restore backup holds the database as it was before the first restore.
        let preRestore = try #require(
            (listing["backups"] as? [[String: Any]])?
                .last { $0["kind"] as? String == "pre-restore" }?["file"] as? String)
        let stem = URL(fileURLWithPath: preRestore).deletingPathExtension().lastPathComponent
        let undo = try await FerryProcess.run(["restore", stem, "--yes"] + arguments)
        #expect(undo.status == 0, "\(undo)")
        #expect(try scalar("SELECT count(*) FROM written_after", in: path) == "1")
    }

    @Test func restoreLatestAfterAKilledRestoreDoesNotPickTheCopyTheKilledRunKept() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        try await addBallast(to: path, rows: 200)
        let manual = try await backup()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: "CREATE TABLE written_after (x); INSERT INTO written_after VALUES (1)")
        }
        try queue.close()

        // Killed as kill -9 would, once its pre-restore copy of the current data is in the catalog.
        func preRestoreManifests() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: catalog.path)) ?? [])
                .filter { $0.contains("pre-restore") && $0.hasSuffix(".json") }
        }
        let output = try await FerryProcess.run(
            ["restore", "--latest", "--yes"] + arguments,
            environment: [CrashPoint.variable: "restore.pre-restore-kept"])
        #expect(output.status == SIGKILL, "\(output)")
        try #require(
            preRestoreManifests().count == 1, "the killed restore had kept its pre-restore copy")
        if FileManager.default.fileExists(atPath: path + "-journal") {
            // A hot journal left by the kill is another item's subject (Ferry's own recovery of it is tested there).
            try DatabaseQueue(path: path).close()
        }

        let latest = try await FerryProcess.run(["restore", "--latest", "--yes"] + arguments)
        #expect(latest.status == 0, "\(latest)")
        #expect(
            latest.stdout.contains("Restoring \(manual), the newest pre-upgrade or manual backup"),
            "\(latest)")
        #expect(
            try scalar("SELECT count(*) FROM sqlite_master WHERE name = 'written_after'", in: path)
                == "0")
        #expect(try scalar("SELECT count(*) FROM ballast", in: path) == "200")
        #expect(try integrityCheck(path) == "ok")
    }

    @Test func aDowngradeToTheReleaseTheDatabaseIsAtSaysSoAndSucceeds() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let before = try DatabaseSnapshot(path: path)
        let downgrade = try await FerryProcess.run(["downgrade", "--to", "0.3.0"] + arguments)
        #expect(downgrade.status == 0, "\(downgrade)")
        #expect(
            downgrade.stdout.contains(
                "The database is at release 0.3.0 already: there is nothing to downgrade"))
        let json = try await FerryProcess.run(["downgrade", "--to", "0.3.0", "--json"] + arguments)
        #expect(json.status == 0)
        #expect(
            (try json.jsonLines().last?["report"] as? [String: Any])?["release"] as? String
                == "0.3.0")
        let newer = try await FerryProcess.run(["downgrade", "--to", "0.4.0", "--yes"] + arguments)
        #expect(newer.status == 2, "a release newer than the database is still bad usage")
        // A release that no folder and no history names is none the database can be at.
        let unknown = try await FerryProcess.run(
            ["downgrade", "--to", "0.2.5", "--yes"] + arguments)
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("--to 0.2.5 is not a release this program knows"))
        #expect(unknown.stderr.contains("Known releases older than 0.3.0: 0.1.0, 0.2.0."))
        #expect(try DatabaseSnapshot(path: path) == before)
    }

    @Test func numbersOutOfRangeAndUnknownFilesAreUsageErrorsNotCrashes() async throws {
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let before = try DatabaseSnapshot(path: path)
        let flag = try await FerryProcess.run(["upgrade", "--lock-timeout", "1e20"] + arguments)
        #expect(flag.status == 2, "\(flag)")
        #expect(
            flag.stderr.contains(
                "--lock-timeout 1e+20 is out of range: it must be a number of seconds from 0 to 31536000"
            ))
        let environment = try await FerryProcess.run(
            ["upgrade"] + arguments, environment: ["FERRY_LOCK_TIMEOUT": "1e20"])
        #expect(environment.status == 2, "\(environment)")
        #expect(environment.stderr.contains("FERRY_LOCK_TIMEOUT=1e20 is out of range"))
        let config = try folder.write(
            "ferry.toml", "[database]\nlock_timeout = 1e20\n[backups]\nkeep = 5\n")
        let file = try await FerryProcess.run(["status", "--config", config.path] + arguments)
        #expect(file.status == 2, "\(file)")
        #expect(
            file.stderr.contains(
                "[database] lock_timeout = 1e+20 in \(config.path) is out of range"))
        let zero = try folder.write("zero.toml", "[backups]\nkeep = 0\n")
        let keep = try await FerryProcess.run(["backup", "--config", zero.path] + arguments)
        #expect(keep.status == 2, "\(keep)")
        #expect(keep.stderr.contains("[backups] keep = 0 in \(zero.path) is out of range"))

        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let changed = ["--database", path, "--migrations", migrations.path]
        let huge = try folder.write(
            "migrations/0.5.0/99999999999999999999999_huge.sql", "CREATE TABLE huge (x);")
        let number = try await FerryProcess.run(["upgrade"] + changed)
        #expect(number.status == 2, "\(number)")
        #expect(number.stderr.contains("0.5.0/99999999999999999999999_huge.sql has the number"))
        try FileManager.default.removeItem(at: huge)
        try folder.write("migrations/0.4.0/002_must_run.SQL", "CREATE TABLE must_exist (x);")
        for command in ["status", "upgrade"] {
            let output = try await FerryProcess.run([command] + changed)
            #expect(output.status == 2, "\(command): \(output)")
            #expect(
                output.stderr.contains("0.4.0/002_must_run.SQL is not a migration"), "\(output)")
        }
        #expect(try DatabaseSnapshot(path: path) == before, "nothing ran")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small file system needs root"))
    func checkAndBackupAgreeOnTheSpaceABackupNeeds() async throws {
        // About 6 MB of pages: the old check counted 6 MB and passed, the backup then asked for 23 MB.
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        try await addBallast(to: path, rows: 1500, bytes: 4000)
        let small = folder.url.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try #require(
            try run(
                "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", small.path])
                == 0)
        defer { _ = try? run("/usr/bin/env", ["umount", small.path]) }
        let onSmall = arguments + ["--backups", small.path]

        let backup = try await FerryProcess.run(["backup"] + onSmall)
        #expect(backup.status == 3, "\(backup)")
        let figure = try #require(
            backup.stderr.components(separatedBy: "needs about ").dropFirst().first)
        let needed = try #require(figure.components(separatedBy: " but ").first)
        let check = try await FerryProcess.run(["check", "--json"] + onSmall)
        #expect(check.status == 3, "\(check)")
        let checks = try #require(try check.jsonLines().last?["checks"] as? [[String: Any]])
        let space = checks.filter { $0["name"] as? String == "free space" }
        #expect(
            space.contains { ($0["detail"] as? String)?.contains("backup \(needed)") == true },
            "\(needed): \(space)")
        #expect(space.contains { $0["status"] as? String == "blocker" }, "\(space)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: small.path).filter {
                !$0.hasPrefix(".")
            }.isEmpty)
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
