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
        try Data((prefix + """
            CREATE TABLE sensor_archive (id INTEGER PRIMARY KEY, value REAL NOT NULL);
            INSERT INTO sensor_archive (id, value)
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                SELECT i, i * 0.5 FROM n;
            """).utf8).write(to: folder.appendingPathComponent("001_slow_archive.sql"))
        try Data("ALTER TABLE rooms ADD COLUMN floor INTEGER;\n".utf8)
            .write(to: folder.appendingPathComponent("002_room_floor.sql"))
    }

    /// Starts `ferry upgrade` with `arguments` (after the command's name),
    /// waits until it runs the slow migration, lets it write for half a
    /// second, and kills it with SIGKILL.
    ///
    /// - Returns: What it printed; its status is SIGKILL when it was killed in time.
    public static func killInsideSlowMigration(_ arguments: [String]) async throws -> FerryProcess.Output {
        let upgrader = try FerryProcess.start(["upgrade"] + arguments)
        guard await upgrader.waitForOutput(containing: "Applying \(slowMigration)") else {
            upgrader.kill(SIGKILL)
            return await upgrader.finish()
        }
        try await Task.sleep(for: .milliseconds(500))
        upgrader.kill(SIGKILL)
        return await upgrader.finish()
    }

    /// The size of SQLite's rollback journal beside a database, read with
    /// `stat` (nothing opens the database): more than 0 after a kill means a
    /// hot journal that the next read-write connection must roll back.
    public static func journalSize(of database: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: database + "-journal")[.size]) as? NSNumber)?.int64Value ?? 0
    }
}
