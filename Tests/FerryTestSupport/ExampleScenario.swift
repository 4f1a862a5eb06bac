import Ferry
import Foundation

/// The example application at a release on a fresh database of one engine,
/// with its own copy of the engine's migrations for the test to change: the
/// one starting point of the tests that make something go wrong in an upgrade
/// of real data.
///
/// Made and removed by ``withExample(at:on:_:)``:
/// ```swift
/// try await withExample(at: "0.3.0", on: engine) { scenario in
///     try scenario.write("0.6.0/001_bad.sql", "INSERT INTO nowhere VALUES (1);")
///     await #expect(throws: FerryError.self) { try await scenario.ferry.upgrade() }
/// }
/// ```
public struct ExampleScenario: Sendable {
    /// The database, of the scenario's engine.
    public let database: TestDatabase
    /// The scenario's copy of the example's migrations.
    public let migrations: URL
    /// The pre-upgrade backups to keep (`[backups] keep`).
    public var keep = 10
    /// How backups are checked (`[backups] check`).
    public var check = BackupCheckLevel.full

    /// The engine.
    public var engine: TestEngine { database.kind }

    /// The scenario's folder, which holds the migrations and, for SQLite, the database file.
    public var folder: TemporaryFolder { database.folder }

    /// The SQLite file's path, or PostgreSQL's URL.
    public var path: String { database.location }

    /// The backup catalog's folder: for SQLite the default one beside the
    /// file, which the configuration leaves unset, so the default is what
    /// the tests see.
    public var backupsFolder: URL { database.backupsFolder }

    /// The example's configuration on the scenario's database and migrations.
    public var configuration: Ferry.Configuration {
        var configuration = ExampleApplication.configuration(database, migrations: migrations)
        if engine == .sqlite { configuration.backupsDirectory = nil }
        configuration.backupsToKeep = keep
        configuration.backupCheck = check
        return configuration
    }

    /// Ferry on ``configuration``.
    public var ferry: Ferry { Ferry(configuration) }

    /// Writes a file into the migrations folder, creating its folders.
    public func write(_ file: String, _ text: String) throws {
        try write(file, Data(text.utf8))
    }

    /// Writes bytes into the migrations folder, creating its folders.
    public func write(_ file: String, _ data: Data) throws {
        let url = migrations.appendingPathComponent(file)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// Removes a file of the migrations folder.
    public func remove(_ file: String) throws {
        try FileManager.default.removeItem(at: migrations.appendingPathComponent(file))
    }

    /// Everything a user could check in the database (see ``DatabaseSnapshot``).
    public func snapshot() async throws -> DatabaseSnapshot {
        try await database.snapshot()
    }
}

/// Makes the example at a release on a fresh database of an engine, filled
/// with the release's sample data, lends it to `body`, and removes it afterwards.
///
/// - Parameters:
///   - release: The release the database is made at.
///   - engine: The engine; SQLite unless told.
public func withExample<Result>(
    at release: String, on engine: TestEngine = .sqlite,
    _ body: (ExampleScenario) async throws -> Result
) async throws -> Result {
    try await withTestDatabase(engine) { database in
        let migrations = try ExampleApplication.copyMigrations(for: engine, to: database.folder.url)
        let scenario = ExampleScenario(database: database, migrations: migrations)
        try await ExampleApplication.makeDatabase(at: release, in: database, migrations: migrations)
        return try await body(scenario)
    }
}
