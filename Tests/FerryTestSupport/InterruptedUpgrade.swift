import Foundation

/// An upgrade made to stop in the middle of its transaction, from outside:
/// the real `ferry` binary killed with SIGKILL inside a long migration.
public enum InterruptedUpgrade {
    /// The id of the long migration ``writeSlowRelease(in:rows:)`` writes.
    public static let slowMigration = "0.6.0/001_slow_archive"

    /// Writes release 0.6.0 into a copy of the example's migrations: its
    /// first migration builds a table of `rows` rows, which takes seconds
    /// for millions of rows; `header` goes first (such as `-- ferry:no-transaction`).
    public static func writeSlowRelease(in migrations: URL, rows: Int, header: String = "") throws {
        let folder = migrations.appendingPathComponent("0.6.0")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let prefix = header.isEmpty ? "" : header + "\n"
        try Data(
            (prefix + """
                CREATE TABLE sensor_archive (id INTEGER PRIMARY KEY, value REAL NOT NULL);
                INSERT INTO sensor_archive (id, value)
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                    SELECT i, i * 0.5 FROM n;
                """).utf8
        ).write(to: folder.appendingPathComponent("001_slow_archive.sql"))
        try Data("ALTER TABLE rooms ADD COLUMN floor INTEGER;\n".utf8)
            .write(to: folder.appendingPathComponent("002_room_floor.sql"))
    }

    /// Starts `ferry upgrade` on `database` with `arguments` (after the
    /// command's name), waits until it runs the slow migration and has
    /// written into the database file (SQLite then marks its rollback
    /// journal hot, or has frames in its WAL file), and kills it with SIGKILL.
    ///
    /// - Returns: What it printed; its status is SIGKILL when it was killed in time.
    public static func killInsideSlowMigration(
        database: String, _ arguments: [String]
    ) async throws -> FerryProcess.Output {
        let upgrader = try FerryProcess.start(["upgrade", "--database", database] + arguments)
        if await upgrader.waitForOutput(containing: "Applying \(slowMigration)") {
            let deadline = ContinuousClock.now + .seconds(60)
            while upgrader.process.isRunning, ContinuousClock.now < deadline,
                !hasHotJournal(database), walSize(of: database) == 0
            {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        upgrader.kill(SIGKILL)
        return await upgrader.finish()
    }

    /// Whether the rollback journal beside a database is hot: not empty, and
    /// its header's first byte set (SQLite writes the header's magic number
    /// only when it syncs the journal, before its first write into the
    /// database file; until then the journal is not hot and nothing needs a rollback).
    /// Only the journal is read: nothing opens the database.
    public static func hasHotJournal(_ database: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: database + "-journal") else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 1))?.first.map { $0 != 0 } ?? false
    }

    /// The size of the WAL file beside a database, 0 when there is none.
    public static func walSize(of database: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size]) as? NSNumber)?
            .int64Value ?? 0
    }

    /// The size of SQLite's rollback journal beside a database, read with
    /// `stat` (nothing opens the database): more than 0 after a kill means a
    /// hot journal that the next read-write connection must roll back.
    public static func journalSize(of database: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: database + "-journal")[.size])
            as? NSNumber)?.int64Value ?? 0
    }
}
