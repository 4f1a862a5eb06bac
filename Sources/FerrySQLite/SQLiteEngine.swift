import Ferry
import Foundation
import GRDB

/// The SQLite engine: a database file on disk, through GRDB.
///
/// ```swift
/// let engine = SQLiteEngine(path: "data/sensorhub.db")
/// try await Ferry(.init(appName: "sensorhub", engine: engine, migrationsDirectory: migrations)).upgrade()
/// ```
///
/// The upgrade lock is the file `<database>.ferry-lock` beside the database,
/// locked with `flock(2)`: other processes on the machine see it, and it is
/// free again as soon as its holder dies.
public struct SQLiteEngine: DatabaseEngine {
    /// The database file.
    public let path: String
    /// How long a statement waits for another connection's write lock.
    public var busyTimeout: TimeInterval

    /// Creates the engine for a database file (which need not exist yet).
    public init(path: String, busyTimeout: TimeInterval = 30) {
        self.path = path
        self.busyTimeout = busyTimeout
    }

    public var engineName: String { "sqlite" }

    public var displayName: String { path }

    /// The lock file beside the database.
    public var lockPath: String { path + ".ferry-lock" }

    private var databaseExists: Bool { FileManager.default.fileExists(atPath: path) }

    func configuration(readonly: Bool) -> GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(busyTimeout)
        configuration.allowsUnsafeTransactions = true
        // Scripts are written for the sqlite3 shell, which accepts "text" as a string literal.
        configuration.acceptsDoubleQuotedStringLiterals = true
        configuration.label = "ferry"
        return configuration
    }

    public func readState() async throws -> DatabaseState {
        guard databaseExists else { return .missing }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            defer { try? queue.close() }
            return try await queue.read { db in try SQLiteHistory.readState(db) }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
    }

    public func lockHolder() async throws -> LockHolder? {
        guard FileManager.default.fileExists(atPath: lockPath) else { return nil }
        let lock = try LockFile(path: lockPath)
        return try lock.isHeldByAnother() ? lock.holder() : nil
    }

    public func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try createFolder()
        let lock = try LockFile(path: lockPath)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var hasAnnounced = false
        while try !lock.tryLockExclusively() {
            if !hasAnnounced {
                onWait(lock.holder())
                hasAnnounced = true
            }
            guard clock.now < deadline else {
                throw FerryError(
                    .lockTimeout,
                    "Another upgrade holds the lock of \(path): \(lock.holder()). Waited \(timeout.text).",
                    changes: "Nothing was changed.",
                    advice: "Let it finish and run again, or wait longer with --lock-timeout SECONDS. "
                        + "The lock is the kernel's lock on \(lockPath): if its holder has died, it is already free.")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        lock.write(holder)
        defer {
            lock.clear()
            lock.unlock()
        }
        return try await body()
    }

    public func withSession<Result: Sendable>(
        _ body: (any MigrationSession) async throws -> Result
    ) async throws -> Result {
        let isNew = !databaseExists
        try createFolder()
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: false))
        } catch let error as DatabaseError {
            throw unavailable(error, "open")
        }
        do {
            let result = try await body(SQLiteSession(queue: queue, displayName: path, createdDatabase: isNew))
            try queue.close()
            return result
        } catch {
            if isNew { removeIfEmpty(queue) } else { try? queue.close() }
            throw error
        }
    }

    /// Removes a database this engine created, when the upgrade that created it failed.
    private func removeIfEmpty(_ queue: DatabaseQueue) {
        let isEmpty = (try? queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0 }) == 0
        try? queue.close()
        guard isEmpty else { return }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    private func createFolder() throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        guard !FileManager.default.fileExists(atPath: folder.path) else { return }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FerryError(
                .fileSystem, "Cannot create the database folder \(folder.path): \(error.localizedDescription)",
                changes: "Nothing was changed.")
        }
    }

    private func unavailable(_ error: DatabaseError, _ verb: String) -> FerryError {
        let advice: String
        switch error.resultCode {
        case .SQLITE_NOTADB: advice = "Check that \(path) is the application's SQLite database."
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            advice = "Check that \(path) and its folder exist and are readable and writable by this user."
        case .SQLITE_CORRUPT: advice = "Restore the database from a backup."
        case .SQLITE_BUSY: advice = "Another connection holds the database; try again when it is done."
        default: advice = "Check the database file and try again."
        }
        return FerryError(
            .databaseUnavailable, "Cannot \(verb) the SQLite database \(path).", changes: "Nothing was changed.",
            advice: advice, engineMessage: error.message ?? "\(error.resultCode)")
    }
}
