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
            ["--database", path, "--migrations", migrations.path, "--backups",
             folder.url.appendingPathComponent("backups").path]
        }

        init() async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("app.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(at: "0.3.0", path: path, migrations: migrations)
            try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: 30_000_000)
            before = try DatabaseSnapshot(path: path)
            let killed = try await InterruptedUpgrade.killInsideSlowMigration(database: path, Array(common.dropFirst(2)))
            #expect(killed.status == SIGKILL, "killed inside its migration: \(killed)")
        }
    }

    /// The line every command prints (on standard error) after rolling back.
    static let rolledBack = "was rolled back: the database is at release 0.3.0."

    @Test(arguments: ["status", "plan", "check", "validate", "history", "backup", "restore", "upgrade"])
    func theFirstCommandAfterAKilledUpgradeRollsTheJournalBack(command: String) async throws {
        let killed = try await KilledUpgrade()
        #expect(InterruptedUpgrade.hasHotJournal(killed.path), "the kill left a hot journal")

        var arguments = [command] + killed.common
        switch command {
        case "restore":
            arguments += ["--latest", "--yes"]
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
        if command == "upgrade" {
            #expect(try scalar("SELECT release FROM ferry_state", in: killed.path) == "0.6.0")
            #expect(try scalar("SELECT count(*) FROM sensor_archive", in: killed.path) == "1000")
            #expect(try scalar("SELECT count(*) FROM sensor_history", in: killed.path) == "2000")
        } else {
            let after = try DatabaseSnapshot(path: killed.path)
            #expect(after.hasSameContent(as: killed.before), "before: \(killed.before), after: \(after)")
        }
    }

    @Test func theJSONOfAnUpgradeAfterAKillHasTheRollbackEvent() async throws {
        let killed = try await KilledUpgrade()
        try InterruptedUpgrade.writeSlowRelease(in: killed.migrations, rows: 10)
        let output = try await FerryProcess.run(["upgrade", "--json"] + killed.common)
        #expect(output.status == 0, "\(output)")
        let events = try output.jsonLines()
        let rolledBack = try #require(events.first { $0["event"] as? String == "interruptedTransactionRolledBack" })
        #expect(rolledBack["release"] as? String == "0.3.0")
        #expect(rolledBack["file"] as? String == "app.db-journal")
        #expect(events.last?["ok"] as? Bool == true)
    }
}
