import Ferry
import FerryPostgres
import FerrySQLite
import Foundation
import GRDB

/// The engines the behaviour suite runs on.
public enum TestEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The engines a test parameterised over engines runs on
    /// (`@Test(arguments: TestEngine.underTest)`): SQLite always; PostgreSQL
    /// when ``PostgresTestServer/isEnabled``, so that without a server its
    /// cases are left out and the run says so, and on CI without one they
    /// run and fail, naming the missing variable.
    public static var underTest: [TestEngine] {
        PostgresTestServer.isEnabled ? allCases : [.sqlite]
    }
}

/// A fresh, empty database of one engine for one test: a SQLite file in a
/// temporary folder, or a PostgreSQL database of its own on the test server.
///
/// Scenarios written against it run unchanged on both engines: they upgrade
/// through ``engine`` or the `ferry` binary (``location`` is what
/// `--database` takes), load data with ``load(_:)``, read values with
/// ``scalar(_:)`` and compare ``snapshot()``s.
public final class TestDatabase: Sendable {
    /// The database's engine kind.
    public let kind: TestEngine
    /// What `--database` takes: a file path or a `postgres://` URL.
    public let location: String
    /// A folder of the test's own, for copies of migrations and other files.
    public let folder: TemporaryFolder
    /// The PostgreSQL database's name, for PostgreSQL.
    public let postgresDatabase: String?

    private init(
        kind: TestEngine, location: String, folder: TemporaryFolder, postgresDatabase: String?
    ) {
        self.kind = kind
        self.location = location
        self.folder = folder
        self.postgresDatabase = postgresDatabase
    }

    /// Makes a fresh database (for SQLite, a path where none exists yet).
    public static func make(_ kind: TestEngine) async throws -> TestDatabase {
        let folder = try TemporaryFolder()
        switch kind {
        case .sqlite:
            return TestDatabase(
                kind: kind, location: folder.url.appendingPathComponent("app.db").path,
                folder: folder,
                postgresDatabase: nil)
        case .postgres:
            let name = try await PostgresTestServer.createDatabase()
            return TestDatabase(
                kind: kind, location: try PostgresTestServer.url(database: name), folder: folder,
                postgresDatabase: name)
        }
    }

    /// Makes a fresh database holding what `template` holds: a copy of its
    /// SQLite file, or a PostgreSQL database made with it as the template
    /// (nothing may be connected to it meanwhile).
    ///
    /// - Parameter template: The database to copy, closed.
    public static func make(copying template: TestDatabase) async throws -> TestDatabase {
        let folder = try TemporaryFolder()
        switch template.kind {
        case .sqlite:
            let path = folder.url.appendingPathComponent("app.db").path
            try FileManager.default.copyItem(atPath: template.location, toPath: path)
            return TestDatabase(
                kind: .sqlite, location: path, folder: folder, postgresDatabase: nil)
        case .postgres:
            let name = try await PostgresTestServer.createDatabase(
                template: template.postgresDatabase)
            return TestDatabase(
                kind: .postgres, location: try PostgresTestServer.url(database: name),
                folder: folder, postgresDatabase: name)
        }
    }

    /// The test's backup catalog, in its own folder (on PostgreSQL there is no default).
    public var backupsFolder: URL { folder.url.appendingPathComponent("backups") }

    /// `--backups` with ``backupsFolder``, for the `ferry` binary.
    public var backupArguments: [String] { ["--backups", backupsFolder.path] }

    /// Upgrade options for this database.
    public func upgradeOptions(
        target: Release? = nil, transactionMode: TransactionMode = .wholeUpgrade
    ) -> UpgradeOptions {
        UpgradeOptions(target: target, transactionMode: transactionMode)
    }

    /// The engine for the database.
    public var engine: any DatabaseEngine {
        switch kind {
        case .sqlite: return SQLiteEngine(path: location)
        case .postgres: return try! PostgresEngine(url: location, environment: [:])
        }
    }

    /// Removes the database.
    public func remove() async {
        if let postgresDatabase { await PostgresTestServer.dropDatabase(postgresDatabase) }
    }

    /// Runs a script in one transaction, stopping at the first error: with
    /// GRDB for SQLite (foreign keys on), with the real `psql` for PostgreSQL.
    public func load(_ script: String) async throws {
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: location)
            defer { try? queue.close() }
            try await queue.write { db in try db.execute(sql: script) }
        case .postgres:
            let file = folder.url.appendingPathComponent("load-\(UUID().uuidString).sql")
            try Data(script.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            try await psql(["-1", "-f", file.path])
        }
    }

    /// One value as text (`NULL` for NULL; PostgreSQL's booleans as `t`/`f`).
    public func scalar(_ sql: String) async throws -> String? {
        switch kind {
        case .sqlite:
            return try FerryTestSupport.scalar(sql, in: location)
        case .postgres:
            let output = try await psql(["-A", "-t", "-P", "null=NULL", "-c", sql])
            return output.split(separator: "\n", omittingEmptySubsequences: false).first.map(
                String.init)
        }
    }

    /// Everything a user could check: the schema and every row of every table.
    public func snapshot() async throws -> DatabaseSnapshot {
        switch kind {
        case .sqlite: return try DatabaseSnapshot(path: location)
        case .postgres: return try await DatabaseSnapshot(postgresDatabase: postgresDatabase!)
        }
    }

    /// Runs `psql` on this (PostgreSQL) database.
    @discardableResult
    public func psql(_ arguments: [String]) async throws -> String {
        try await PostgresTestServer.psql(arguments, database: postgresDatabase!)
    }
}

/// Makes a fresh database, lends it to `body`, and removes it afterwards.
public func withTestDatabase<Result>(
    _ kind: TestEngine, _ body: (TestDatabase) async throws -> Result
) async throws -> Result {
    let database = try await TestDatabase.make(kind)
    return try await withCleanup {
        try await body(database)
    } cleanup: {
        await database.remove()
    }
}

/// Runs `body`, then `cleanup`, also when `body` throws.
public func withCleanup<Result>(
    _ body: () async throws -> Result, cleanup: () async -> Void
) async throws -> Result {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
