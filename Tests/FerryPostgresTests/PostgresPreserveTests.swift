import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// A `preserve` invariant on a PostgreSQL database whose application keeps
/// writing during the upgrade: the rows before are counted inside the
/// upgrade's transaction, after the table is locked against writes, so the
/// application's writes during the backup do not fail a sound upgrade.
@Suite(
    "PostgreSQL preserve under writes",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresPreserveTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    @Test func preserveCountsInsideTheUpgradeWhileTheApplicationWrites() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/0.9.0/001_readings.sql",
                """
                CREATE TABLE readings (id bigserial PRIMARY KEY, value double precision NOT NULL);
                INSERT INTO readings (value) SELECT i FROM generate_series(1, 100000) AS i;
                """)
            var configuration = Ferry.Configuration(
                appName: "test", engine: database.engine,
                migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
            configuration.backupsDirectory = database.backupsFolder
            try await Ferry(configuration).upgrade()
            try database.folder.write(
                "migrations/1.0.0/001_note.sql", "ALTER TABLE readings ADD COLUMN note text;")
            configuration.invariants = [try Invariant.preserving("readings")]
            var script = ""
            for n in 1...1500 {
                script +=
                    "INSERT INTO readings (value) VALUES (-\(n)) RETURNING 'ok ' || value;\nSELECT pg_sleep(0.004);\n"
            }
            let writer = try PsqlClient(script: script, database: database)
            #expect(
                await writer.waitForOutput(lines: 20), "the application writes before the upgrade")

            let report = try await Ferry(configuration).upgrade()
            let written = await writer.finish()

            #expect(report.applied == ["1.0.0/001_note"], "\(report)")
            let committed = written.lines.filter { $0.hasPrefix("ok ") }.count
            #expect(committed > 100, "the application kept writing: \(written.stderr)")
            #expect(
                try await database.scalar("SELECT count(*) FROM readings")
                    == "\(100_000 + committed)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
        }
    }
}
