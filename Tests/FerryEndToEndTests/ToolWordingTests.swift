import FerryTestSupport
import Foundation
import Testing

@testable import Ferry
@testable import FerryCLI

/// The `ferry` tool words the library's errors with its own flags and
/// command lines (``ToolWords``), which the core does not hold: the same
/// errors read with the library's words (Swift properties and calls) and,
/// shown by the tool, exactly as the tool has always shown them.
@Suite struct ToolWordingTests {
    @Test func everySettingTheCoreNamesHasAFlag() {
        for setting in FerryError.Setting.all {
            #expect(ToolWords.flags[setting.name] != nil, "\(setting.name) has no flag")
        }
        for command in FerryError.Command.all {
            #expect(!ToolWords.commandLine(command).contains("Ferry."), "\(command.name)")
        }
    }

    @Test func commandsReadAsTheToolsCommandLines() throws {
        let error = FerryError(
            .backupNotFound, "The catalog holds no backup.",
            advice:
                "Make one with \(run: .backup), or pass \(.backups, .placeholder) if the backups are "
                + "elsewhere; \(run: .backups) lists them, then \(run: .restore()); "
                + "\(run: .restore("app-0.2.0-to-0.3.0")); \(run: .downgrade(to: Release(0, 2, 0))); "
                + "run \(named: .testPaths) again; that \(named: .downgrade(to: Release(0, 3, 0))) "
                + "could pick; \(.backupBeforeUpgrade, .given("0.5.0")) and \(.latestBackup); "
                + "\(run: .verify), \(run: .status), \(run: .adopt), \(run: .initialize).")
        #expect(
            error.worded(for: .tool).advice
                == "Make one with 'ferry backup', or pass --backups DIR if the backups are "
                + "elsewhere; 'ferry backups' lists them, then 'ferry restore NAME'; "
                + "'ferry restore app-0.2.0-to-0.3.0 --yes'; 'ferry downgrade --to 0.2.0'; "
                + "run test-paths again; that downgrade --to 0.3.0 could pick; "
                + "--before-upgrade-to 0.5.0 and --latest; "
                + "'ferry verify', 'ferry status', 'ferry adopt', 'ferry init'.")
        #expect(
            error.advice
                == "Make one with Ferry.backup(), or pass Configuration.backupsDirectory if the "
                + "backups are elsewhere; Ferry.backups() lists them, then Ferry.restore(_:); "
                + "Ferry.restore(_:) with the backup app-0.2.0-to-0.3.0; "
                + "Ferry.downgrade(_:) with Ferry.downgradePlan(to: 0.2.0); "
                + "run Ferry.testUpgradePaths() again; that Ferry.downgrade(_:) with "
                + "Ferry.downgradePlan(to: 0.3.0) could pick; "
                + "BackupSelection.beforeUpgrade(to: 0.5.0) and BackupSelection.latest; "
                + "Ferry.verify(), Ferry.status(), Ferry.adopt(_:), the ferry tool's init.")
    }

    @Test func theLibrarysErrorsReadAsTheToolAlwaysShowedThem() throws {
        let standby = FerryError(
            .databaseReadOnly, "A standby.",
            advice: "Back up with \(.backupCheck, .given("quick", swift: ".quick")), or run "
                + "with \(.transactionMode, .given("migration", swift: ".perMigration")).")
        #expect(
            standby.worded(for: .tool).advice
                == "Back up with --backup-check quick, or run with --transaction-mode migration.")
        #expect(
            standby.advice
                == "Back up with Configuration.backupCheck = .quick, or run with "
                + "UpgradeOptions.transactionMode = .perMigration.")
        let missing = try #require(throws: FerryError.self) {
            try Settings.file(at: URL(fileURLWithPath: "/nonexistent/ferry.toml"))
        }
        #expect(
            missing.worded(for: .tool).advice
                == "Check the path given with --config or FERRY_CONFIG, or run 'ferry init' to write one."
        )
        #expect(
            missing.advice
                == "Check the path given with Settings.file(at:), or run the ferry tool's init to write one."
        )
        let level = try #require(throws: FerryError.self) {
            try BackupCheckLevel(parsing: "thorough")
        }
        #expect(
            level.worded(for: .tool).message
                == "'thorough' is not a backup check level ([backups] check, FERRY_BACKUPS_CHECK, --backup-check)."
        )
        #expect(level.message.hasSuffix("FERRY_BACKUPS_CHECK, Configuration.backupCheck)."))
        let unconfigured = try #require(throws: FerryError.self) {
            try Settings().databaseLocation()
        }
        #expect(
            unconfigured.worded(for: .tool).advice
                == "Pass --database PATH (or postgres://…), set FERRY_DATABASE, or set [database] url in ferry.toml."
        )
        #expect(
            unconfigured.advice?.hasPrefix("Pass Configuration.engine (or postgres://…)") == true)
    }

    @Test func theToolsJSONNamesItsFlags() throws {
        let error = FerryError(
            .backupNotFound, "None.", advice: "Run \(run: .backups) or pass \(.backups).")
        let line = Console.encode(ErrorResult(command: "restore", error: error))
        #expect(line.contains("\"advice\":\"Run 'ferry backups' or pass --backups.\""))
    }

    @Test func reportsNameTheToolsWordsForTheToolAndTheLibrarysForAnApplication() throws {
        let check = PreflightCheck(
            name: "database", status: .blocker, detail: "missing (pass \(.create) to create it)")
        #expect(check.detail == "missing (pass Configuration.createsDatabase to create it)")
        #expect(check.worded(for: .tool).detail == "missing (pass --create to create it)")
        let report = PreflightReport(checks: [check])
        #expect(
            report.refusal(force: false)?.worded(for: .tool).message
                == "Preflight refused the upgrade:\n  blocker: database: missing (pass --create to create it)"
        )
        #expect(
            Console.encode(check)
                == #"{"detail":"missing (pass --create to create it)","name":"database","status":"blocker"}"#
        )
        let busy = Status(
            programRelease: Release(0, 5, 0), lockHolder: .currentProcess(), database: "app.db")
        #expect(busy.problem?.hasSuffix("Run Ferry.status() again when it has finished.") == true)
        #expect(
            busy.worded(for: .tool).problem?.hasSuffix(
                "Run 'ferry status' again when it has finished.") == true)
        #expect(Console.encode(busy).contains("Run 'ferry status' again when it has finished."))
    }

    /// No mark reaches the tool's output: the private-use characters that
    /// mark a setting or a command in the core's texts.
    func expectNoMark(_ output: FerryProcess.Output) {
        #expect(
            !(output.stdout + output.stderr).unicodeScalars.contains {
                (0xE000...0xF8FF).contains($0.value)
            }, "\(output)")
    }

    @Test func theChecksOfAMissingDatabaseNameTheFlagsInTheTableTheJSONAndTheRefusal()
        async throws
    {
        let folder = try TemporaryFolder()
        _ = try ExampleApplication.copyMigrations(to: folder.url)
        let missing = folder.url.appendingPathComponent("nowhere/sensorhub.db").path
        let arguments = ["--database", missing, "--migrations", "migrations"]
        let detail =
            "(check the path; pass --create, or set [database] create = true, to create it)"

        let check = try await FerryProcess.run(["check"] + arguments, in: folder.url)
        #expect(check.status == 3, "\(check)")
        #expect(check.stdout.contains(detail), "\(check)")
        expectNoMark(check)

        let json = try await FerryProcess.run(["check", "--json"] + arguments, in: folder.url)
        let object = try #require(try json.jsonLines().only)
        let database = (object["checks"] as? [[String: Any]])?.first {
            $0["name"] as? String == "database"
        }
        #expect((database?["detail"] as? String)?.hasSuffix(detail) == true, "\(json)")
        let error = try #require(object["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains(detail) == true)
        #expect(
            error["advice"] as? String
                == "Resolve the blockers and run again (--force overrides warnings only).")
        expectNoMark(json)

        let upgrade = try await FerryProcess.run(["upgrade"] + arguments, in: folder.url)
        #expect(upgrade.status == 3, "\(upgrade)")
        // The upgrade refuses before preflight, and its advice names the flags too.
        #expect(
            upgrade.stderr.contains("(--database, FERRY_DATABASE, [database] url)"), "\(upgrade)")
        #expect(
            upgrade.stderr.contains("run again with --create (or set [database] create = true)."),
            "\(upgrade)")
        expectNoMark(upgrade)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func aSchemaDriftCheckTurnedOffNamesItsFlag() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path, migrations: migrations)
        let before = try DatabaseSnapshot(path: path)
        let check = try await FerryProcess.run(
            ["check", "--no-schema-drift", "--database", path, "--migrations", "migrations"],
            in: folder.url)
        #expect(
            check.stdout.contains(
                "not checked: turned off (--no-schema-drift, FERRY_SCHEMA_DRIFT=0 or [preflight] schema_drift = false)"
            ), "\(check)")
        expectNoMark(check)
        #expect(try DatabaseSnapshot(path: path) == before)
    }

    @Test func restoringFromAnEmptyCatalogSuggestsTheToolsCommandsOrTheLibrarysCalls()
        async throws
    {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path, migrations: migrations)
        let before = try DatabaseSnapshot(path: path)
        let arguments = ["--database", path, "--migrations", "migrations"]
        let advice =
            "Make one with 'ferry backup', or pass --backups DIR if the backups are elsewhere."

        let restore = try await FerryProcess.run(
            ["restore", "--latest", "--yes"] + arguments, in: folder.url)
        #expect(restore.status == 3, "\(restore)")
        #expect(restore.stderr.hasSuffix(advice + "\n"), "\(restore)")
        expectNoMark(restore)
        let json = try await FerryProcess.run(
            ["restore", "--latest", "--yes", "--json"] + arguments, in: folder.url)
        let error = try #require(try json.jsonLines().last?["error"] as? [String: Any])
        #expect(error["advice"] as? String == advice, "\(json)")
        expectNoMark(json)

        let library = try #require(throws: FerryError.self) {
            try Ferry(ExampleApplication.configuration(database: path, migrations: migrations))
                .findBackup(.latest)
        }
        #expect(
            library.advice
                == "Make one with Ferry.backup(), or pass Configuration.backupsDirectory if the "
                + "backups are elsewhere.")
        #expect(try DatabaseSnapshot(path: path) == before)
    }

    @Test func everyFlagAndCommandTheToolNamesIsOneItHas() async throws {
        let folder = try TemporaryFolder()
        var helps: [String: String] = [:]
        for name in CommandNames.all {
            let help = try await FerryProcess.run([name, "--help"], in: folder.url)
            #expect(help.status == 0, "\(help)")
            helps[name] = help.stdout
        }
        for (setting, flag) in ToolWords.flags {
            // A variable named beside a flag is the tool's own, read before any command.
            for word in flag.flag.split(separator: " ") where word.hasPrefix("--") {
                #expect(
                    helps.values.contains { $0.contains(word + " ") || $0.contains(word + "\n") },
                    "\(setting): no command has \(word)")
            }
        }
        for command in FerryError.Command.all {
            let line = ToolWords.commandLine(command).split(separator: " ").map(String.init)
            let help = try #require(helps[line[0]], "\(command.name): no command \(line[0])")
            for option in line.dropFirst() where option.hasPrefix("--") {
                #expect(help.contains(option), "\(line[0]) has no \(option)")
            }
        }
    }
}
