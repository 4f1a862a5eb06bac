import ArgumentParser
import Ferry
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Write a starter ferry.toml and a migrations folder.")

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The application's name (default: the current folder's name).", valueName: "name"))
    var name: String?

    struct Result: Encodable {
        let command = "init"
        let ok = true
        let error: FerryError? = nil
        let config: String
        let migrations: String
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("init") {
            let configFile = URL(fileURLWithPath: common.config ?? "ferry.toml")
            let folder = configFile.deletingLastPathComponent()
            let appName =
                name
                ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).lastPathComponent
            guard !FileManager.default.fileExists(atPath: configFile.path) else {
                throw FerryError(
                    .invalidConfiguration, "\(configFile.path) already exists.",
                    changes: "Nothing was changed.",
                    advice: "Edit it, or pass --config PATH to write another file.")
            }
            let migrationsPath = common.migrations ?? "migrations"
            let migrationsFolder = URL(fileURLWithPath: migrationsPath, relativeTo: folder)
            // Another tool's folder is left as it is: the file says its layout, and its release.
            let detected = try common.layout ?? MigrationLayout.detect(in: migrationsFolder)
            let foreign = detected == .ferry ? nil : detected
            let firstRelease = migrationsFolder.appendingPathComponent("0.1.0")
            let firstMigration = firstRelease.appendingPathComponent("001_create_items.sql")
            let releaseLine =
                foreign == nil
                ? "# release = \"0.1.0\"                # default: the newest release folder"
                : "release = \"1.0.0\"                  # the release its migrations belong to"
            let layoutLine =
                foreign.map {
                    "layout = \"\($0.rawValue)\"            # detected: read as \($0.rawValue) reads it"
                }
                ?? "# layout = \"ferry\"                 # or flyway, golang-migrate, diesel, sqlx, goose, dbmate, sqitch"
            let toml = """
                # Ferry's settings. Each key also has a flag and a FERRY_* environment variable;
                # flags beat the environment, which beats this file. Paths are relative to this file.

                [app]
                name = "\(appName)"
                \(releaseLine)
                # minimum_upgradable_from = "0.1.0"

                [database]
                url = "\(common.database ?? "data/\(appName).db")"   # a SQLite path, sqlite:PATH, or postgres://user@host/db
                migrations = "\(migrationsPath)"
                \(layoutLine)
                create = true                      # the first upgrade creates the database; once it
                                                   # exists, remove this so a mistyped url is refused
                # lock_timeout = 60                # seconds to wait for another upgrader

                [backups]
                # directory = "data/backups"       # default: a backups folder beside the SQLite file
                keep = 10

                # Where releases end in another tool's folder (its migrations up to `through`):
                # [[release]]
                # version = "0.9.0"
                # through = "<the version of the release's last migration>"

                # Checked after every upgrade, before the commit ('ferry verify' runs them too):
                # [[verify]]
                # name = "every item has a name"
                # query = "SELECT count(*) FROM items WHERE name = ''"
                # expect = 0

                # Checked before every upgrade ('ferry check' runs them too):
                # [[requirement]]
                # os = "debian >= 11 || ubuntu >= 22.04"
                # [[component]]
                # name = "a-plugin"
                # version = "1.0.0"
                # compatible = "^0.1"

                """
            let sql = """
                -- Release 0.1.0, migration 001. Files in a release run in the order of their number,
                -- every pending one of every release in one transaction.
                -- Put `-- ferry:no-transaction` on the first line to run a file alone.
                CREATE TABLE items (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL
                );

                """
            do {
                if foreign == nil {
                    try FileManager.default.createDirectory(
                        at: firstRelease, withIntermediateDirectories: true)
                }
                if foreign == nil, !FileManager.default.fileExists(atPath: firstMigration.path) {
                    try Data(sql.utf8).write(to: firstMigration, options: .withoutOverwriting)
                }
                try Data(toml.utf8).write(to: configFile, options: .withoutOverwriting)
            } catch {
                throw FerryError(
                    .fileSystem, "Cannot write the starter files: \(error.localizedDescription)")
            }
            if console.isJSON {
                return console.json(
                    Result(
                        config: configFile.path,
                        migrations: firstRelease.deletingLastPathComponent().path))
            }
            if let foreign {
                console.line(
                    "Wrote \(configFile.relativePath); \(migrationsFolder.relativePath) is read in the "
                        + "\(foreign.rawValue) layout, as it is.")
                return console.line(
                    "Next: set the release in it, then run 'ferry plan' and 'ferry upgrade'.")
            }
            console.line("Wrote \(configFile.relativePath) and \(firstMigration.relativePath).")
            console.line("Next: edit the migration, then run 'ferry plan' and 'ferry upgrade'.")
        }
    }
}
