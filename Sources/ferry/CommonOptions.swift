import ArgumentParser
import Ferry
import FerryPostgres
import FerrySQLite
import Foundation

/// The options every command takes after its name.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The configuration file (default: ferry.toml here or in a folder above; env FERRY_CONFIG).",
            valueName: "file"),
        completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The database: a SQLite path, sqlite:PATH, or postgres://… (env FERRY_DATABASE; [database] url).",
            valueName: "url"), completion: .file())
    var database: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The migrations folder (env FERRY_MIGRATIONS; [database] migrations).", valueName: "dir"
        ), completion: .directory)
    var migrations: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The backup catalog folder (env FERRY_BACKUPS; [backups] directory).", valueName: "dir"),
        completion: .directory)
    var backups: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The migrations folder's layout (env FERRY_LAYOUT; [database] layout; default: detected).",
            valueName: "layout"))
    var layout: MigrationLayout?

    @Flag(name: .long, help: "Print JSON for scripts instead of text (env FERRY_JSON=1).")
    var json = false

    /// The configuration file to read, if any: the one named, else the
    /// first `ferry.toml` in the current folder or a folder above it (as git
    /// finds its repository, so that a command run in a subfolder of the
    /// project finds the project's file).
    func configFile(environment: [String: String]) -> URL? {
        if let path = config ?? environment["FERRY_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return URL(fileURLWithPath: path)
        }
        return Self.foldersSearched().lazy.map { $0 == "/" ? "/ferry.toml" : $0 + "/ferry.toml" }
            .first { FileManager.default.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    /// The paths of the current folder and of every folder above it, nearest
    /// first. Worked out on the path's text: every command looks, and
    /// Foundation's URL arithmetic cost more than the looking.
    static func foldersSearched() -> [String] {
        var folders: [String] = []
        var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .standardizedFileURL.path
        while folders.count < 256 {
            folders.append(folder)
            guard folder != "/", let slash = folder.lastIndex(of: "/") else { break }
            folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
        }
        return folders
    }

    /// The settings from the file, the environment and these flags, flags first.
    ///
    /// - Throws: ``FerryError`` when a source cannot be read, and when no
    ///   database is given and no `ferry.toml` was found (naming where Ferry
    ///   looked).
    ///
    /// - Parameter needsDatabase: Whether the command works on a database, so
    ///   that neither a database nor a `ferry.toml` is a usage error.
    func settings(adding extra: Settings = Settings(), needsDatabase: Bool = true) throws
        -> Settings
    {
        let environment = ProcessInfo.processInfo.environment
        let found = configFile(environment: environment)
        let file = try found.map { try Settings.file(at: $0, engines: Self.engines) } ?? Settings()
        let flags = Settings {
            $0.database = database
            $0.migrations = migrations
            $0.backups = backups
            $0.layout = layout
            $0.json = json ? true : nil
        }
        let settings = file.overridden(
            by: try Settings.environment(environment, engines: Self.engines)
        )
        .overridden(by: flags).overridden(by: extra)
        if needsDatabase && settings.database == nil && found == nil {
            let searched = Self.foldersSearched()
            let shown =
                searched.count <= 3
                ? searched.joined(separator: ", ")
                : "\(searched[0]) and the \(searched.count - 1) folders above it"
            throw FerryError(
                .invalidConfiguration,
                "No database is given, and no ferry.toml was found (looked in \(shown)).",
                changes: "Nothing was changed.",
                advice:
                    "Run in the application's folder (where ferry.toml is), pass --config FILE or --database "
                    + "PATH (or postgres://…), set FERRY_DATABASE, or write a ferry.toml with 'ferry init'."
            )
        }
        return settings
    }

    /// Whether `FERRY_JSON` asks for JSON, read without the other settings
    /// (for errors found before they are read).
    static var environmentWantsJSON: Bool {
        // One variable read, not the whole environment copied into a dictionary.
        guard let value = getenv("FERRY_JSON") else { return false }
        return ["1", "true", "yes", "on"].contains(String(cString: value).lowercased())
    }

    /// Whether output is JSON, also when the settings cannot be read.
    var wantsJSON: Bool {
        json || Self.environmentWantsJSON
    }

    /// The configuration for these settings, with the engine for the database.
    func configuration(_ settings: Settings, console: Console) throws -> Ferry.Configuration {
        var configuration = try settings.configuration(engines: Self.engines)
        // What the engine warns about (a password file open to others), said the way the console says warnings.
        for warning in configuration.engine.locationWarnings {
            StandardStream.error.write("warning: \(warning)\n")
        }
        // An operator's mistyped path must not become a new database: the tool creates one only when told.
        configuration.createsDatabase = settings.create ?? false
        // The tool reads only the migrations folder: the application's Swift migrations are its own.
        configuration.seesSwiftMigrations = false
        configuration.logger = console.logger
        return configuration
    }

    /// The engines this tool links: a plain path is SQLite's.
    static let engines = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])
}
