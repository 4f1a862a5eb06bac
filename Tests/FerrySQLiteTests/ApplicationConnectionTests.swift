import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// An application that already has its database open with GRDB lends its
/// queue or pool: start-up's check reads through it, and what changes the
/// database still goes through Ferry's own connection.
@Suite struct ApplicationConnectionTests {
    let folder: TemporaryFolder
    let path: String
    let migrations: URL

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("app.db").path
        migrations = folder.url.appendingPathComponent("migrations")
        try folder.write(
            "migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
    }

    /// GRDB's configuration that records every statement the application's
    /// connection runs.
    func tracing(_ statements: Locked<[String]>) -> GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.prepareDatabase { db in
            db.trace { event in
                if case .statement(let statement) = event {
                    statements.withLock { $0.append(statement.sql) }
                }
            }
        }
        return configuration
    }

    func check(_ database: any DatabaseWriter, statements: Locked<[String]>) async throws {
        let ferry = Ferry(
            .init(
                appName: "app", engine: try SQLiteEngine(database: database),
                migrationsDirectory: migrations))
        #expect(try await ferry.upgrade().applied == ["1.0.0/001_items"])
        // The application's connection sees what Ferry's own connection changed.
        try await database.write { db in try db.execute(sql: "INSERT INTO items (id) VALUES (1)") }

        statements.value = []
        #expect(try await ferry.upgrade().wasUpToDate)
        #expect(await ferry.upToDateRelease() == Release(1, 0, 0))
        let read = statements.value
        #expect(read.contains { $0.contains("FROM ferry_state") }, "\(read)")
        #expect(
            !read.contains { $0.hasPrefix("BEGIN") }, "one statement needs no transaction: \(read)")

        // A migration added later is applied by Ferry's connection while the application's stays open.
        try folder.write(
            "migrations/1.1.0/001_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);")
        #expect(await ferry.upToDateRelease() == nil)
        #expect(try await ferry.upgrade().applied == ["1.1.0/001_tags"])
        #expect(try await database.read { db in try db.tableExists("tags") })
        #expect(try await ferry.status().pending.isEmpty)
    }

    @Test func aQueueIsReadThrough() async throws {
        let statements = Locked<[String]>([])
        let queue = try DatabaseQueue(path: path, configuration: tracing(statements))
        try await check(queue, statements: statements)
    }

    @Test func aPoolIsReadThrough() async throws {
        let statements = Locked<[String]>([])
        let pool = try DatabasePool(path: path, configuration: tracing(statements))
        try await check(pool, statements: statements)
    }

    @Test func aDatabaseInMemoryIsRefused() throws {
        let error = try #require(throws: FerryError.self) {
            try SQLiteEngine(database: try DatabaseQueue())
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("in-memory or temporary"))
        #expect(error.advice?.contains("DatabaseQueue(path:)") == true)
    }
}
