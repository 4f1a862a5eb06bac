import Ferry
import FerrySQLite
import Foundation
import GRDB

/// The bundled example application, `Examples/sensorhub`.
public enum ExampleApplication {
    /// The repository's root folder.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The example's folder.
    public static let folder = repositoryRoot.appendingPathComponent("Examples/sensorhub")

    /// The example's migrations folder.
    public static let migrations = folder.appendingPathComponent("migrations")

    /// The example's releases, oldest first.
    public static let releases = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0"]

    /// The newest release.
    public static let newestRelease = "0.5.0"

    /// Row counts after upgrading a database made at a release to the newest
    /// (from `Examples/sensorhub/README.md`).
    public static func expectedCounts(madeAt release: String) -> [String: Int] {
        ["devices": 12, "sensors": 36, "sensor_history": 2000, "rooms": release == "0.5.0" ? 9 : 8]
    }

    /// Values that every upgrade to the newest release must keep, with the
    /// query that reads each (from `Examples/sensorhub/README.md`).
    public static let preservedValues: [(query: String, value: String)] = [
        (
            "SELECT r.name FROM devices d JOIN rooms r ON r.id = d.room_id WHERE d.name = 'Bob''s lamp'",
            "Bob's room"
        ),
        (
            "SELECT r.name FROM devices d JOIN rooms r ON r.id = d.room_id WHERE d.name = 'Küche sensor'",
            "Küche"
        ),
        ("SELECT printf('%.2f', sum(value)) FROM sensor_history", "105659.85"),
        ("SELECT count(*) FROM sensor_history WHERE value IS NULL", "20"),
        ("SELECT count(*) FROM devices WHERE room_id IS NULL", "2"),
        ("SELECT count(*) FROM sensors WHERE unit = '°C'", "13"),
        ("SELECT value FROM latest_readings WHERE sensor_id = 1", "19.25"),
    ]

    /// A configuration for the example on a database file.
    public static func configuration(database path: String, migrations: URL = migrations)
        -> Ferry.Configuration
    {
        var configuration = Ferry.Configuration(
            appName: "sensorhub", engine: SQLiteEngine(path: path), migrationsDirectory: migrations)
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    /// Makes a database at a release, filled with that release's sample data,
    /// as `make-database.sh` does: Ferry upgrades a new file to the release,
    /// then the release's fixture is loaded with foreign keys on.
    public static func makeDatabase(at release: String, path: String, migrations: URL = migrations)
        async throws
    {
        try await Ferry(configuration(database: path, migrations: migrations))
            .upgrade(UpgradeOptions(target: try Release(parsing: release)))
        let fixture = try String(
            contentsOf: folder.appendingPathComponent("fixtures/\(release).sql"), encoding: .utf8)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: fixture) }
        try queue.close()
    }

    /// Copies the example's migrations to a folder, so a test can change them.
    public static func copyMigrations(to folder: URL) throws -> URL {
        try copyMigrations(for: .sqlite, to: folder)
    }

    // MARK: Any engine

    /// The example's migrations for an engine: `migrations/` for SQLite,
    /// `postgres/migrations/` for PostgreSQL.
    public static func migrations(for engine: TestEngine) -> URL {
        switch engine {
        case .sqlite: return migrations
        case .postgres: return folder.appendingPathComponent("postgres/migrations")
        }
    }

    /// A release's sample data for an engine.
    public static func fixture(_ release: String, for engine: TestEngine) -> URL {
        switch engine {
        case .sqlite: return folder.appendingPathComponent("fixtures/\(release).sql")
        case .postgres: return folder.appendingPathComponent("postgres/fixtures/\(release).sql")
        }
    }

    /// ``preservedValues`` written for an engine.
    public static func preservedValues(for engine: TestEngine) -> [(query: String, value: String)] {
        switch engine {
        case .sqlite:
            return preservedValues
        case .postgres:
            return preservedValues.map { check in
                check.query.contains("printf")
                    ? ("SELECT round(sum(value)::numeric, 2) FROM sensor_history", check.value)
                    : check
            } + [
                (
                    "SELECT last_seen_at AT TIME ZONE 'UTC' FROM devices WHERE name = 'Bob''s lamp'",
                    "2024-03-10 15:42:00"
                )
            ]
        }
    }

    /// A configuration for the example on a test database.
    public static func configuration(_ database: TestDatabase, migrations: URL? = nil)
        -> Ferry.Configuration
    {
        var configuration = Ferry.Configuration(
            appName: "sensorhub", engine: database.engine,
            migrationsDirectory: migrations ?? self.migrations(for: database.kind))
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    /// Makes a test database at a release, filled with that release's sample
    /// data: Ferry upgrades it to the release, then the fixture is loaded.
    public static func makeDatabase(
        at release: String, in database: TestDatabase, migrations: URL? = nil
    )
        async throws
    {
        try await Ferry(configuration(database, migrations: migrations))
            .upgrade(database.upgradeOptions(target: try Release(parsing: release)))
        try await database.load(
            String(contentsOf: fixture(release, for: database.kind), encoding: .utf8))
    }

    /// Copies an engine's migrations to a folder, so a test can change them.
    public static func copyMigrations(for engine: TestEngine, to folder: URL) throws -> URL {
        let copy = folder.appendingPathComponent("migrations")
        try FileManager.default.copyItem(at: migrations(for: engine), to: copy)
        return copy
    }
}
