import Ferry
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite engine: a database file on disk, through GRDB.
///
/// ```swift
/// let engine = SQLiteEngine(path: "data/sensorhub.db")
/// try await Ferry(.init(appName: "sensorhub", engine: engine, migrationsDirectory: migrations)).upgrade()
/// ```
///
/// The upgrade lock is the file `<database>.ferry-lock` beside the database
/// (its path with every symbolic link followed), locked with `flock(2)`:
/// other processes on the machine see it, and it is free again as soon as
/// its holder dies. A database with other hard links is also locked by a
/// file named after its inode in its folder (see ``lockPaths``).
public struct SQLiteEngine: DatabaseEngine {
    /// The database file.
    public let path: String
    /// How long a statement waits for another connection's write lock.
    public var busyTimeout: TimeInterval

    /// The application's own GRDB connection to the database, when it lent
    /// one (see ``init(database:busyTimeout:)``).
    public let applicationDatabase: (any DatabaseReader)?

    /// Creates the engine for a database file (which need not exist yet).
    public init(path: String, busyTimeout: TimeInterval = 30) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.applicationDatabase = nil
    }

    /// Creates the engine for a database file that the application already
    /// has open with GRDB, a `DatabaseQueue` or a `DatabasePool`.
    ///
    /// ```swift
    /// let dbPool = try DatabasePool(path: "data/sensorhub.db")
    /// let ferry = Ferry(.init(appName: "sensorhub", engine: try SQLiteEngine(database: dbPool),
    ///                         migrationsDirectory: migrations))
    /// try await ferry.upgrade()  // nothing pending: one read on dbPool
    /// ```
    ///
    /// What only reads goes through the application's connection, which has
    /// the schema parsed already: start-up's check that nothing is pending
    /// (``Ferry/upgrade(_:)`` and ``Ferry/upToDateRelease()``, tens of
    /// microseconds instead of the milliseconds it takes to open the file),
    /// and the history that ``Ferry/status()`` and a plan read. What changes
    /// the database (an upgrade, a restore, a transfer) and what copies it (a
    /// backup) still open Ferry's own connections to the same file: they
    /// take the upgrade lock, need settings of their own (foreign keys off
    /// while a table is rebuilt) and the backup API. Call the upgrade before
    /// the application starts writing; its own connection sees the new
    /// schema at its next statement.
    ///
    /// - Parameters:
    ///   - database: The application's queue or pool.
    ///   - busyTimeout: How long Ferry's own statements wait for another
    ///     connection's write lock.
    /// - Throws: ``FerryError`` when `database` is in memory or temporary:
    ///   there is no file that Ferry could lock, back up or open again.
    public init(database: any DatabaseReader, busyTimeout: TimeInterval = 30) throws {
        let path = database.path
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            throw FerryError(
                .invalidConfiguration,
                "The GRDB connection given to Ferry is to an in-memory or temporary database, "
                    + "which Ferry cannot lock, back up or open again.",
                changes: "Nothing was changed.",
                advice:
                    "Open the database from a file (DatabaseQueue(path:) or DatabasePool(path:)).")
        }
        self.path = path
        self.busyTimeout = busyTimeout
        self.applicationDatabase = database
    }

    /// The SQLite kind of database: a plain path, `sqlite:PATH` or
    /// `sqlite://PATH`, a relative path being relative to the working directory.
    public static let kind = DatabaseEngineKind(
        name: "sqlite", schemes: ["sqlite"], opensPlainPaths: true,
        locationForms: ["a SQLite path", "sqlite:PATH"]
    ) { location, _ in
        var path = Substring(location)
        for prefix in ["sqlite://", "sqlite:"] where path.lowercased().hasPrefix(prefix) {
            path = path.dropFirst(prefix.count)
            break
        }
        return SQLiteEngine(path: String(path))
    }

    public var engineName: String { "sqlite" }

    public var displayName: String { path }

    /// The lock file beside the database, named after its fully resolved
    /// path: `link.db` (a symbolic link) and `real.db` meet the same lock.
    public var lockPath: String { DatabaseFile(path: path).resolvedPath + ".ferry-lock" }

    /// Every lock file an upgrader takes, in order: ``lockPath``, and, when
    /// the database has other hard links, `.ferry-lock-DEVICE-INODE` in its
    /// resolved folder, which every name of the file in that folder meets
    /// (names in other folders share no folder to meet in; they share SQLite's
    /// own locks, which keep the file whole, but not the upgrade lock).
    ///
    /// A path is the identity before the file exists (a first install), so
    /// the path's lock is always taken: two first installs meet there.
    public var lockPaths: [String] {
        let file = DatabaseFile(path: path)
        let primary = file.resolvedPath + ".ferry-lock"
        guard let (device, inode) = file.hardLinkedInode else { return [primary] }
        let folder = URL(fileURLWithPath: primary).deletingLastPathComponent()
        return [primary, folder.appendingPathComponent(".ferry-lock-\(device)-\(inode)").path]
    }

    /// The lock files this task holds now (inside ``withUpgradeLock(holder:timeout:onWait:_:)``'s body).
    @TaskLocal static var heldLocks: Set<String> = []

    /// Whether this task holds the upgrade lock of this database.
    var isLockHeldByThisTask: Bool { lockPaths.allSatisfy(Self.heldLocks.contains) }

    /// Whether the database file exists; throws when the path names
    /// something that is not a regular file.
    func databaseExists() throws -> Bool { try DatabaseFile(path: path).exists() }

    func configuration(readonly: Bool) -> GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(busyTimeout)
        configuration.allowsUnsafeTransactions = true
        // Scripts are written for the sqlite3 shell, which accepts "text" as a string literal.
        configuration.acceptsDoubleQuotedStringLiterals = true
        configuration.label = "ferry"
        if !readonly {
            // A migration's `CREATE INDEX` and an import's indexes, made after the rows, sort
            // their entries: let SQLite's sorter use more than one core for them.
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA threads = \(SQLiteEngine.sorterThreads)")
            }
        }
        return configuration
    }

    /// The helper threads SQLite's sorter may use for a large sort on
    /// Ferry's own connections (`PRAGMA threads`): one per core, at most 4.
    static let sorterThreads = min(4, ProcessInfo.processInfo.activeProcessorCount)

    /// Whether the database file is there (a fleet asks it of every
    /// tenant before its upgrade, which reads the state again).
    public func exists() async throws -> Bool { try databaseExists() }

    public func readState() async throws -> DatabaseState {
        guard try databaseExists() else { return .missing }
        do {
            if let applicationDatabase {
                return try await applicationDatabase.read { db in try SQLiteHistory.readState(db) }
            }
            let queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            defer { try? queue.close() }
            return try await queue.readHere { db in try SQLiteHistory.readState(db) }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
    }

    public func lockHolder() async throws -> LockHolder? {
        for lockPath in lockPaths where access(lockPath, F_OK) == 0 {
            let lock = try LockFile(path: lockPath)
            if try lock.isHeldByAnother() { return lock.holder() }
        }
        return nil
    }

    /// The lock files this process holds now, by the path of the engine
    /// that took them (as given, not resolved: noting a step must not look
    /// at the file system). Events may come from a thread outside the task
    /// that locked, so the process, not the task, decides whose step a lock
    /// file shows.
    private static let locksHeldByThisProcess = Locked<[String: [LockFile]]>([:])
    /// Orders the steps noted, so that a step overtaken on its way to the
    /// file by a later one is not written over it.
    private static let stepSequence = Locked(0)

    public func noteLockStep(_ step: String) {
        // Most events (start-up's "up to date", a backup without the lock) come while no lock is
        // held: they cost one look at an empty table, none at the file system.
        let (sequence, locks) = Self.locksHeldByThisProcess.withLock { held -> (Int, [LockFile]) in
            guard let locks = held[path] else { return (0, []) }
            let sequence = Self.stepSequence.withLock { sequence in
                sequence += 1
                return sequence
            }
            return (sequence, locks)
        }
        // Written outside the process's lock: each file has its own, and a fleet's upgrades
        // (one lock file each) would otherwise wait for each other's writes.
        for lock in locks { lock.note(step: step, sequence: sequence) }
    }

    public func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try createFolder()
        let paths = lockPaths
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var hasAnnounced = false
        var locks: [LockFile] = []
        defer {
            Self.locksHeldByThisProcess.withLock { held in
                held[path]?.removeAll { lock in locks.contains { $0 === lock } }
                if held[path]?.isEmpty == true { held[path] = nil }
            }
            for lock in locks.reversed() {
                lock.clear()
                lock.unlock()
            }
        }
        // In the same order in every process, so that two upgraders never wait for each other's second lock.
        for lockPath in paths {
            let lock = try LockFile(path: lockPath)
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
                        advice:
                            "Let it finish and run again, or wait longer with \(.lockTimeout, .placeholder). "
                            + "The lock is the kernel's lock on \(lockPath): if its holder has died, it is already free."
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            lock.write(holder)
            locks.append(lock)
            Self.locksHeldByThisProcess.withLock { $0[path, default: []].append(lock) }
        }
        return try await Self.$heldLocks.withValue(Self.heldLocks.union(paths)) { try await body() }
    }

    public func withSession<Result: Sendable>(
        _ body: (any MigrationSession) async throws -> Result
    ) async throws -> Result {
        let isNew = try !databaseExists()
        try createFolder()
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: false))
        } catch let error as DatabaseError {
            throw unavailable(error, "open")
        }
        do {
            let result = try await body(
                SQLiteSession(queue: queue, displayName: path, createdDatabase: isNew))
            try queue.close()
            return result
        } catch {
            if isNew { removeIfEmpty(queue) } else { try? queue.close() }
            throw settlingInterruptedTransaction(after: error)
        }
    }

    /// Removes a database this engine created, when the upgrade that created it failed.
    private func removeIfEmpty(_ queue: DatabaseQueue) {
        let isEmpty =
            (try? queue.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            }) == 0
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
                .fileSystem,
                "Cannot create the database folder \(folder.path): \(error.localizedDescription)",
                changes: "Nothing was changed.")
        }
    }

    func unavailable(_ error: DatabaseError, _ verb: String) -> FerryError {
        let advice: String
        switch error.resultCode {
        case .SQLITE_NOTADB: advice = "Check that \(path) is the application's SQLite database."
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            if let accessAdvice = accessAdvice(writing: verb != "read") {
                advice = accessAdvice
            } else if error.extendedResultCode == .SQLITE_READONLY_ROLLBACK {
                advice =
                    "It holds a transaction that a process left unfinished (\(path)-journal): run the command "
                    + "again, and Ferry rolls it back under the upgrade lock."
            } else {
                advice =
                    "Check the database file and its folder; the permissions allow this user to read and write them."
            }
        case .SQLITE_CORRUPT: advice = "Restore the database from a backup."
        case .SQLITE_BUSY:
            advice = "Another connection holds the database; try again when it is done."
        case .SQLITE_FULL: advice = DiskSpace.advice(near: path)
        default: advice = "Check the database file and try again."
        }
        return FerryError(
            .databaseUnavailable, "Cannot \(verb) the SQLite database \(path).",
            changes: "Nothing was changed.",
            advice: advice, engineMessage: error.message ?? "\(error.resultCode)")
    }

    /// What to do when the file system refuses this user the database, its
    /// folder or SQLite's journal beside it; nil when it refuses nothing.
    /// Asked with `access(2)`, so that a message blames permissions only
    /// when they are the cause, and a read-only file system is called so.
    func accessAdvice(writing: Bool) -> String? {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var checks: [(path: String, mode: Int32, what: String)] = [
            (folder, X_OK, "enter \(folder)")
        ]
        if access(path, F_OK) == 0 {
            checks.append((path, R_OK, "read \(path)"))
            if writing { checks.append((path, W_OK, "write \(path)")) }
        }
        if writing {
            checks.append((folder, W_OK, "write in \(folder), where SQLite keeps its journal"))
        }
        for suffix in ["-journal", "-wal", "-shm"] where access(path + suffix, F_OK) == 0 {
            checks.append(
                (
                    path + suffix, R_OK | (writing ? W_OK : 0),
                    "\(writing ? "read and write" : "read") \(path + suffix)"
                ))
        }
        for check in checks where access(check.path, check.mode) != 0 {
            if errno == EROFS {
                return
                    "The file system that holds \(folder) is mounted read-only, and SQLite must write there "
                    + "(its journal): mount it read-write, then run the command again."
            }
            return
                "Check that \(path) and its folder are readable and writable by this user: it may not \(check.what)."
        }
        return nil
    }
}
