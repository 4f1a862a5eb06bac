import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteEngine {
    /// The release and history fingerprint of `ferry_state`, read with one
    /// query on a read-only connection opened with SQLite's C API, or on the
    /// application's own connection when it lent one.
    ///
    /// Start-up asks this at every launch of an application: opening a GRDB
    /// queue (its dispatch queue and set-up statements) and reading a
    /// thousand history rows cost milliseconds, this query microseconds. It
    /// also counts the history's rows and finds its last sequence number,
    /// so that rows added or removed by hand since the fingerprint was
    /// written are noticed. Anything unusual (no file, no fingerprint, a
    /// busy or unreadable database) gives nil, and Ferry reads the history
    /// the usual way, which says what is wrong.
    public func recordedFingerprint() async -> (release: Release, fingerprint: HistoryFingerprint)?
    {
        // A FIFO would block the open: the usual way refuses it with a message.
        guard (try? databaseExists()) == true else { return nil }
        // The application's connection has the schema parsed: one statement, no open. One statement
        // reads one snapshot: it needs no transaction around it (which `read` would begin and end).
        // It runs on the calling thread, as GRDB's synchronous reads do: GRDB's asynchronous read
        // wakes a thread of its queue, which costs four times the statement. A `DatabasePool` reads
        // beside its writer; a `DatabaseQueue` waits while the application writes with it.
        if let applicationDatabase {
            let store = SQLiteHistory.store
            func read() -> (release: Release, fingerprint: HistoryFingerprint)? {
                try? applicationDatabase.unsafeRead { db in
                    store.recordedFingerprint(
                        from: try SQLiteHistory.run(store.recordedFingerprintQuery, in: db))
                }
            }
            return read()
        }
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            return nil
        }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        let query = SQLiteHistory.store.recordedFingerprintQuery.sql
        guard sqlite3_prepare_v2(connection, query, -1, &statement, nil) == SQLITE_OK,
            sqlite3_step(statement) == SQLITE_ROW,
            sqlite3_column_int(statement, 2) == 1,
            let releaseText = sqlite3_column_text(statement, 0),
            let fingerprintText = sqlite3_column_text(statement, 1),
            let release = Release(String(cString: releaseText)),
            let fingerprint = HistoryFingerprint(String(cString: fingerprintText))
        else { return nil }
        return (release, fingerprint)
    }
}
