import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry upgrade --databases @FILE` over PostgreSQL databases on the shared
/// server: a database whose row the `[[verify]]` invariant refuses fails
/// alone, the others are upgraded, and each is re-read with `psql`.
@Suite(
    "ferry upgrade --databases on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresFleetCommandTests {
    @Test func aFailingDatabaseIsIsolatedAndTheOthersUpgrade() async throws {
        var databases: [TestDatabase] = []
        for _ in 0..<3 { databases.append(try await TestDatabase.make(.postgres)) }
        try await withCleanup {
            let folder = try TemporaryFolder()
            _ = try folder.write("ferry.toml", Self.fleetSettings())
            for (index, database) in databases.enumerated() {
                let made = try await FerryProcess.run(
                    ["upgrade", "--database", database.location, "--to", "0.1.0", "--create"],
                    in: folder.url)
                #expect(made.status == 0, "\(made)")
                let kind = index == 1 ? "quarantined" : "sensor"
                try await database.psql([
                    "-c",
                    "INSERT INTO devices (name, kind, location) VALUES ('d\(index)', '\(kind)', 'Hall')",
                ])
            }
            _ = try folder.write(
                "databases.txt",
                "# the tenants\n" + databases.map(\.location).joined(separator: "\n") + "\n")
            let output = try await FerryProcess.run(
                [
                    "upgrade", "--databases", "@databases.txt", "--continue-on-error",
                    "--report", "report.json",
                ], in: folder.url)
            #expect(output.status == 1, "\(output)")
            let report = try FleetReport.read(
                from: folder.url.appendingPathComponent("report.json"))
            #expect(report.databases.map(\.result) == [.succeeded, .failed, .succeeded])
            #expect(report.databases[1].error?.code == "verificationFailed")
            let releases = try await databases.asyncMap {
                try await $0.scalar("SELECT release FROM ferry_state")
            }
            #expect(releases == ["0.5.0", "0.1.0", "0.5.0"])
            #expect(
                try await databases[1].scalar("SELECT kind FROM devices WHERE name = 'd1'")
                    == "quarantined")
            // Each database's backup is in a folder of its own, named after it.
            for database in databases {
                let own = folder.url.appendingPathComponent(
                    "backups/\(database.postgresDatabase!)")
                #expect(FileManager.default.fileExists(atPath: own.path), "\(own.path)")
            }
        } cleanup: {
            for database in databases { await database.remove() }
        }
    }
}

extension PostgresFleetCommandTests {
    /// The `ferry.toml` of a PostgreSQL fleet: the example's migrations, a
    /// backups folder, and an invariant that refuses a quarantined device.
    ///
    /// - Parameter database: More lines of `[database]`.
    static func fleetSettings(database: String = "") -> String {
        """
        [app]
        name = "sensorhub"

        [database]
        migrations = "\(ExampleApplication.migrations(for: .postgres).path)"
        \(database)

        [backups]
        directory = "backups"

        [[verify]]
        name = "no device is quarantined"
        query = "SELECT count(*) FROM devices WHERE kind = 'quarantined'"
        expect = 0
        """
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
