import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import PostgresNIO
import Testing

/// An application that already runs a PostgresNIO client lends it: start-up's
/// check asks who holds the lock and reads the fingerprint on the client's
/// connections, and only when the client is on the engine's database.
@Suite(
    "PostgreSQL: the application's own client",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresApplicationClientTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// Runs `body` with a running client on `database` of the test server, as the role `ferry`.
    func withClient<Result: Sendable>(
        on database: String, _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let location = try PostgresLocation(url: try PostgresTestServer.url(database: database))
        let client = PostgresClient(
            configuration: .init(
                host: location.host, port: location.port, username: location.user, password: nil,
                database: database, tls: .disable))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// The test database's location with a port where nothing listens: only
    /// the client can reach the database.
    func unreachable(_ database: TestDatabase) throws -> PostgresLocation {
        var location = try PostgresLocation(url: database.location, environment: [:])
        location.port = 9
        return location
    }

    func ferry(_ database: TestDatabase, engine: any DatabaseEngine) -> Ferry {
        var configuration = Ferry.Configuration(
            appName: "test", engine: engine,
            migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
        configuration.backupsDirectory = database.backupsFolder
        return Ferry(configuration)
    }

    @Test func startUpReadsThroughTheClient() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id integer PRIMARY KEY);")
            #expect(try await ferry(database, engine: database.engine).upgrade().applied.count == 1)
            let name = try #require(database.postgresDatabase)

            try await withClient(on: name) { client in
                let lent = ferry(
                    database,
                    engine: PostgresEngine(location: try unreachable(database), client: client))
                // Ferry's own connection cannot reach the server: the answers came through the client.
                #expect(await lent.upToDateRelease() == Release(1, 0, 0))
                #expect(try await lent.upgrade().wasUpToDate)
            }
        }
    }

    @Test func aClientOnAnotherDatabaseIsNotTakenForTheEnginesOne() async throws {
        try await withTestDatabase(.postgres) { behind in
            try await withTestDatabase(.postgres) { other in
                for database in [behind, other] {
                    try database.folder.write(
                        "migrations/1.0.0/001_items.sql",
                        "CREATE TABLE items (id integer PRIMARY KEY);")
                }
                // The other database is up to date with the same migrations; the engine's is empty.
                try await ferry(other, engine: other.engine).upgrade()
                let otherName = try #require(other.postgresDatabase)

                try await withClient(on: otherName) { client in
                    let location = try PostgresLocation(url: behind.location, environment: [:])
                    let lent = ferry(
                        behind, engine: PostgresEngine(location: location, client: client))
                    #expect(await lent.upToDateRelease() == nil)
                    #expect(try await lent.upgrade().applied == ["1.0.0/001_items"])
                }
            }
        }
    }

    @Test func theLockIsSeenFromAClientOnAnotherDatabase() async throws {
        try await withTestDatabase(.postgres) { database in
            let engine = database.engine
            let holder = LockHolder(
                host: "testhost", pid: 4242, command: "ferry upgrade (test)", since: Date())
            try await withClient(on: "postgres") { client in
                let location = try PostgresLocation(url: database.location, environment: [:])
                let lent = PostgresEngine(location: location, client: client)
                #expect(try await lent.lockHolder() == nil)
                let seen = try await engine.withUpgradeLock(
                    holder: holder, timeout: .seconds(5), onWait: { _ in }
                ) { try await lent.lockHolder() }
                #expect(seen?.command.contains("ferry") == true, "\(String(describing: seen))")
            }
        }
    }
}
