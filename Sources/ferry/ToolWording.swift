import Ferry

extension FerryError.Wording {
    /// The `ferry` tool's words for the settings and commands that the
    /// library's errors name: its flags and its command lines
    /// (``ToolWords``). Every error the tool shows is worded with it.
    static let tool = FerryError.Wording(ToolWords.words(for:))
}

/// The `ferry` tool's words for what the library's messages name: the
/// library knows a setting by its Swift property and a command by the call
/// an application makes, and only the tool knows its flags and command lines.
enum ToolWords {
    /// A setting's flag, and the name the flag's value goes by when a
    /// message shows it with a placeholder (`--backups DIR`).
    struct Flag {
        let flag: String
        var placeholder: String? = nil
    }

    /// Each setting's flag, by the setting's name.
    static let flags: [String: Flag] = {
        typealias Setting = FerryError.Setting
        let flags: [(Setting, Flag)] = [
            (.allowChanged, Flag(flag: "--allow-changed")),
            (.noBackup, Flag(flag: "--no-backup")),
            (.force, Flag(flag: "--force")),
            (.create, Flag(flag: "--create")),
            (.lockTimeout, Flag(flag: "--lock-timeout", placeholder: "SECONDS")),
            (.target, Flag(flag: "--to")),
            (.database, Flag(flag: "--database", placeholder: "PATH")),
            (.backups, Flag(flag: "--backups", placeholder: "DIR")),
            (.migrations, Flag(flag: "--migrations", placeholder: "DIR")),
            // The tool reads the file's path from a flag or its own variable.
            (.configurationFile, Flag(flag: "--config or FERRY_CONFIG")),
            (.backupCheck, Flag(flag: "--backup-check")),
            (.schemaDrift, Flag(flag: "--no-schema-drift")),
            (.transactionMode, Flag(flag: "--transaction-mode")),
            (.latestBackup, Flag(flag: "--latest")),
            (.backupBeforeUpgrade, Flag(flag: "--before-upgrade-to")),
            (.importMode, Flag(flag: "--mode")),
            (.adoptFrom, Flag(flag: "--from", placeholder: "TOOL")),
            (.keepHistoryTable, Flag(flag: "--keep-history-table")),
            (.baselineRelease, Flag(flag: "--release", placeholder: "VERSION")),
            (.databases, Flag(flag: "--databases", placeholder: "SPEC")),
            (.continueOnError, Flag(flag: "--continue-on-error")),
            (.resume, Flag(flag: "--resume", placeholder: "FILE")),
        ]
        return Dictionary(uniqueKeysWithValues: flags.map { ($0.0.name, $0.1) })
    }()

    /// The tool's words for a remedy; a setting it has no flag for keeps
    /// the library's words.
    static func words(for remedy: FerryError.Remedy) -> String {
        switch remedy {
        case .setting(let setting, let value):
            guard let flag = flags[setting.name] else { return remedy.libraryWords }
            switch value {
            case nil: return flag.flag
            case .placeholder: return flag.flag + (flag.placeholder.map { " \($0)" } ?? "")
            case .given(let given, _): return "\(flag.flag) \(given)"
            }
        case .command(let command, let form):
            let line = commandLine(command)
            return form == .run ? "'ferry \(line)'" : line
        }
    }

    /// A command's line without the program's name: its subcommand and
    /// arguments (`restore NAME`, `downgrade --to 0.3.0`).
    static func commandLine(_ command: FerryError.Command) -> String {
        switch (command.name, command.arguments.first) {
        // A named backup is restored at once, from a script as on a terminal.
        case ("restore", let backup?): return "restore \(backup) --yes"
        case ("restore", nil): return "restore NAME"
        case ("downgrade", let release?): return "downgrade --to \(release)"
        case ("testPaths", _): return "test-paths"
        case ("initialize", _): return "init"
        default: return ([command.name] + command.arguments).joined(separator: " ")
        }
    }
}
