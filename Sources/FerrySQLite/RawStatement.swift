import Ferry
import GRDB
import GRDBSQLite

/// Binding and stepping a prepared statement through SQLite's C API, where
/// the hot loops of dumps, loads, exports, imports and the history bypass
/// GRDB's per-row cost, with SQLite's error made a `DatabaseError` as GRDB
/// makes it.
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

    /// SQLite's own destructor marker that makes it copy a bound value.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds a value: a boolean as 0 or 1, as SQLite keeps it.
    ///
    /// - Throws: `DatabaseError` when SQLite refuses the value (a text or
    ///   blob longer than its limit, `SQLITE_TOOBIG`): the parameter would
    ///   otherwise stay NULL and the row be written without it.
    static func bind(
        _ value: ExportValue, at index: Int32, to handle: OpaquePointer, in db: Database
    ) throws {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let integer): code = sqlite3_bind_int64(handle, index, integer)
        case .real(let real): code = sqlite3_bind_double(handle, index, real)
        case .boolean(let flag): code = sqlite3_bind_int64(handle, index, flag ? 1 : 0)
        case .text(let text):
            var text = text
            code = text.withUTF8 { bytes in
                // An empty text is bound from a pointer of its own: a null pointer would bind NULL.
                if let base = bytes.baseAddress, bytes.count > 0 {
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        pointer in
                        sqlite3_bind_text64(
                            handle, index, pointer, UInt64(bytes.count), transient,
                            UInt8(SQLITE_UTF8))
                    }
                } else {
                    return sqlite3_bind_text64(handle, index, "", 0, transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            if bytes.isEmpty {
                // A zero-length blob, not NULL, which a null pointer would bind.
                code = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                code = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob64(
                        handle, index, raw.baseAddress, UInt64(raw.count), transient)
                }
            }
        }
        if code != SQLITE_OK { try fail(code, in: db) }
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
