import GRDB
import GRDBSQLite

/// Bytes of a database's files read through a connection's own file and
/// shared-memory mapping (its VFS), never through a descriptor of Ferry's:
/// a descriptor of the database file opened and closed in this process
/// would drop every POSIX lock the process holds on the file, those of its
/// SQLite connections (and of the application's, where Ferry runs inside
/// it) included, and let another process write under them.
enum ConnectionFile {
    /// `count` bytes of `db`'s main database file from `offset`, or nil
    /// when the file is shorter or cannot be read.
    static func bytes(of db: Database, at offset: Int64, count: Int) -> [UInt8]? {
        guard let file = mainFile(of: db), let read = file.pointee.pMethods?.pointee.xRead else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let code = bytes.withUnsafeMutableBytes {
            read(file, $0.baseAddress, Int32(count), sqlite3_int64(offset))
        }
        return code == SQLITE_OK ? bytes : nil
    }

    /// The first `count` bytes of `db`'s WAL-index (the `-shm` file's first
    /// region, as the connection maps it), or nil when it is not mapped.
    static func sharedMemory(of db: Database, count: Int) -> [UInt8]? {
        guard let file = mainFile(of: db), let map = file.pointee.pMethods?.pointee.xShmMap
        else { return nil }
        var region: UnsafeMutableRawPointer?
        guard map(file, 0, 32 * 1024, 0, &region) == SQLITE_OK, let region else { return nil }
        return Array(UnsafeRawBufferPointer(start: region, count: count))
    }

    /// The connection's own file of its main database (its VFS's), or nil.
    static func mainFile(of db: Database) -> UnsafeMutablePointer<sqlite3_file>? {
        var pointer: UnsafeMutableRawPointer?
        guard
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_FILE_POINTER, &pointer)
                == SQLITE_OK
        else { return nil }
        return pointer?.assumingMemoryBound(to: sqlite3_file.self)
    }
}
