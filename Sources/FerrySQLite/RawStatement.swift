import GRDB
import GRDBSQLite

/// Stepping a prepared statement through SQLite's C API, where the hot
/// loops of dumps, loads, exports and imports bypass GRDB's per-row cost,
/// with SQLite's error made a `DatabaseError` as GRDB makes it.
enum RawStatement {
    /// Steps a query once: true with a row to read, false when it is done.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message.
    @inline(__always)
    static func nextRow(_ handle: OpaquePointer, in db: Database) throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw error(code, in: db)
    }

    /// Runs a bound statement that returns no rows, then resets it for the
    /// next values.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message.
    @inline(__always)
    static func run(_ handle: OpaquePointer, in db: Database) throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw error(code, in: db) }
    }

    /// Throws SQLite's error `code` with the connection's message.
    ///
    /// - Throws: `DatabaseError`, always.
    static func fail(_ code: Int32, in db: Database) throws -> Never {
        throw error(code, in: db)
    }

    private static func error(_ code: Int32, in db: Database) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }
}
