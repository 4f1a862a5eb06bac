import Ferry
import FerryTestSupport
import Foundation
import Testing

/// A `ferry upgrade` killed with SIGKILL inside its transaction leaves a hot
/// journal (rollback-journal mode): the next Ferry command, whichever it is
/// and with nothing else opening the database before it, rolls it back
/// under the upgrade lock, says so in one line, and works.
@Suite struct CrashRecoveryCommandTests {
    /// The example at 0.3.0 in a folder of its own, a slow release 0.6.0, and
    /// an upgrade of it killed in its slow migration.
    struct KilledUpgrade {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL
        let before: DatabaseSnapshot
        var common: [String] {
            [
                "--database", path, "--migrations", migrations.path, "--backups",
                folder.url.appendingPathComponent("backups").path,
            ]
        }

        init() async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("app.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.3.0", path: path, migrations: migrations)
            try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: 30_000_000)
            before = try DatabaseSnapshot(path: path)
            let killed = try await InterruptedUpgrade.killInsideSlowMigration(
                database: path, Array(common.dropFirst(2)))
            #expect(killed.status == SIGKILL, "killed inside its migration: \(killed)")
        }
    }

    /// The line every command prints (on standard error) after rolling back.
    static let rolledBack = "was rolled back: the database is at release 0.3.0."

    @Test(arguments: [
        "status", "plan", "check", "validate", "history", "backup", "restore", "downgrade",
        "upgrade",
    ])
    func theFirstCommandAfterAKilledUpgradeRollsTheJournalBack(command: String) async throws {
        let killed = try await KilledUpgrade()
        #expect(InterruptedUpgrade.hasHotJournal(killed.path), "the kill left a hot journal")

        var arguments = [command] + killed.common
        switch command {
        case "restore":
            arguments += ["--latest", "--yes"]
        case "downgrade":
            arguments += ["--to", "0.2.0", "--yes"]
        case "upgrade":
            // The next release of the application: the same migration, quick this time.
            try InterruptedUpgrade.writeSlowRelease(in: killed.migrations, rows: 1000)
        default:
            break
        }
        let output = try await FerryProcess.run(arguments)

        #expect(output.status == 0, "\(output)")
        #expect(!output.stderr.contains("readonly"), "\(output)")
        #expect(output.stderr.contains("An interrupted transaction in \(killed.path)"), "\(output)")
        #expect(output.stderr.contains(Self.rolledBack), "\(output)")
        #expect(InterruptedUpgrade.journalSize(of: killed.path) == 0)
        #expect(try integrityCheck(killed.path) == "ok")
        if command == "downgrade" {
            #expect(try scalar("SELECT release FROM ferry_state", in: killed.path) == "0.2.0")
            #expect(try scalar("SELECT count(*) FROM readings", in: killed.path) == "2000")
        } else if command == "upgrade" {
            #expect(try scalar("SELECT release FROM ferry_state", in: killed.path) == "0.6.0")
            #expect(try scalar("SELECT count(*) FROM sensor_archive", in: killed.path) == "1000")
            #expect(try scalar("SELECT count(*) FROM sensor_history", in: killed.path) == "2000")
        } else {
            let after = try DatabaseSnapshot(path: killed.path)
            #expect(
                after.hasSameContent(as: killed.before), "before: \(killed.before), after: \(after)"
            )
        }
    }

    @Test func aHotJournalOnAReadOnlyFileSystemIsCalledSoNotBlamedOnPermissions() async throws {
        let disk = try SmallDisk(megabytes: 200)
        defer { disk.unmount() }
        let folder = try TemporaryFolder()
        let path = disk.folder.appendingPathComponent("app.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path, migrations: migrations)
        try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: 30_000_000)
        let before = try DatabaseSnapshot(path: path)
        let common = [
            "--migrations", migrations.path, "--backups",
            folder.url.appendingPathComponent("backups").path,
        ]
        let killed = try await InterruptedUpgrade.killInsideSlowMigration(database: path, common)
        #expect(killed.status == SIGKILL, "\(killed)")
        #expect(InterruptedUpgrade.hasHotJournal(path), "the kill left a hot journal")
        try disk.remount(readOnly: true)

        let refused = try await FerryProcess.run(["status", "--database", path] + common)

        #expect(refused.status == 1, "\(refused)")
        #expect(
            refused.stderr.contains(
                "holds a transaction that a process left unfinished (\(path)-journal), "
                    + "and SQLite could not roll it back."), "\(refused)")
        #expect(
            refused.stderr.contains(
                "The file system that holds \(disk.folder.path) is mounted read-only"), "\(refused)"
        )
        #expect(!refused.stderr.contains("by this user"), "\(refused)")
        #expect(InterruptedUpgrade.hasHotJournal(path), "nothing could change it")

        try disk.remount(readOnly: false)
        let status = try await FerryProcess.run(["status", "--database", path] + common)
        #expect(status.status == 0, "\(status)")
        #expect(status.stderr.contains(Self.rolledBack), "\(status)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))
    }

    @Test func theJSONOfAnUpgradeAfterAKillHasTheRollbackEvent() async throws {
        let killed = try await KilledUpgrade()
        try InterruptedUpgrade.writeSlowRelease(in: killed.migrations, rows: 10)
        let output = try await FerryProcess.run(["upgrade", "--json"] + killed.common)
        #expect(output.status == 0, "\(output)")
        let events = try output.jsonLines()
        let rolledBack = try #require(
            events.first { $0["event"] as? String == "interruptedTransactionRolledBack" })
        #expect(rolledBack["release"] as? String == "0.3.0")
        #expect(rolledBack["file"] as? String == "app.db-journal")
        #expect(events.last?["ok"] as? Bool == true)
    }
}
