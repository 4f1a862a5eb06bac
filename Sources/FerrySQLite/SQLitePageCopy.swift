import Ferry
import Foundation
import GRDB
import GRDBSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A page-exact copy of a database in rollback-journal mode, read through
/// the connection whose read transaction holds the snapshot.
///
/// Outside WAL mode every committed page is in the database file, and no
/// writer may change that file while a reader holds its shared lock: the
/// file's first `page_count` pages are then exactly the snapshot, byte for
/// byte, as SQLite's backup API would copy them page by page. Read in large
/// pieces through the connection's own file (its VFS, so that no second
/// descriptor of this process opens and closes the file, which would drop
/// the process's POSIX locks on it) and written with plain writes, the copy
/// takes a fraction of the backup API's (which was 2.7 times `cp`). Its
/// checksum is not computed on this thread: hashing takes twice as long as
/// the copy, and would hold the live database's read lock that long. A
/// thread of its own reads the copy back from the system's cache as it is
/// written (``GrowingFile``), so the checksum is done soon after the copy.
enum SQLitePageCopy {
    /// The bytes read and written at a time: a multiple of every page size.
    static let pieceBytes = 1 << 20

    /// Copies the snapshot that `db`'s open read transaction holds to a new
    /// file, unless the database is in WAL mode.
    ///
    /// - Parameters:
    ///   - db: A connection inside a read transaction that has read.
    ///   - file: The copy; created, or emptied when it exists.
    ///   - progress: Told the pages copied.
    ///   - growing: Told of each piece once it is in the file (the caller
    ///     finishes it); the checksum reads the copy back as it grows.
    /// - Returns: Whether it copied: false in WAL mode (committed pages may
    ///   be in the `-wal` file), when nothing was written.
    /// - Throws: `DatabaseError` when the database cannot be read (its
    ///   result code) or the copy cannot be written (`SQLITE_FULL` for a full
    ///   disk, else `SQLITE_IOERR_WRITE`).
    static func copy(
        _ db: Database, to file: URL, progress: ProgressReporter, following growing: GrowingFile
    ) throws -> Bool {
        guard try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() != "wal",
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size"),
            let pageCount = try Int.fetchOne(db, sql: "PRAGMA page_count"),
            (512...65536).contains(pageSize), pageCount >= 0
        else { return false }
        let (total, overflow) = pageCount.multipliedReportingOverflow(by: pageSize)
        guard !overflow else { return false }
        guard let source = ConnectionFile.mainFile(of: db),
            let read = source.pointee.pMethods?.pointee.xRead
        else { return false }

        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw writeFailure(errno) }
        var closed = false
        defer { if !closed { close(descriptor) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: pieceBytes, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < total {
            let count = min(pieceBytes, total - offset)
            let code = read(source, buffer.baseAddress, Int32(count), sqlite3_int64(offset))
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code))
            }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if let number = writeWhole(descriptor, piece) { throw writeFailure(number) }
            growing.grew(by: count)
            offset += count
            progress.update(done: Int64(offset / pageSize), total: Int64(pageCount))
        }
        closed = true
        guard close(descriptor) == 0 else { throw writeFailure(errno) }
        return true
    }

    /// A failed write as SQLite would report it, so that the backup's one
    /// error path words it (a full disk said as such).
    private static func writeFailure(_ number: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: number == ENOSPC || number == EDQUOT ? .SQLITE_FULL : .SQLITE_IOERR_WRITE,
            message: String(cString: strerror(number)))
    }
}
