import Ferry
import Foundation
import GRDBSQLite

extension SQLiteEngine {
    /// Rolls back a hot journal (or recovers a WAL file) that a process left
    /// when it died inside a write transaction, or stopped at a full disk.
    ///
    /// SQLite rolls a hot journal back on the next read-write open, but a
    /// read-only connection cannot: it fails with "attempt to write a
    /// readonly database" until something opens the file read-write. So when
    /// `-journal` is not empty or a `-wal` file is there, a read-only
    /// connection tries a read first; only if SQLite refuses it as read-only
    /// does Ferry take the upgrade lock (so that no upgrader is in the
    /// middle of its own transaction), open the file read-write, read it
    /// (SQLite rolls the journal back then), and read the release.
    public func rollBackInterruptedTransaction(
        holder: LockHolder, timeout: Duration
    ) async throws -> InterruptedTransaction? {
        guard try databaseExists(), mayHoldInterruptedTransaction, try needsReadWriteOpen() else {
            return nil
        }
        if isLockHeldByThisTask { return try rollBackHoldingLock() }
        return try await withUpgradeLock(holder: holder, timeout: timeout, onWait: { _ in }) {
            // Another process may have rolled it back while this one waited for the lock.
            guard try needsReadWriteOpen() else { return nil }
            return try rollBackHoldingLock()
        }
    }

    /// Whether a file that SQLite may need to roll back or recover is beside
    /// the database: a cheap look before anything opens it.
    public var mayHoldInterruptedTransaction: Bool {
        FileSafety.size(of: path + "-journal") > 0
            || FileManager.default.fileExists(atPath: path + "-wal")
    }

    /// Whether SQLite refuses a read-only connection a read because the
    /// database needs a writer first (a hot journal: `SQLITE_READONLY_ROLLBACK`;
    /// a WAL file that needs recovery: the other `SQLITE_READONLY_*` codes).
    ///
    /// The probe does not wait: a database busy with a writer (an upgrader
    /// in its transaction, which holds the journal) has nothing to roll back,
    /// and the caller then waits for the lock or the writer as usual.
    private func needsReadWriteOpen() throws -> Bool {
        let (code, _) = Self.firstRead(of: path, flags: SQLITE_OPEN_READONLY, busyTimeout: 0)
        return code & 0xff == SQLITE_READONLY
            || code & 0xff == SQLITE_CANTOPEN && mayHoldInterruptedTransaction
    }

    /// Opens the database read-write and reads it, which makes SQLite roll a
    /// hot journal back (or recover its WAL file), then reads the release.
    private func rollBackHoldingLock() throws -> InterruptedTransaction? {
        let journal = FileSafety.size(of: path + "-journal") > 0 ? path + "-journal" : path + "-wal"
        let (code, message) = Self.firstRead(
            of: path, flags: SQLITE_OPEN_READWRITE, busyTimeout: busyTimeout)
        guard code == SQLITE_OK, try !needsReadWriteOpen() else {
            throw FerryError(
                .databaseUnavailable,
                "\(path) holds a transaction that a process left unfinished (\(journal)), and SQLite could not roll it back.",
                changes: "Nothing was changed.",
                advice: accessAdvice(writing: true)
                    ?? (code & 0xff == SQLITE_FULL || code & 0xff == SQLITE_IOERR
                        ? DiskSpace.advice(near: path)
                        : "Check the database file and its folder, then run again."),
                engineMessage: message)
        }
        return InterruptedTransaction(
            file: URL(fileURLWithPath: journal).lastPathComponent,
            release: Self.recordedRelease(of: path))
    }

    /// Opens a connection with SQLite's C API and reads the schema, which
    /// is the first read that rolls back or refuses; returns SQLite's
    /// extended result code and message.
    static func firstRead(of path: String, flags: Int32, busyTimeout: TimeInterval) -> (
        Int32, String?
    ) {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        var code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK else {
            return (code, connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) })
        }
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, Int32(min(busyTimeout * 1000, Double(Int32.max))))
        code = sqlite3_exec(connection, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        return (code, code == SQLITE_OK ? nil : String(cString: sqlite3_errmsg(connection)))
    }

    /// The release in `ferry_state`, read on a read-only connection; nil when there is none.
    static func recordedRelease(of path: String) -> String? {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            return nil
        }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard
            sqlite3_prepare_v2(
                connection, "SELECT release FROM ferry_state WHERE id = 1", -1, &statement, nil)
                == SQLITE_OK,
            sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0)
        else { return nil }
        return String(cString: text)
    }

    /// After an upgrade's session failed and closed: rolls back what the
    /// failure left (a full disk can make SQLite's own rollback fail and
    /// leave a hot journal), so that "nothing was changed" is true on disk
    /// now and not only after the next open; says so when it cannot.
    func settlingInterruptedTransaction(after error: any Error) -> any Error {
        guard (try? databaseExists()) == true, mayHoldInterruptedTransaction,
            (try? needsReadWriteOpen()) == true
        else { return error }
        do {
            _ = try rollBackHoldingLock()
            return error
        } catch let failure as FerryError {
            guard var error = error as? FerryError else { return error }
            error.changes = [
                error.changes,
                "But SQLite could not roll the transaction back yet: "
                    + "\(path)-journal holds it, and the next Ferry command rolls it back (\(failure.advice ?? "")).",
            ]
            .compactMap { $0 }.joined(separator: " ")
            return error
        } catch {
            return error
        }
    }
}
