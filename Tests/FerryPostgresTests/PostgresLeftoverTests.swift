import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// Scratch databases of dead runs are proven dead by their maker's advisory
/// lock and dropped by the next run that makes one; a live one (its lock
/// held) and one of an older Ferry (no marker in its name) stay.
@Suite(
    "PostgreSQL leftovers",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresLeftoverTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func exists(_ name: String) async throws -> Bool {
        try await PostgresTestServer.databaseExists(name)
    }

    @Test func theNextCheckDropsDeadScratchDatabasesAndLeavesLiveOnes() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let dead = "ferry_check_lock_\(suffix)"
        let live = "ferry_rehearsal_lock_\(suffix)"
        let unmarked = "ferry_check_\(suffix)"
        for name in [dead, unmarked] {
            try await PostgresTestServer.psql(
                ["-c", "CREATE DATABASE \(name)"], database: "postgres")
        }
        // The live one's maker: a session that holds its lock, as Ferry's does, from before it exists, for
        // longer than the test can take on a busy machine (the cleanup ends it).
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = [
            "psql", "-X", "-q", try PostgresTestServer.url(database: "postgres"), "-c",
            "SELECT pg_advisory_lock(hashtextextended('\(live)', \(0x66_6572_7279))); SELECT pg_sleep(900);",
        ]
        maker.standardOutput = FileHandle.nullDevice
        maker.standardError = FileHandle.nullDevice
        try maker.run()
        try await withTestDatabase(.postgres) { database in
            try await withCleanup {
                for _ in 0..<500 {
                    let held = try await PostgresTestServer.psql(
                        [
                            "-At", "-c",
                            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_advisory_lock(hashtextextended(''\(live)''%' AND wait_event = 'PgSleep'",
                        ],
                        database: "postgres")
                    if held == "1\n" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await PostgresTestServer.psql(
                    ["-c", "CREATE DATABASE \(live)"], database: "postgres")
                try await database.load(
                    "CREATE TABLE items (id integer PRIMARY KEY); INSERT INTO items VALUES (1), (2);"
                )
                var configuration = Ferry.Configuration(
                    appName: "test", engine: database.engine, migrationsDirectory: nil)
                configuration.backupsDirectory = database.backupsFolder
                let backup = try await Ferry(configuration).backup()
                #expect(backup.manifest.rowCounts?["items"] == 2)

                #expect(
                    try await !exists(dead), "a scratch database whose maker is gone is dropped")
                #expect(try await exists(live), "one whose maker lives stays")
                #expect(
                    try await exists(unmarked),
                    "one without the marker cannot be proven dead and stays")
            } cleanup: {
                maker.terminate()
                _ = try? await PostgresTestServer.psql(
                    [
                        "-c",
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%\(live)%' AND pid <> pg_backend_pid()",
                    ],
                    database: "postgres")
                for name in [dead, live, unmarked] {
                    _ = try? await PostgresTestServer.psql(
                        ["-c", "DROP DATABASE IF EXISTS \(name)"], database: "postgres")
                }
            }
        }
    }
}
