import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// Inside a fleet run a scratch database is kept for the next database of
/// the same live database, emptied, instead of dropped and made again (each
/// `DROP DATABASE` forces a checkpoint of the whole server); the run's end
/// drops it, and one whose use failed is dropped at once.
@Suite(
    "PostgreSQL scratch databases kept during a fleet run",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresScratchPoolTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func exists(_ name: String) async throws -> Bool {
        try await PostgresTestServer.databaseExists(name)
    }

    /// The schemas of a scratch database but the server's own, and its tables.
    func contents(of name: String) async throws -> String {
        try await PostgresTestServer.psql(
            [
                "-At", "-c",
                "SELECT (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace "
                    + "WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%') || ' ' || "
                    + "(SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace NOT IN "
                    + "(SELECT oid FROM pg_namespace WHERE nspname = 'information_schema' OR nspname LIKE 'pg\\_%'))",
            ], database: name
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An engine on the schema `tenant_a` of the test database.
    func schemaEngine(_ database: TestDatabase) throws -> PostgresEngine {
        PostgresEngine(location: try PostgresLocation(url: database.location + "?schema=tenant_a"))
    }

    @Test func aFleetRunKeepsItsScratchDatabaseEmptiedUntilItEnds() async throws {
        try await withTestDatabase(.postgres) { database in
            let engine = try schemaEngine(database)
            let reuse = ScratchReuse()
            let names = try await ScratchReuse.$current.withValue(reuse) {
                var names: [String] = []
                for _ in 0..<3 {
                    names.append(
                        try await engine.withScratchDatabase(purpose: "check") { scratch in
                            let name = try #require(scratch as? PostgresEngine).location.database
                            #expect(
                                try await contents(of: name) == "public 0", "a new or emptied one")
                            try await PostgresTestServer.psql(
                                [
                                    "-c",
                                    "CREATE SCHEMA tenant_a; CREATE TABLE tenant_a.t (i int); "
                                        + "CREATE TABLE public.u (i int); CREATE TYPE public.mood AS ENUM ('ok');",
                                ], database: name)
                            return name
                        })
                }
                return names
            }
            #expect(Set(names).count == 1, "every use had the first one's database: \(names)")
            #expect(try await exists(names[0]), "kept until the run ends")
            #expect(try await contents(of: names[0]) == "public 0", "emptied after each use")
            await reuse.drain()
            #expect(try await !exists(names[0]), "dropped at the run's end")
        }
    }

    @Test func aScratchDatabaseWhoseUseFailedIsDroppedAtOnce() async throws {
        struct Failure: Error {}
        try await withTestDatabase(.postgres) { database in
            let reuse = ScratchReuse()
            let name = Locked<String?>(nil)
            await ScratchReuse.$current.withValue(reuse) {
                _ = await #expect(throws: Failure.self) {
                    try await schemaEngine(database).withScratchDatabase(purpose: "check") {
                        scratch in
                        name.value = (scratch as? PostgresEngine)?.location.database
                        throw Failure()
                    }
                }
            }
            let made = try #require(name.value)
            #expect(try await !exists(made))
            await reuse.drain()
        }
    }

    /// A fleet of databases keeps none: no database would take turns with it.
    @Test func aScratchDatabaseOfAWholeDatabaseIsDroppedAtOnce() async throws {
        try await withTestDatabase(.postgres) { database in
            let reuse = ScratchReuse()
            let name = try await ScratchReuse.$current.withValue(reuse) {
                try await database.engine.withScratchDatabase(purpose: "check") { scratch in
                    try #require(scratch as? PostgresEngine).location.database
                }
            }
            #expect(try await !exists(name))
            await reuse.drain()
        }
    }

    /// What a schema cannot hold (here a large object) is not emptied: the
    /// scratch database is dropped instead of kept.
    @Test func aScratchDatabaseThatCannotBeEmptiedIsDropped() async throws {
        try await withTestDatabase(.postgres) { database in
            let engine = try schemaEngine(database)
            let reuse = ScratchReuse()
            let name = try await ScratchReuse.$current.withValue(reuse) {
                try await engine.withScratchDatabase(purpose: "check") { scratch in
                    let name = try #require(scratch as? PostgresEngine).location.database
                    try await PostgresTestServer.psql(
                        ["-c", "SELECT lo_from_bytea(0, 'kept'::bytea)"], database: name)
                    return name
                }
            }
            #expect(try await !exists(name))
            await reuse.drain()
        }
    }
}
