import FerryTestSupport
import Foundation
import Testing

/// The tool as users run it: help, exit codes, human and JSON output.
@Suite struct CommandLineTests {
    @Test func helpListsEveryCommand() async throws {
        let output = try await FerryProcess.run(["--help"])
        #expect(output.status == 0)
        for command in ["init", "status", "plan", "upgrade", "validate", "history"] {
            #expect(output.stdout.contains(command), "\(command) in help")
        }
        #expect(output.stdout.contains("Exit codes"))
        let upgradeHelp = try await FerryProcess.run(["upgrade", "--help"])
        for option in [
            "--config", "--database", "--migrations", "--backups", "--json", "--to",
            "--allow-changed", "--lock-timeout",
            "--transaction-mode",
        ] {
            #expect(upgradeHelp.stdout.contains(option), "\(option) in upgrade help")
        }
    }

    @Test func badUsageAndConfigurationExitTwo() async throws {
        let folder = try TemporaryFolder()
        let unknownOption = try await FerryProcess.run(
            ["upgrade", "--no-such-option"], in: folder.url)
        #expect(unknownOption.status == 2)
        let noDatabase = try await FerryProcess.run(["status"], in: folder.url)
        #expect(noDatabase.status == 2)
        #expect(noDatabase.stderr.contains("No database is given"))
        try folder.write("ferry.toml", "[database]\nulr = \"x.db\"\n")
        let badFile = try await FerryProcess.run(["status"], in: folder.url)
        #expect(badFile.status == 2)
        #expect(badFile.stderr.contains("unknown key 'ulr'"))
        let badTimeout = try await FerryProcess.run(
            ["upgrade", "--lock-timeout", "-1", "--database", "x.db"], in: folder.url)
        #expect(badTimeout.status == 2)
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("x.db").path))
    }

    @Test func initWritesAStarterThatUpgrades() async throws {
        let folder = try TemporaryFolder()
        let initOutput = try await FerryProcess.run(["init", "--name", "shop"], in: folder.url)
        #expect(initOutput.status == 0, "\(initOutput)")
        let again = try await FerryProcess.run(["init"], in: folder.url)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        let upgrade = try await FerryProcess.run(["upgrade"], in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(upgrade.lines.last == "[END UPGRADE SUCCESS]")
        #expect(
            FileManager.default.fileExists(
                atPath: folder.url.appendingPathComponent("data/shop.db").path))
    }

    @Test func upgradesTheExampleWithHumanOutput() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.2.0", path: path)
        let arguments = ["--database", path, "--migrations", ExampleApplication.migrations.path]

        let status = try await FerryProcess.run(["status"] + arguments)
        #expect(status.status == 0)
        #expect(status.stdout.contains("Database release: 0.2.0"))
        #expect(status.stdout.contains("Pending:          7 migrations"))

        let plan = try await FerryProcess.run(["plan"] + arguments)
        #expect(plan.stdout.contains("Found 7 pending migrations in 3 releases (0.2.0 → 0.5.0)"))
        #expect(
            try scalar("SELECT release FROM ferry_state", in: path) == "0.2.0",
            "plan changes nothing")

        let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(upgrade.lines.first == "Found 7 pending migrations in 3 releases (0.2.0 → 0.5.0)")
        #expect(
            upgrade.stdout.contains("Applying 0.3.0/001_rename_readings_to_sensor_history (1/7)…"))
        #expect(upgrade.stdout.contains("Release 0.4.0 completed successfully"))
        #expect(
            upgrade.lines.dropLast().last?.hasPrefix("Upgrade to 0.5.0 completed successfully in ")
                == true)
        #expect(upgrade.lines.last == "[END UPGRADE SUCCESS]")

        let history = try await FerryProcess.run(["history"] + arguments)
        #expect(history.lines.count == 14)
        let validate = try await FerryProcess.run(["validate"] + arguments)
        #expect(validate.status == 0)
        #expect(validate.stdout.contains("All 14 applied migrations match their files."))
    }

    @Test func theTransactionModeComesFromTheFlagOrTheEnvironment() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path)
        let arguments = ["--database", path, "--migrations", ExampleApplication.migrations.path]

        let plan = try await FerryProcess.run(
            ["plan", "--transaction-mode", "migration"] + arguments)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("One transaction per migration"))
        let bad = try await FerryProcess.run(
            ["upgrade"] + arguments, environment: ["FERRY_TRANSACTION_MODE": "sometimes"])
        #expect(bad.status == 2, "\(bad)")
        #expect(bad.stderr.contains("'sometimes' is not a transaction mode"))
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.4.0")
        let upgrade = try await FerryProcess.run(
            ["upgrade", "--transaction-mode", "migration"] + arguments)
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.5.0")
    }

    @Test func jsonOutputIsOneObjectPerLine() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path)
        let arguments = [
            "--database", path, "--migrations", ExampleApplication.migrations.path, "--json",
        ]

        let status = try await FerryProcess.run(["status"] + arguments)
        let statusObject = try #require(try status.jsonLines().only)
        #expect(statusObject["release"] as? String == "0.5.0")
        #expect(statusObject["databaseRelease"] as? String == "0.4.0")
        #expect((statusObject["applied"] as? [String])?.count == 11)
        #expect(
            statusObject["pending"] as? [String] == [
                "0.5.0/001_create_rooms", "0.5.0/002_add_device_room",
                "0.5.0/003_sync_room_from_location",
            ])
        #expect(statusObject["upToDate"] as? Bool == false)

        let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(upgrade.status == 0)
        let events = try upgrade.jsonLines()
        #expect(events.first?["event"] as? String == "planned")
        #expect(events.filter { $0["event"] as? String == "migrationStarted" }.count == 3)
        let result = try #require(events.last)
        #expect(result["command"] as? String == "upgrade")
        #expect(result["ok"] as? Bool == true)
        #expect(result["to"] as? String == "0.5.0")
        #expect((result["applied"] as? [String])?.count == 3)
        #expect(upgrade.stderr.contains("[END UPGRADE SUCCESS]"))

        let after = try await FerryProcess.run(["status"] + arguments)
        #expect(try after.jsonLines().only?["upToDate"] as? Bool == true)
    }

    @Test func failuresAndRefusalsExitNonZeroWithTheErrorMarker() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path, migrations: migrations)
        try folder.write("migrations/0.5.0/004_bad.sql", "UPDATE devices SET name = NULL;")
        let before = try DatabaseSnapshot(path: path)
        let arguments = ["--database", path, "--migrations", migrations.path]

        let failed = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.lines.last == "[END UPGRADE ERROR]")
        #expect(failed.stderr.contains("0.5.0/004_bad.sql, line 1"))
        #expect(failed.stderr.contains("NOT NULL constraint failed: devices.name"))
        #expect(failed.stderr.contains("Nothing was changed"))
        #expect(try DatabaseSnapshot(path: path) == before)

        let json = try await FerryProcess.run(["upgrade", "--json"] + arguments)
        #expect(json.status == 1)
        let error = try #require(try json.jsonLines().last?["error"] as? [String: Any])
        #expect(error["code"] as? String == "migrationFailed")
        #expect(error["file"] as? String == "0.5.0/004_bad.sql")
        #expect(json.stderr.contains("[END UPGRADE ERROR]"))

        let newer = try await FerryProcess.run(["upgrade"] + arguments + ["--to", "0.2.0"])
        #expect(newer.status == 2, "\(newer)")
        #expect(newer.stderr.contains("already past --to 0.2.0"))

        try FileManager.default.removeItem(
            at: migrations.appendingPathComponent("0.5.0/004_bad.sql"))
        try await FerryProcess.run(["upgrade"] + arguments).expectSuccess()
        let refused = try await FerryProcess.run(
            ["upgrade"] + arguments, environment: ["FERRY_RELEASE": "0.4.0"])
        #expect(refused.status == 3, "\(refused)")
        #expect(
            refused.stderr.contains("written by release 0.5.0, newer than this program (0.4.0)"))
        #expect(refused.lines.last == "[END UPGRADE ERROR]")
        let validate = try await FerryProcess.run(["validate"] + arguments)
        #expect(validate.status == 0)
    }
}

extension Array {
    /// The only element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}

extension FerryProcess.Output {
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 0, "\(self)", sourceLocation: sourceLocation)
    }
}
