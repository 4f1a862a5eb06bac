import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry status` while the real binary upgrades, stopped in the middle of a
/// migration with the lock held and its transaction open.
struct StatusDuringUpgradeScenarios {
    let engine: TestEngine

    /// Status answers at once from the lock (who, since when, which step),
    /// without waiting for the upgrade; after the upgrader is killed the
    /// database is at its old release with every row.
    func statusAnswersFromTheLockWhileAnUpgradeRuns() async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(at: "0.3.0", in: database)
            let before = try await database.snapshot()
            let common =
                [
                    "--database", database.location, "--migrations",
                    ExampleApplication.migrations(for: engine).path,
                ]
                + database.backupArguments

            let upgrader = try FerryProcess.start(
                ["upgrade"] + common,
                environment: [CrashPoint.stopVariable: "upgrade.migration-started"])
            #expect(
                await upgrader.waitUntilStopped(), "the upgrader stopped inside its first migration"
            )
            let status = try FerryProcess.start(["status"] + common)
            let human = try FerryProcess.start(["status", "--json"] + common)
            let answered = await status.waitForOutput(
                containing: "Upgrade lock", timeout: .seconds(90))
            let answeredJSON = await human.waitForOutput(
                containing: "isBusy", timeout: .seconds(90))
            upgrader.kill(SIGKILL)
            let output = await status.finish()
            let json = await human.finish()
            _ = await upgrader.finish()

            #expect(answered, "status answered while the upgrade held the lock: \(output)")
            #expect(output.status == 0, "\(output)")
            #expect(output.stdout.contains("Upgrade lock:     held by"), "\(output)")
            #expect(output.stdout.contains("Busy"), "\(output)")
            if engine == .sqlite {
                #expect(
                    output.stdout.contains("pid \(upgrader.process.processIdentifier)"), "\(output)"
                )
                #expect(
                    output.stdout.contains(
                        "now: Applying 0.4.0/001_rebuild_sensors_with_unit_check"), "\(output)")
            }
            #expect(answeredJSON && json.status == 0, "\(json)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(result["isBusy"] as? Bool == true, "\(json)")
            let holder = try #require(result["lockHolder"] as? [String: Any], "\(json)")
            if engine == .sqlite {
                #expect(
                    (holder["step"] as? String)?.hasPrefix("Applying 0.4.0/001") == true, "\(json)")
            }

            // Killed in its migration: the database is at its old release with every row.
            let after = try await FerryProcess.run(["status"] + common)
            #expect(after.status == 0, "\(after)")
            #expect(after.stdout.contains("Database release: 0.3.0"), "\(after)")
            #expect(after.stdout.contains("Upgrade lock:     free"), "\(after)")
            #expect(try await database.snapshot() == before)
        }
    }
}

@Suite("Status during an upgrade on SQLite") struct SQLiteStatusDuringUpgradeTests {
    @Test func statusAnswersFromTheLockWhileAnUpgradeRuns() async throws {
        try await StatusDuringUpgradeScenarios(engine: .sqlite)
            .statusAnswersFromTheLockWhileAnUpgradeRuns()
    }
}

@Suite(
    "Status during an upgrade on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresStatusDuringUpgradeTests {
    @Test func statusAnswersFromTheLockWhileAnUpgradeRuns() async throws {
        _ = try PostgresTestServer.requireURL()
        try await StatusDuringUpgradeScenarios(engine: .postgres)
            .statusAnswersFromTheLockWhileAnUpgradeRuns()
    }
}
