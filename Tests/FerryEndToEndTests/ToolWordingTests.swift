import Ferry
import FerryTestSupport
import Foundation
import Testing

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
                + "Ferry.verify(), Ferry.status(), adopt, the ferry tool's init.")
    }

    @Test func theLibrarysErrorsReadAsTheToolAlwaysShowedThem() throws {
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
}
