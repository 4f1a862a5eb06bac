import FerryTestSupport
import Foundation
import Testing

/// A migration that rebuilds a large table the way SQLite's documentation
/// describes (a new table, its rows copied, the old one dropped, the new one
/// renamed, its index made again), through the real `ferry`, in its one
/// transaction.
@Suite struct TableRebuildCommandTests {
    /// The index is made in pages the dropped table freed, each saved first
    /// in the statement's journal, which grows past a few MiB: with SQLite
    /// told to keep statement journals in memory up to 4 MiB (a setting
    /// `ferry` once made at start), SQLite 3.40 failed this statement with
    /// "database or disk is full" on a disk with gigabytes free.
    @Test func aLargeTableIsRebuiltWithItsIndexInOneUpgrade() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try folder.write(
            "migrations/1.0.0/001_readings.sql",
            """
            CREATE TABLE readings (id INTEGER PRIMARY KEY, sensor INTEGER NOT NULL, value REAL NOT NULL);
            INSERT INTO readings (sensor, value)
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
                SELECT i * 7919 % 1000, i / 10.0 FROM n;
            CREATE INDEX readings_by_sensor ON readings (sensor, value);
            """)
        let migrations = folder.url.appendingPathComponent("migrations").path
        let first = try await FerryProcess.run([
            "upgrade", "--create", "--no-backup", "--database", path, "--migrations", migrations,
        ])
        #expect(first.status == 0, "\(first)")
        // Integers only: a sum of reals depends on the order the rows are read in.
        let fingerprint =
            "SELECT sum(id * sensor) || '/' || sum(CAST(round(value * 10) AS INTEGER)) FROM readings"
        let sumBefore = try scalar(fingerprint, in: path)

        try folder.write(
            "migrations/1.1.0/001_rebuild_readings_with_unit.sql",
            """
            CREATE TABLE readings_new (
                id INTEGER PRIMARY KEY,
                sensor INTEGER NOT NULL,
                value REAL NOT NULL,
                unit TEXT NOT NULL DEFAULT 'C' CHECK (unit IN ('C', '%'))
            );
            INSERT INTO readings_new (id, sensor, value) SELECT id, sensor, value FROM readings;
            DROP TABLE readings;
            ALTER TABLE readings_new RENAME TO readings;
            CREATE INDEX readings_by_sensor ON readings (sensor, value);
            """)
        let rebuild = try await FerryProcess.run([
            "upgrade", "--no-backup", "--database", path, "--migrations", migrations,
        ])

        #expect(rebuild.status == 0, "\(rebuild)")
        #expect(!rebuild.stderr.contains("full"), "\(rebuild)")
        #expect(rebuild.lines.last == "[END UPGRADE SUCCESS]", "\(rebuild)")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "1.1.0")
        #expect(try scalar("SELECT count(*) FROM readings WHERE unit = 'C'", in: path) == "600000")
        #expect(try scalar(fingerprint, in: path) == sumBefore)
        #expect(
            try scalar(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'readings_by_sensor'", in: path)
                == "1")
        #expect(try integrityCheck(path) == "ok")
    }
}
