import ArgumentParser
import Ferry
import Foundation

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract:
            "Replace the database with a checked backup (a pre-restore backup is taken first).")

    @OptionGroup var common: CommonOptions

    @OptionGroup var backupCheck: BackupCheckOption

    @Argument(
        help: "The backup's name, as 'ferry backups' lists it (with or without its extension).")
    var name: String?

    @Flag(
        name: .long,
        help:
            "Restore the newest pre-upgrade or manual backup (never a pre-restore or pre-downgrade one)."
    )
    var latest = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Restore the backup taken before the upgrade to this release.", valueName: "version"),
        transform: OptionValue.release)
    var beforeUpgradeTo: Release?

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    struct Result: Encodable {
        let command = "restore"
        let ok = true
        let error: FerryError? = nil
        let report: RestoreReport
    }

    func validate() throws {
        let chosen = [name != nil, latest, beforeUpgradeTo != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError(
                "Give exactly one of: a backup NAME, --latest, --before-upgrade-to VERSION.")
        }
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("restore") {
            let ferry = Ferry(
                try common.configuration(
                    try common.settings(adding: backupCheck.settings), console: console))
            let selection: BackupSelection
            if let name {
                selection = .named(name)
            } else if let beforeUpgradeTo {
                selection = .beforeUpgrade(to: beforeUpgradeTo)
            } else {
                selection = .latest
            }
            let preview = try await ferry.restorePreview(selection)
            let manifest = preview.backup.manifest
            // Say which backup was chosen, also with --yes, before anything changes.
            let chosen =
                "\(preview.backup.name)"
                + (latest ? ", the newest pre-upgrade or manual backup" : "")
                + " (\(manifest.kind.rawValue), release \(manifest.release ?? "none"), made \(Timestamp.string(from: manifest.created)))"
            if !console.isJSON { console.line("Restoring \(chosen).") }
            try console.confirm(
                "Restore \(chosen) "
                    + "into \(ferry.configuration.engine.displayName), now at release \(preview.currentRelease ?? "none")? "
                    + "Every write since \(Timestamp.string(from: preview.lostSince)) will be undone (a pre-restore backup is kept).",
                typing: "restore", yes: yes)
            let report = try await ferry.restore(
                preview.backup, onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(report: report)) }
            console.line(
                "Restored \(report.restored) (the \(report.kind.rawValue) backup made \(Timestamp.string(from: report.made))). "
                    + "The database is now at release \(report.release ?? "none").")
            if let preRestore = report.preRestoreBackup {
                console.line("The database as it was before is kept as \(preRestore).")
            }
            if let release = report.release, let program = try? ferry.programRelease(),
                let restored = Release(release), restored < program
            {
                console.line("To upgrade it again to \(program), run 'ferry upgrade'.")
            }
        }
    }
}
