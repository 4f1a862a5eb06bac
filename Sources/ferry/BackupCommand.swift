import ArgumentParser
import Ferry
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Make a checked backup of the database in the backup catalog.")

    @OptionGroup var common: CommonOptions

    @OptionGroup var fleet: FleetArguments

    @OptionGroup var backupCheck: BackupCheckOption

    @Option(
        name: .long,
        help: ArgumentHelp(
            "native (SQLite: a database file made with the online backup API; PostgreSQL: a pg_dump archive) "
                + "or sql (a dump that sqlite3 or psql loads); 'sqlite' is read as native."))
    var format: BackupFormat = .native

    @Option(name: .long, help: ArgumentHelp("A note kept in the manifest.", valueName: "text"))
    var note: String?

    struct Result: Encodable {
        let command = "backup"
        let ok = true
        let error: FerryError? = nil
        /// The backup's name, as `ferry backups` lists it and `ferry restore` takes it.
        let backup: String
        let manifest: BackupManifest
        let path: String
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("backup") {
            let fleetRun = FleetRun(
                command: "backup", arguments: fleet, common: common, console: console)
            if try fleetRun.isWanted() {
                let error = try await fleetRun.run(adding: backupCheck.settings) {
                    [format, note] ferry in
                    let backup = try await ferry.backup(format: format, note: note)
                    return FleetSummary(from: backup.manifest.release, backup: backup.name)
                }
                if let error { throw ExitCode(error.exitCode) }
                return
            }
            let ferry = Ferry(
                try common.configuration(
                    try common.settings(adding: backupCheck.settings), console: console))
            let backup = try await ferry.backup(
                format: format, note: note, onEvent: console.onEvent)
            if console.isJSON {
                return console.json(
                    Result(backup: backup.name, manifest: backup.manifest, path: backup.file.path))
            }
            console.line("Backup: \(backup.file.path)")
        }
    }
}

extension BackupFormat: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(name: argument)
    }

    public static var allValueStrings: [String] { ["native", "sql", "sqlite"] }
}
