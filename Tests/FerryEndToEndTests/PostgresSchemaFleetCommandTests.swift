import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry upgrade --databases 'postgres://…/app?schemas=tenant_*'` on the
/// shared server: each schema is a database of its own, with Ferry's history
/// inside it, its own lock and its own backups folder.
@Suite(
    "ferry upgrade --databases over PostgreSQL schemas",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresSchemaFleetCommandTests {
    /// A database on the shared server holding one schema per tenant, each
    /// upgraded to 0.1.0 through `?schema=` with a device in it, and a
    /// `ferry.toml` whose invariant refuses a quarantined device.
    struct Schemas {
        let database: TestDatabase
        let folder: TemporaryFolder
        let names: [String]

        init(_ names: [String], bad: Set<String> = []) async throws {
            database = try await TestDatabase.make(.postgres)
            folder = try TemporaryFolder()
            self.names = names
            _ = try folder.write(
                "ferry.toml", PostgresFleetCommandTests.fleetSettings(database: "lock_timeout = 60")
            )
            for name in names {
                // The schema does not exist yet: it is missing as a database would be (exit 3), and
                // --create makes it.
                if name == names.first {
                    let missing = try await FerryProcess.run(
                        ["upgrade", "--database", url(schema: name)], in: folder.url)
                    #expect(missing.status == 3, "\(missing)")
                    #expect(missing.stderr.contains("schema=\(name) does not exist"), "\(missing)")
                }
                let made = try await FerryProcess.run(
                    ["upgrade", "--database", url(schema: name), "--to", "0.1.0", "--create"],
                    in: folder.url)
                #expect(made.status == 0, "\(made)")
                let kind = bad.contains(name) ? "quarantined" : "sensor"
                try await database.psql([
                    "-c",
                    "INSERT INTO \(name).devices (name, kind, location) VALUES ('\(name)-d', '\(kind)', 'Hall')",
                ])
            }
        }

        /// The database's URL with a query parameter added.
        func url(_ parameter: String) -> String {
            database.location + (database.location.contains("?") ? "&" : "?") + parameter
        }

        func url(schema: String) -> String { url("schema=\(schema)") }

        func run(_ arguments: [String]) async throws -> FerryProcess.Output {
            try await FerryProcess.run(arguments, in: folder.url)
        }

        /// The release `ferry_state` records inside a schema.
        func release(_ schema: String) async throws -> String? {
            try await database.scalar("SELECT release FROM \(schema).ferry_state")
        }

        func remove() async { await database.remove() }
    }

    @Test func eachSchemaIsUpgradedInsideItselfAndAFailingOneIsIsolated() async throws {
        let schemas = try await Schemas(["tenant_a", "tenant_b", "tenant_c"], bad: ["tenant_b"])
        try await withCleanup {
            // A schema the pattern does not match is left alone.
            try await schemas.database.psql(["-c", "CREATE SCHEMA other"])
            let output = try await schemas.run([
                "upgrade", "--databases", schemas.url("schemas=tenant_*"), "--continue-on-error",
                "--report", "report.json",
            ])
            #expect(output.status == 1, "\(output)")
            let report = try FleetReport.read(
                from: schemas.folder.url.appendingPathComponent("report.json"))
            #expect(report.databases.map(\.name) == ["tenant_a", "tenant_b", "tenant_c"])
            #expect(report.databases.map(\.result) == [.succeeded, .failed, .succeeded])
            #expect(report.databases[1].error?.code == "verificationFailed")

            // A schema whose name Ferry cannot work in fails alone, saying why; it is not passed over.
            try await schemas.database.psql(["-c", #"CREATE SCHEMA "tenant_Odd name""#])
            let odd = try await schemas.run([
                "status", "--databases", schemas.url("schemas=tenant_*"), "--json",
            ])
            let lines = try odd.jsonLines().filter { $0["event"] as? String == "databaseFinished" }
            let failed = try #require(lines.first { $0["name"] as? String == "tenant_Odd name" })
            #expect(failed["result"] as? String == "failed", "\(failed)")
            #expect("\(failed)".contains("is not a schema name Ferry can work in"), "\(failed)")
            #expect(lines.count == 4, "\(odd)")
            try await schemas.database.psql(["-c", #"DROP SCHEMA "tenant_Odd name""#])
            #expect(try await schemas.release("tenant_a") == "0.5.0")
            #expect(try await schemas.release("tenant_b") == "0.1.0")
            #expect(try await schemas.release("tenant_c") == "0.5.0")
            #expect(
                try await schemas.database.scalar(
                    "SELECT kind FROM tenant_b.devices WHERE name = 'tenant_b-d'") == "quarantined")
            // Ferry's history is in each schema, none in public or in the schema left alone.
            #expect(
                try await schemas.database.scalar(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'ferry_migrations'") == "3")
            #expect(
                try await schemas.database.scalar(
                    "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'other')") == "0"
            )
            // Each upgraded schema's backup is its own, in a folder named after it, and holds it alone.
            for name in ["tenant_a", "tenant_c"] {
                let own = schemas.folder.url.appendingPathComponent("backups/\(name)")
                let files = try FileManager.default.contentsOfDirectory(atPath: own.path)
                #expect(files.contains { $0.hasSuffix(".dump") }, "\(files)")
            }

            // A schema's backup restores that schema alone: tenant_a goes back, tenant_c stays.
            let restored = try await schemas.run([
                "restore", "--latest", "--yes", "--database", schemas.url(schema: "tenant_a"),
                "--backups", "backups/tenant_a",
            ])
            #expect(restored.status == 0, "\(restored)")
            #expect(try await schemas.release("tenant_a") == "0.1.0")
            #expect(try await schemas.release("tenant_c") == "0.5.0")
            #expect(
                try await schemas.database.scalar(
                    "SELECT count(*) FROM pg_namespace WHERE nspname IN ('other', 'public')") == "2"
            )

            // A schema's backup restored into the whole database would empty every other schema
            // and refill one: refused, with nothing changed (found in review).
            let wholeDatabase = try await schemas.run([
                "restore", "--latest", "--yes", "--database", schemas.database.location,
                "--backups", "backups/tenant_a",
            ])
            #expect(wholeDatabase.status == 2, "\(wholeDatabase)")
            #expect(wholeDatabase.stderr.contains("holds the schema tenant_a alone"))
            #expect(try await schemas.release("tenant_c") == "0.5.0")

            // With the row fixed, --resume finishes the failed schema.
            try await schemas.database.psql(["-c", "UPDATE tenant_b.devices SET kind = 'sensor'"])
            let resumed = try await schemas.run(["upgrade", "--resume", "report.json"])
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try await schemas.release("tenant_b") == "0.5.0")
        } cleanup: {
            await schemas.remove()
        }
    }

    @Test func twoRunsAtOnceApplyEachMigrationOncePerSchema() async throws {
        let names = ["tenant_a", "tenant_b", "tenant_c", "tenant_d"]
        let schemas = try await Schemas(names)
        try await withCleanup {
            let arguments = [
                "upgrade", "--databases", schemas.url("schemas=tenant_*"), "--parallel", "2",
            ]
            let first = try FerryProcess.start(arguments, in: schemas.folder.url)
            let second = try FerryProcess.start(arguments, in: schemas.folder.url)
            let outputs = [await first.finish(), await second.finish()]
            for output in outputs { #expect(output.status == 0, "\(output)") }
            for name in names {
                #expect(try await schemas.release(name) == "0.5.0")
                let rows = try await schemas.database.scalar(
                    "SELECT count(*) - count(DISTINCT id) FROM \(name).ferry_migrations")
                #expect(rows == "0", "\(name) holds a migration twice")
            }
        } cleanup: {
            await schemas.remove()
        }
    }

    @Test func aPatternMatchingNoSchemaIsAClearError() async throws {
        let schemas = try await Schemas(["tenant_a"])
        try await withCleanup {
            let output = try await schemas.run([
                "upgrade", "--databases", schemas.url("schemas=customer_*"),
            ])
            #expect(output.status == 2, "\(output)")
            #expect(output.stderr.contains("No schema of the database"), "\(output)")
            #expect(output.stderr.contains("'customer_*'"), "\(output)")
            #expect(try await schemas.release("tenant_a") == "0.1.0")
            let both = try await schemas.run([
                "upgrade", "--databases", schemas.url("schema=tenant_a&schemas=tenant_*"),
            ])
            #expect(both.status == 2, "\(both)")
            #expect(both.stderr.contains("names one schema"), "\(both)")
        } cleanup: {
            await schemas.remove()
        }
    }
}
