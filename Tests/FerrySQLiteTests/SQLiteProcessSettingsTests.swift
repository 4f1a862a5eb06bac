import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

/// SQLite's process-wide settings. The `ferry` tool makes them first thing,
/// so every test that runs the binary runs with them; this process opened
/// databases long before, where the call must change nothing.
@Suite struct SQLiteProcessSettingsTests {
    @Test func onceSQLiteIsInUseTheSettingChangesNothing() throws {
        let folder = try TemporaryFolder()
        let queue = try DatabaseQueue(path: folder.url.appendingPathComponent("a.db").path)
        #expect(SQLiteProcessSettings.turnOffMemoryStatistics() == false)
        try queue.inDatabase { db in
            try db.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (zeroblob(100000))")
            #expect(try Int.fetchOne(db, sql: "SELECT length(x) FROM t") == 100_000)
        }
        // The statistics still count what SQLite holds.
        #expect(sqlite3_memory_used() > 0)
    }
}
