import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Two upgraders started together, and an upgrader interrupted in the middle.
/// (A second upgrader waiting for the first, and an upgrader killed with
/// SIGKILL, are in the behaviour suite, on every engine.)
@Suite struct ConcurrencyTests {
    /// The example at a release in a folder of its own, with a copy of its migrations and a slow release 0.6.0.
    struct SlowUpgrade {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL
        var arguments: [String] {
            ["upgrade", "--database", path, "--migrations", migrations.path]
        }

        init(from release: String, rows: Int) async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("sensorhub.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(
                at: release, path: path, migrations: migrations)
            try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: rows)
        }
    }

    @Test func twoUpgradersStartedTogetherApplyEveryMigrationOnce() async throws {
        let upgrade = try await SlowUpgrade(from: "0.3.0", rows: 2_000_000)
        let (path, arguments) = (upgrade.path, upgrade.arguments)

        let first = try FerryProcess.start(arguments)
        let second = try FerryProcess.start(arguments)
        let outputs = [await first.finish(), await second.finish()]

        for output in outputs {
            #expect(output.status == 0, "\(output)")
            #expect(output.lines.last == "[END UPGRADE SUCCESS]")
        }
        #expect(
            outputs.filter { $0.stdout.contains("Upgrade to 0.6.0 completed successfully") }.count
                == 1)
        #expect(outputs.filter { $0.stdout.contains("up to date at 0.6.0") }.count == 1)
        #expect(try scalar("SELECT count(*) FROM ferry_migrations", in: path) == "16")
        #expect(try scalar("SELECT count(DISTINCT id) FROM ferry_migrations", in: path) == "16")
        #expect(try scalar("SELECT count(*) FROM sensor_archive", in: path) == "2000000")
    }

    @Test func anInterruptedUpgraderWritesTheErrorMarker() async throws {
        let upgrade = try await SlowUpgrade(from: "0.5.0", rows: 30_000_000)
        let (path, migrations) = (upgrade.path, upgrade.migrations)

        let upgrader = try FerryProcess.start([
            "upgrade", "--database", path, "--migrations", migrations.path,
        ])
        #expect(await upgrader.waitForOutput(containing: "Applying 0.6.0/001_slow_archive"))
        upgrader.kill(SIGTERM)
        let output = await upgrader.finish()
        #expect(output.status == 128 + SIGTERM)
        #expect(output.lines.last == "[END UPGRADE ERROR]")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.5.0")
        #expect(try integrityCheck(path) == "ok")
    }
}
