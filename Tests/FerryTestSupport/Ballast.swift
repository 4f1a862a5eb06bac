import Foundation
import GRDB

/// Adds a table `ballast (id, data)` of `rows` random blobs of `bytes`
/// each to a SQLite database, so that copying it takes room and time.
public func addBallast(to path: String, rows: Int, bytes: Int = 16000) async throws {
    let queue = try DatabaseQueue(path: path)
    try await queue.writeWithoutTransaction { db in
        try db.execute(
            sql: """
                CREATE TABLE ballast (id INTEGER PRIMARY KEY, data BLOB);
                INSERT INTO ballast (data) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                    SELECT randomblob(\(bytes)) FROM n;
                """)
    }
    try queue.close()
}
