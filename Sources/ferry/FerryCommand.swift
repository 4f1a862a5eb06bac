import ArgumentParser
import Ferry
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
            ValidateCommand.self, HistoryCommand.self, BackupCommand.self, BackupsCommand.self, RestoreCommand.self,
            DowngradeCommand.self, CheckCommand.self, VerifyCommand.self, TestPathsCommand.self,
        ])

    /// Runs the tool with Ferry's exit codes: bad usage exits 2, not 64.
    static func main() async {
        // A closed pipe (`ferry upgrade | head`) must not kill an upgrade half-way: writes just fail.
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let error = CommandNames.usageError(for: arguments) {
            let wantsJSON = arguments.contains("--json") || CommonOptions.environmentWantsJSON
            Console(isJSON: wantsJSON).report(error, command: arguments.first ?? "")
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
                try? FileHandle.standardError.write(contentsOf: Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The release of the `ferry` tool itself.
enum FerryVersion {
    static let current = "0.1.0"
}
