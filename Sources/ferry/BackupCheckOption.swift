import ArgumentParser
import Ferry

/// `--backup-check full|quick`, for the commands that make or restore backups.
struct BackupCheckOption: ParsableArguments {
    @Option(
        name: .customLong("backup-check"),
        help: ArgumentHelp(
            "How backups are checked: full (read whole: integrity check, rows counted; the default) or quick "
                + "(checksum, schema and history) (env FERRY_BACKUPS_CHECK; [backups] check).",
            valueName: "level"))
    var level: BackupCheckLevel?

    /// The settings this option sets.
    var settings: Settings { Settings { $0.backupCheck = level } }
}
