import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The upgrade lock belongs to the database, not to the path typed: two
/// `ferry upgrade` processes through a link and the real path take turns.
@Suite struct LockIdentityCommandTests {
    @Test(arguments: ["symbolic link", "hard link"])
    func twoUpgradersThroughTwoPathsTakeTurns(link kind: String) async throws {
        let folder = try TemporaryFolder()
        let real = folder.url.appendingPathComponent("real.db").path
        let other = folder.url.appendingPathComponent("link.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: real, migrations: migrations)
        if kind == "hard link" {
            #expect(link(real, other) == 0)
        } else {
            try FileManager.default.createSymbolicLink(
                atPath: other, withDestinationPath: "real.db")
        }
        // Outside any transaction: what it commits cannot be rolled back, so two at once would do harm.
        try InterruptedUpgrade.writeSlowRelease(
            in: migrations, rows: 2_000_000, header: "-- ferry:no-transaction")

        // The first stops itself as soon as it holds the lock; the second must then wait for it, however
        // busy the machine is.
        let first = try FerryProcess.start(
            ["upgrade", "--database", real, "--migrations", migrations.path],
            environment: [CrashPoint.stopVariable: "upgrade.locked"])
        #expect(await first.waitUntilStopped(), "the first upgrader stopped holding the lock")
        let second = try FerryProcess.start([
            "upgrade", "--database", other, "--migrations", migrations.path,
        ])
        #expect(
            await second.waitForOutput(containing: "Waiting up to"), "the second waits for the lock"
        )
        first.kill(SIGCONT)
        let outputs = [await first.finish(), await second.finish()]

        for output in outputs {
            #expect(output.status == 0, "\(output)")
            #expect(output.lines.last == "[END UPGRADE SUCCESS]", "\(output)")
            #expect(!output.stdout.contains("restore"), "no success was undone: \(output)")
        }
        #expect(
            outputs[0].stdout.contains("Upgrade to 0.6.0 completed successfully"), "\(outputs[0])")
        #expect(
            outputs[1].stdout.contains("Waiting up to"),
            "the second waited for the first: \(outputs[1])")
        #expect(
            outputs[1].stdout.contains("pid \(first.process.processIdentifier)"), "\(outputs[1])")
        #expect(outputs[1].stdout.contains("up to date at 0.6.0"), "\(outputs[1])")
        #expect(try scalar("SELECT release FROM ferry_state", in: real) == "0.6.0")
        #expect(try scalar("SELECT count(*) FROM sensor_archive", in: real) == "2000000")
        #expect(
            try scalar("SELECT count(*) FROM ferry_migrations WHERE id LIKE '0.6.0/%'", in: real)
                == "2")
        #expect(try scalar("SELECT count(*) FROM sensor_history", in: real) == "2000")
        #expect(try integrityCheck(real) == "ok")
    }
}
