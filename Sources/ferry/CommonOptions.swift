import ArgumentParser
import Ferry
import FerryPostgres
import FerrySQLite
import Foundation

/// The options every command takes after its name.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (default: ./ferry.toml if present; env FERRY_CONFIG).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("The database: a SQLite path, sqlite:PATH, or postgres://… (env FERRY_DATABASE; [database] url).", valueName: "url"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp("The migrations folder (env FERRY_MIGRATIONS; [database] migrations).", valueName: "dir"))
    var migrations: String?

    @Option(name: .long, help: ArgumentHelp("The backup catalog folder (env FERRY_BACKUPS; [backups] directory).", valueName: "dir"))
    var backups: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text (env FERRY_JSON=1).")
    var json = false

    /// The configuration file to read, if any.
    func configFile(environment: [String: String]) -> URL? {
        if let path = config ?? environment["FERRY_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return URL(fileURLWithPath: path)
        }
        let local = URL(fileURLWithPath: "ferry.toml")
        return FileManager.default.fileExists(atPath: local.path) ? local : nil
    }

    /// The settings from the file, the environment and these flags, flags first.
    func settings(adding extra: Settings = Settings()) throws -> Settings {
        let environment = ProcessInfo.processInfo.environment
        let file = try configFile(environment: environment).map(Settings.file(at:)) ?? Settings()
        let flags = Settings(database: database, migrations: migrations, backups: backups, json: json ? true : nil)
        return file.overridden(by: try Settings.environment(environment)).overridden(by: flags).overridden(by: extra)
    }

    /// Whether output is JSON, also when the settings cannot be read.
    var wantsJSON: Bool {
        json || ["1", "true", "yes", "on"].contains(ProcessInfo.processInfo.environment["FERRY_JSON"]?.lowercased() ?? "")
    }

    /// The configuration for these settings, with the engine for the database.
    func configuration(_ settings: Settings, console: Console) throws -> Ferry.Configuration {
        var configuration = try settings.configuration(makeEngine: Self.makeEngine)
        configuration.logger = console.logger
        return configuration
    }

    static func makeEngine(_ location: DatabaseLocation, _ settings: Settings) throws -> any DatabaseEngine {
        switch location {
        case .sqlite(let path):
            return SQLiteEngine(path: path)
        case .postgres(let url):
            let engine = try PostgresEngine(url: url, toolsFolder: settings.postgresTools.map { URL(fileURLWithPath: $0) })
            // What psql warns about (a password file open to others), said the way the console says warnings.
            for warning in engine.location.warnings {
                try? FileHandle.standardError.write(contentsOf: Data("warning: \(warning)\n".utf8))
            }
            return engine
        }
    }
}
