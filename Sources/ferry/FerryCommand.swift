import ArgumentParser
import Ferry
import FerrySQLite
import Foundation

/// The `ferry` tool: one subcommand per verb, each a thin layer over the library.
@main
struct FerryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Carries an application's database safely from one release to the next.",
        discussion: """
            Exit codes: 0 done; 1 failed (nothing changed, or rolled back); \
            2 bad usage or configuration; 3 refused by a check, the policy or the lock.
            Settings come from flags, then FERRY_* environment variables, then ferry.toml.
            """,
        version: FerryVersion.current,
        subcommands: [
            InitCommand.self, StatusCommand.self, PlanCommand.self, UpgradeCommand.self,
            ValidateCommand.self, HistoryCommand.self, BackupCommand.self, BackupsCommand.self,
            RestoreCommand.self,
            DowngradeCommand.self, CheckCommand.self, VerifyCommand.self, TestPathsCommand.self,
            NewCommand.self,
            ExportCommand.self, ImportCommand.self, ServeCommand.self, TransferCommand.self,
            AdoptCommand.self, BaselineCommand.self,
        ])

    /// Runs the tool with Ferry's exit codes: bad usage exits 2, not 64.
    static func main() async {
        // A closed pipe (`ferry upgrade | head`) must not kill an upgrade half-way: writes just fail.
        signal(SIGPIPE, SIG_IGN)
        // Before any database is opened: the tool never reads SQLite's memory statistics.
        SQLiteProcessSettings.turnOffMemoryStatistics()
        let arguments = Array(CommandLine.arguments.dropFirst())
        let console = Console(
            isJSON: arguments.contains("--json") || CommonOptions.environmentWantsJSON)
        // The command as scripts see it in `command`: the name given, when it is one of ours.
        let commandName = arguments.first.flatMap { CommandNames.all.contains($0) ? $0 : nil } ?? ""
        if let error = CommandNames.usageError(for: arguments) {
            console.report(error, command: commandName)
            Foundation.exit(error.exitCode)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Under --json a script gets the same error object as for any other refusal.
                let usage = FerryError(
                    .invalidConfiguration, message(for: error), changes: "Nothing was changed.",
                    advice:
                        "Run 'ferry \(commandName.isEmpty ? "" : commandName + " ")--help' for the options."
                )
                if console.isJSON {
                    console.report(usage, command: commandName)
                } else {
                    console.problem(fullMessage(for: error))
                }
                // An upgrade's output always ends with its marker, also when its arguments are wrong.
                if commandName == "upgrade" { EndMarker(console: console).write(success: false) }
                Foundation.exit(2)
            }
            if code != .success, console.isJSON {
                // Not one of Ferry's errors (those are reported by the command itself): still one JSON object.
                let failure = FerryError(
                    .unexpected, message(for: error),
                    changes:
                        "The command stopped on an unexpected error; run 'ferry status' to see the database."
                )
                console.report(failure, command: commandName)
                if commandName == "upgrade" { EndMarker(console: console).write(success: false) }
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}

/// The release of the `ferry` tool itself.
enum FerryVersion {
    static let current = "0.1.0"
}
