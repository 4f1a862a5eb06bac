import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteEngine {
    public var canMakeBackups: Bool { true }

    /// `sqlite` for a copy made with the backup API, `sql` for a dump.
    public func backupFileExtension(for format: BackupFormat) -> String {
        format == .native ? "sqlite" : "sql"
    }

    public var defaultBackupsFolder: URL? {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("backups")
    }

    public func backupSizeEstimate() async throws -> Int64 {
        FileSafety.size(of: path) + FileSafety.size(of: path + "-wal")
    }

    /// The file's change counter (header bytes 24–27), with its size,
    /// modification time, device and inode; nil in WAL mode.
    ///
    /// Outside WAL mode SQLite increments the counter in every transaction
    /// that commits a change, and a rolled-back one leaves it as it was, so
    /// an unchanged counter on the same unchanged file means no change was
    /// committed. In WAL mode commits go to the `-wal` file and the counter
    /// is not kept up to date: there is no cheap proof then, so nil (no
    /// reuse). A torn read during a commit gives an old or new value, never
    /// a wrong "unchanged", because the value is read before the backup.
    public func changeFingerprint() async -> String? {
        // The header is read through a connection of SQLite's: a descriptor of Ferry's, closed,
        // would drop this process's locks on the file (see `ConnectionFile`).
        guard let queue = try? openReadOnly(path, what: "read the header of") else { return nil }
        defer { try? queue.close() }
        guard
            let header = try? queue.inDatabase({ ConnectionFile.bytes(of: $0, at: 0, count: 100) }),
            header.starts(with: Array("SQLite format 3\u{0}".utf8)), header[18] == 1,
            header[19] == 1
        else { return nil }
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let counter = header[24..<28].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return "sqlite change counter \(counter), \(status.st_size) bytes, modified "
            + "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec), file \(status.st_dev):\(status.st_ino)"
    }

    /// Copies the live database inside one read transaction, so the copy is
    /// one consistent moment while the application goes on writing: page
    /// for page from the file (``SQLitePageCopy``, its checksum read back as
    /// it is written), or in WAL mode with SQLite's online backup API,
    /// without a checksum (nil: the caller reads the copy back for it,
    /// beside the sync); or dumps it as SQL, with its checksum on the way.
    @discardableResult
    public func writeBackup(to file: URL, format: BackupFormat) async throws -> String? {
        try await writeBackup(to: file, format: format, following: nil)
    }

    /// Writes a backup as ``writeBackup(to:format:)`` does, telling `growing`
    /// of each piece of a dump as it is in the file.
    private func writeBackup(to file: URL, format: BackupFormat, following growing: GrowingFile?)
        async throws -> String?
    {
        switch format {
        case .native:
            // The checksum reads the copy back: its only failures are the file's, not SQLite's.
            return try await copyNatively(to: file)?.value
        case .sql:
            let source = try openReadOnly(path, what: "back up")
            defer { try? source.close() }
            let listener = ProgressListener.current
            return try await describingCopyFailure(of: file) {
                try await blocking {
                    try source.read { db in
                        try SQLiteDumpWriter.write(
                            db, to: file, reportingTo: listener, following: growing)
                    }
                }
            }
        }
    }

    /// Copies the live database into `file`, whole when this returns: page
    /// for page, with its checksum (the task's value) still reading the copy
    /// back on a thread of its own, so that what comes next (the check)
    /// need not wait for it; or in WAL mode with SQLite's backup API,
    /// without a checksum (nil).
    private func copyNatively(to file: URL) async throws -> Task<String, any Error>? {
        let source = try openReadOnly(path, what: "back up")
        defer { try? source.close() }
        let listener = ProgressListener.current
        // One progress line for a native copy, whichever way it is made.
        let progress = listener.reporter("backup copy", unit: .pages)
        defer { progress.finish() }
        return try await describingCopyFailure(of: file) {
            if let checksum = try await Self.copyPages(of: source, to: file, progress: progress) {
                return checksum
            }
            try await blocking {
                try Self.copyWithBackupAPI(
                    of: source, to: file, progress: progress, inSteps: listener.isListening)
            }
            return nil
        }
    }

    /// Runs `work`, which copies the live database into `file`, describing
    /// an SQLite error as a Ferry error: a full disk, a damaged live
    /// database, or a copy that failed.
    private func describingCopyFailure<T>(of file: URL, _ work: () async throws -> T)
        async throws -> T
    {
        do {
            return try await work()
        } catch let error as DatabaseError {
            // GRDB takes the backup API's message from the destination connection: "not an error".
            let engineMessage = Self.backupAPIMessage(error)
            if DiskSpace.isFull(error.extendedResultCode, near: file.path) {
                throw FerryError(
                    .backupFailed,
                    "SQLite could not write the copy of \(path): \(DiskSpace.sentence(near: file.path)).",
                    changes: "Nothing was changed.", advice: DiskSpace.advice(near: file.path),
                    engineMessage: engineMessage)
            }
            if SQLiteIntegrityCheck.isDamage(error) {
                throw liveDatabaseDamaged(engineMessage)
            }
            throw FerryError(
                .backupFailed, "SQLite could not copy \(path).", changes: "Nothing was changed.",
                advice: "Check the database and the backup folder, then try again.",
                engineMessage: engineMessage)
        }
    }

    /// Copies the live database page for page (``SQLitePageCopy``) inside
    /// one read transaction; nil in WAL mode, where nothing was copied.
    ///
    /// - Returns: The copy's checksum, read back as the file grew on a
    ///   thread of its own, which may still be reading its end.
    private static func copyPages(
        of source: DatabaseQueue, to file: URL, progress: ProgressReporter
    ) async throws -> Task<String, any Error>? {
        let growing = GrowingFile()
        let checksum = Task.detached { try await blocking { try growing.sha256(of: file) } }
        let copied: Bool
        do {
            copied = try await blocking {
                do {
                    let copied = try source.read { db in
                        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
                        return try SQLitePageCopy.copy(
                            db, to: file, progress: progress, following: growing)
                    }
                    growing.finish(nil)
                    return copied
                } catch {
                    growing.finish(error)
                    throw error
                }
            }
        } catch {
            // The checksum ends with the copy's error: nothing is left running.
            _ = try? await checksum.value
            throw error
        }
        guard copied else {
            _ = try? await checksum.value
            return nil
        }
        return checksum
    }

    /// Copies the live database with SQLite's online backup API (WAL mode),
    /// into a new file that nobody else opens, synced by the caller once it
    /// is whole: it needs no journal and no syncs on the way (with them the
    /// copy took as long as sqlite3's .backup, before Ferry's checksum).
    /// With `inSteps`, in steps that report the copy's progress.
    private static func copyWithBackupAPI(
        of source: DatabaseQueue, to file: URL, progress: ProgressReporter, inSteps: Bool
    ) throws {
        var settings = GRDB.Configuration()
        settings.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
        }
        let destination = try DatabaseQueue(path: file.path, configuration: settings)
        // All steps inside one read transaction that has read already: it holds its snapshot from
        // the first step to the last. GRDB's read is a deferred savepoint, which takes no snapshot
        // until something is read; without one each step read a moment of its own, and SQLite
        // restarted the copy whenever another process had committed in between, so a database
        // that was written without pause was never backed up.
        try destination.writeWithoutTransaction { copy in
            try source.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
                try db.backup(to: copy, pagesPerStep: inSteps ? 1024 : -1) { step in
                    progress.update(
                        done: Int64(step.completedPageCount), total: Int64(step.totalPageCount))
                }
            }
        }
        // The copy must not need a -wal file beside it: store it in rollback-journal mode.
        try destination.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
        }
        try destination.close()
    }

    /// What SQLite said of a failed backup step: its result code's own text,
    /// since GRDB reads the message from the destination connection, which
    /// says "not an error".
    static func backupAPIMessage(_ error: DatabaseError) -> String {
        let code = "\(error.extendedResultCode)"
        guard let message = error.message, message != "not an error", !code.contains(message) else {
            return code
        }
        return "\(code): \(message)"
    }

    /// The live database fails its check: said of the live database, not of
    /// the backup that copied it.
    func liveDatabaseDamaged(_ detail: String) -> FerryError {
        FerryError(
            .backupFailed,
            "The live database \(path) is damaged (SQLite cannot read it whole), so a backup of it would be damaged too.",
            changes: "Nothing was changed; the live database was only read.",
            advice:
                "Stop the application, then restore a backup made before the damage (\(run: .backups) lists them; "
                + "\(run: .restore())), or save what can be read with sqlite3's .recover.",
            engineMessage: detail)
    }

    /// Opens a backup and checks it: a native copy is opened read-only; a
    /// dump is first loaded into a new database beside it (which at any level
    /// proves that it loads). At level `full` the copy then gets `PRAGMA
    /// integrity_check` and its rows are counted; at `quick` its schema and
    /// history are read.
    public func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel,
        _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result {
        try await withBackup(at: file, format: format, level: level, following: nil, body)
    }

    /// Opens and checks a backup as ``withBackup(at:format:level:_:)`` does;
    /// with `growing`, a dump is loaded while another thread writes it;
    /// without `buildingPlainIndexes`, the indexes any rows build are only
    /// compiled (the copy is then for the check alone, never put in place).
    private func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel,
        following growing: GrowingFile?, buildingPlainIndexes: Bool = true,
        _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result {
        var database = file.path
        var loaded: URL?
        var loadedWithoutSchemaEdits = false
        // A dump is loaded into a new database in a work folder beside it (a killed run's is removed
        // by the next), which is then checked like a native backup.
        let work =
            format == .sql
            ? try WorkFolder.make("loading", in: file.deletingLastPathComponent()) : nil
        defer {
            if let loaded { removeDatabaseFiles(loaded.path) }
            work?.remove()
        }
        if let work {
            let listener = ProgressListener.current
            let target = work.url.appendingPathComponent(file.lastPathComponent + ".loading")
            loaded = target
            let queue = try DatabaseQueue(
                path: target.path, configuration: configuration(readonly: false))
            do {
                let namesWritableSchema = try await blocking {
                    try queue.writeWithoutTransaction { db in
                        try SQLiteDumpLoader.load(
                            file, into: db, reportingTo: listener, following: growing,
                            buildingPlainIndexes: buildingPlainIndexes)
                    }
                }
                loadedWithoutSchemaEdits = !namesWritableSchema
                try queue.close()
            } catch let error as DatabaseError
                where DiskSpace.isFull(error.extendedResultCode, near: target.path)
            {
                try? queue.close()
                throw FerryError(
                    .fileSystem,
                    "Could not load the SQL dump \(file.lastPathComponent) into a new database to check it: "
                        + "\(DiskSpace.sentence(near: target.path)).",
                    changes: "Nothing was changed.", advice: DiskSpace.advice(near: target.path),
                    engineMessage: error.message ?? "\(error.resultCode)")
            } catch let error as DatabaseError {
                try? queue.close()
                throw corrupt(file, error.message ?? "\(error.resultCode)")
            }
            CrashPoint.reach("restore.dump-loaded")
            database = target.path
        }
        // A loaded dump, written without syncs, is synced while it is checked: when a restore
        // links it into place, nothing is left for the disk to take. One loaded for the check
        // alone is thrown away unsynced.
        let unsynced = buildingPlainIndexes ? loaded : nil
        let copy = try await whileBlocking(alongside: {
            if let unsynced { try FileSafety.sync(unsynced) }
        }) {
            // A copy without its plain indexes never goes into place.
            try await checkedCopy(
                of: database, file: file, level: level,
                isLoadedDump: loaded != nil && buildingPlainIndexes,
                indexesAreSQLitesOwn: loadedWithoutSchemaEdits)
        }
        return try await body(copy)
    }

    /// The copy at `database`, checked at `level`. With
    /// `indexesAreSQLitesOwn` (a dump loaded into a new file in one
    /// transaction, no statement naming `writable_schema`), every index was
    /// made by SQLite from its table's rows in that transaction: the full
    /// check compares none with its table again (see ``TransactionWitness``);
    /// the quick check still reads every page.
    private func checkedCopy(
        of database: String, file: URL, level: BackupCheckLevel, isLoadedDump: Bool,
        indexesAreSQLitesOwn: Bool = false
    ) async throws -> SQLiteBackupCopy {
        let queue: DatabaseQueue
        do {
            queue = try openReadOnly(database, what: "check the backup")
        } catch {
            throw corrupt(file, (error as? FerryError)?.engineMessage ?? "\(error)")
        }
        defer { try? queue.close() }
        // The full check's passes shared over the cores: nobody changes the copy meanwhile. A file
        // too small for passes (at most 1,024 pages of 512 bytes) opens no helper.
        let helpers =
            level.isThorough
                && FileSafety.size(of: database) >= Int64(SQLiteIntegrityCheck.splitFromPages) * 512
            ? (1..<Self.checkingConnections).compactMap {
                _ in try? openReadOnly(database, what: "check the backup")
            } : []
        defer { for helper in helpers { try? helper.close() } }
        let listener = ProgressListener.current
        // A loaded dump may become the live database whole (a restore where there is none): at the
        // quick level it then gets here the quick check a restore makes of what it restored.
        let mayGoIntoPlace =
            isLoadedDump && (level.isThorough || !SQLiteBackupCopy.somethingIsAt(path))
        do {
            let check = try await queue.readHere { db in
                guard level.isThorough else {
                    if mayGoIntoPlace {
                        let problems = try SQLiteInspection.integrityProblems(
                            db, thorough: false, reportingTo: listener)
                        guard problems.isEmpty else {
                            throw FerryError(
                                .backupCorrupt,
                                "quick_check: " + problems.prefix(5).joined(separator: "; "))
                        }
                    }
                    return BackupCheck(rowCounts: nil, state: try SQLiteHistory.readState(db))
                }
                let builtByTheLoad =
                    indexesAreSQLitesOwn
                    ? Set(
                        try String.fetchAll(
                            db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index'"))
                    : []
                let problems = try SQLiteInspection.integrityProblems(
                    db, thorough: true, helpers: helpers,
                    indexesBuiltInTransaction: builtByTheLoad, reportingTo: listener)
                guard problems.isEmpty else {
                    throw FerryError(
                        .backupCorrupt,
                        "integrity_check: " + problems.prefix(5).joined(separator: "; "))
                }
                return BackupCheck(
                    rowCounts: try Self.rowCounts(db), state: try SQLiteHistory.readState(db))
            }
            return SQLiteBackupCopy(
                source: database, mayGoIntoPlace: mayGoIntoPlace, livePath: path,
                busyTimeout: busyTimeout, check: check)
        } catch let error as DatabaseError {
            throw corrupt(file, error.message ?? "\(error.resultCode)")
        } catch let error as FerryError where error.code == .backupCorrupt {
            throw corrupt(file, error.message)
        }
    }

    /// At level `quick`, a dump just written is not loaded (its restore loads
    /// it, and checks it then): the check is that the file ends with the
    /// `COMMIT` the writer writes last, so it is whole. Anything else is
    /// opened as a restore would open it.
    public func checkNewBackup(at file: URL, format: BackupFormat, level: BackupCheckLevel)
        async throws -> BackupCheck
    {
        guard format == .sql, !level.isThorough else {
            do {
                return try await withBackup(at: file, format: format, level: level) { $0.check }
            } catch {
                throw await blamingTheLiveDatabase(error, level: level)
            }
        }
        let ending = Array(SQLiteDumpWriter.lastLine.utf8)
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw corrupt(file, "cannot be read")
        }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size >= UInt64(ending.count) else { throw corrupt(file, "the dump is empty") }
        try handle.seek(toOffset: size - UInt64(ending.count))
        guard try handle.readToEnd().map(Array.init) == ending else {
            throw corrupt(file, "the dump does not end with its COMMIT: it is not whole")
        }
        return BackupCheck(rowCounts: nil, state: .unread)
    }

    /// At the full check: writes an SQL dump and loads it into a new
    /// database beside it while it is written: the loading thread reads
    /// the file as it grows (``GrowingFile``), so the dump's writing and its
    /// load, which took turns, share the cores. The copy is then checked as
    /// ``checkNewBackup(at:format:level:)`` checks it. A native copy's
    /// checksum reads the copy back and syncs it beside the check instead
    /// of before it (the caller's sync then finds nothing left to write).
    /// The quick check is nil, written and checked in turn.
    public func writeBackupCheckingAlongside(
        to file: URL, format: BackupFormat, level: BackupCheckLevel
    ) async throws -> (sha256: String, check: BackupCheck)? {
        guard level.isThorough else { return nil }
        guard format == .sql else {
            let checksum = try await copyNatively(to: file)
            FileSafety.makePrivate(file)
            // Beside the check, which starts as soon as the copy is whole: the page copy's checksum
            // reads the rest of the copy back, then the copy is synced; in WAL mode the copy is read
            // back for one (its bytes are in the system's cache) while it is synced.
            let sealing = Task.detached {
                guard let checksum else { return try await FileSafety.syncAndHash(file) }
                let sha256 = try await checksum.value
                try await blocking { try FileSafety.sync(file) }
                return sha256
            }
            do {
                let (check, sha256) = try await whileRunning(sealing) {
                    try await withBackup(at: file, format: format, level: level) { $0.check }
                }
                return (sha256, check)
            } catch {
                throw await blamingTheLiveDatabase(error, level: level)
            }
        }
        // The loader opens the file before the writer's first piece; private from the start.
        guard
            FileManager.default.createFile(
                atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw FerryError(
                .fileSystem, "Cannot create \(file.path).", changes: "Nothing was changed.")
        }
        let growing = GrowingFile()
        async let written: String? = {
            do {
                let sha256 = try await writeBackup(to: file, format: format, following: growing)
                growing.finish(nil)
                return sha256
            } catch {
                growing.finish(error)
                throw error
            }
        }()
        let checked: Result<BackupCheck, any Error>
        do {
            checked = .success(
                try await withBackup(
                    at: file, format: format, level: level, following: growing,
                    buildingPlainIndexes: false
                ) { $0.check })
        } catch {
            checked = .failure(error)
        }
        // The writer's failure first: a check of a dump that was not written whole says nothing.
        guard let sha256 = try await written else {
            throw FerryError(.backupFailed, "The SQL dump of \(path) has no checksum.")
        }
        do {
            return (sha256, try checked.get())
        } catch {
            throw await blamingTheLiveDatabase(error, level: level)
        }
    }

    /// A copy made moments ago that fails its check: the live database itself
    /// may be damaged, and is then named as the cause.
    private func blamingTheLiveDatabase(_ error: any Error, level: BackupCheckLevel) async
        -> any Error
    {
        guard let error = error as? FerryError, error.code == .backupCorrupt else { return error }
        var damage: String?
        do {
            let problems = try await integrityProblems(thorough: level.isThorough)
            if !problems.isEmpty { damage = problems.prefix(5).joined(separator: "; ") }
        } catch let failure as DatabaseError where SQLiteIntegrityCheck.isDamage(failure) {
            damage = failure.message ?? "\(failure.resultCode)"
        } catch {}
        return damage.map(liveDatabaseDamaged) ?? error
    }

    public func integrityProblems(thorough: Bool) async throws -> [String] {
        let queue = try openReadOnly(path, what: "check")
        defer { try? queue.close() }
        let listener = ProgressListener.current
        return try await queue.readHere { db in
            try SQLiteInspection.integrityProblems(db, thorough: thorough, reportingTo: listener)
        }
    }

    /// The page cache of a connection that checks a whole database, in KiB.
    ///
    /// `PRAGMA integrity_check` looks each row up in every index of its table. With SQLite's
    /// default cache (2 MiB) those lookups read most index pages again from the file: on
    /// 5,000,000 rows with one index the check took 12 s, and 4 s with 16 MiB. The cache
    /// is a bound, so memory stays the same whatever the database's size.
    static let checkingCacheKiB = 16 * 1024

    /// The connections a backup's full check reads the copy with: one per
    /// core, up to four (``SQLiteIntegrityCheck`` has a pass per table and
    /// per index, the largest table's few of them the longest).
    static var checkingConnections: Int {
        min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Rows per table, Ferry's own tables included.
    static func rowCounts(_ db: Database) throws -> [String: Int] {
        let tables = try String.fetchAll(
            db,
            sql: """
                SELECT name FROM pragma_table_list
                WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                """)
        return try SQLiteInspection.rowCounts(db, of: tables)
    }

    func openReadOnly(_ database: String, what verb: String) throws -> DatabaseQueue {
        guard try DatabaseFile(path: database).exists() else {
            throw FerryError(
                .databaseUnavailable, "There is no database at \(database) to \(verb).",
                changes: "Nothing was changed.")
        }
        do {
            return try DatabaseQueue(path: database, configuration: configuration(readonly: true))
        } catch let error as DatabaseError {
            throw FerryError(
                .databaseUnavailable, "Cannot open \(database) to \(verb).",
                changes: "Nothing was changed.",
                engineMessage: error.message ?? "\(error.resultCode)")
        }
    }

    private func corrupt(_ file: URL, _ detail: String) -> FerryError {
        .damagedBackup(file, "SQLite cannot read it whole", detail: detail)
    }

    private func removeDatabaseFiles(_ database: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: database + suffix)
        }
    }
}

/// A checked backup that can replace the live database.
struct SQLiteBackupCopy: BackupCopy {
    let source: String
    /// Whether `source` is a database loaded from a dump for this restore
    /// (Ferry's to move, not a backup file of the catalog), checked as a
    /// restore checks what it restored: it may itself become the live
    /// database when there is none.
    let mayGoIntoPlace: Bool
    let livePath: String
    let busyTimeout: TimeInterval
    let check: BackupCheck

    /// Copies the backup's pages into the live database with SQLite's backup
    /// API: one write transaction on the live file, so that a failure or a
    /// crash part-way is rolled back by SQLite and the application's open
    /// connections see the new content afterwards. No file is deleted or
    /// renamed under them. When there is no live database yet, a database
    /// loaded from a dump is instead linked into place whole (it was checked
    /// where it lies), so that its pages are not written a second time.
    func replaceLiveDatabase() async throws -> LiveReplacement {
        if mayGoIntoPlace, try moveIntoPlaceIfNoLiveDatabase() {
            return .checkedCopyInPlace
        }
        return try await copyIntoLiveDatabase(through: nil, unchangedSince: nil)
    }

    /// Keeps the application's writes out of the live database (a write
    /// transaction of Ferry's, which lets readers read) while `keep` backs
    /// it up and `accept` judges the backup, then replaces its content.
    ///
    /// The backup API cannot write through a connection that holds a
    /// transaction, so the lock is let go just before the copy takes its
    /// own. What the files show of the last commit (``CommitStamp``) is
    /// read under the first lock and again once the copy holds the second:
    /// a write the application committed between them would be in neither
    /// the pre-restore backup nor the restored database, so then nothing is
    /// replaced and the restore stops, saying so. A write that waited for
    /// the lock lands in the restored database after the copy commits.
    func replaceLiveDatabase(
        keepingCurrent keep: @Sendable () async throws -> Void,
        accepting accept: @Sendable (BackupCheck) async throws -> Void
    ) async throws -> LiveReplacement {
        guard FileManager.default.fileExists(atPath: livePath) else {
            try await keep()
            return try await replaceLiveDatabase(accepting: accept)
        }
        var guardSettings = liveConfiguration
        // Its transaction stays open from one access to the next, until the copy.
        guardSettings.allowsUnsafeTransactions = true
        let guardQueue = try DatabaseQueue(path: livePath, configuration: guardSettings)
        defer { try? guardQueue.close() }
        let livePath = self.livePath
        let stamp: (bytes: [UInt8]?, wal: Bool)
        do {
            stamp = try await blocking {
                try guardQueue.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    let wal = try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal"
                    return (CommitStamp.read(db, wal: wal), wal)
                }
            }
        } catch let error as DatabaseError {
            throw FerryError(
                .restoreFailed,
                "The restore could not keep the application's writes out of \(livePath) while it backs it up.",
                changes: "Nothing was changed.",
                advice: error.resultCode == .SQLITE_BUSY
                    ? "The application holds the database: try again, or stop it first."
                    : nil,
                engineMessage: error.message ?? "\(error.resultCode)")
        }
        @Sendable func letGo() async {
            try? await blocking {
                try guardQueue.writeWithoutTransaction { db in
                    if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                }
            }
        }
        do {
            try await keep()
            try await accept(check)
        } catch {
            await letGo()
            throw error
        }
        // The same connection lets go and copies, on the same thread: the gap between is a
        // few instructions, not the opening of a connection.
        return try await copyIntoLiveDatabase(
            through: guardQueue, unchangedSince: stamp.bytes.map { ($0, stamp.wal) })
    }

    private var liveConfiguration: GRDB.Configuration {
        var settings = GRDB.Configuration()
        settings.busyMode = .timeout(busyTimeout)
        return settings
    }

    /// The backup API's copy of `source` over the live database, in one
    /// write transaction. With `stamp`, the copy first takes the live
    /// database's write lock copying nothing (a step of no page), and gives
    /// up, changing nothing, when a commit moved the stamp meanwhile.
    ///
    /// - Parameter held: A connection to the live database whose
    ///   transaction keeps the application's writes out: it ends its
    ///   transaction, then copies. Nil to open one.
    private func copyIntoLiveDatabase(
        through held: DatabaseQueue?, unchangedSince stamp: (bytes: [UInt8], wal: Bool)?
    ) async throws -> LiveReplacement {
        let source = self.source
        let livePath = self.livePath
        var sourceSettings = GRDB.Configuration()
        sourceSettings.busyMode = .timeout(busyTimeout)
        sourceSettings.readonly = true
        let configuration = sourceSettings
        let liveConfiguration = self.liveConfiguration
        let listener = ProgressListener.current
        // Where there was no database, opening the live path makes a file: a copy that fails
        // (its transaction not committed, so the file holds nothing of anyone's) takes it away
        // again, with its journal, so that nothing is left where nothing was.
        let wasThere = Self.somethingIsAt(livePath)
        var copied = false
        defer {
            if !wasThere, !copied {
                for suffix in ["", "-journal", "-wal", "-shm"] { unlink(livePath + suffix) }
            }
        }
        do {
            try await blocking {
                let from = try DatabaseQueue(path: source, configuration: configuration)
                defer { try? from.close() }
                let live =
                    try held ?? DatabaseQueue(path: livePath, configuration: liveConfiguration)
                defer { if held == nil { try? live.close() } }
                // In steps, so that a test can stop the copy half-way (the live file half
                // written, its rollback journal holding the rest); one write transaction all
                // the same, committed by the last step.
                let restoring = listener.reporter("restore", unit: .pages)
                defer { restoring.finish() }
                try from.writeWithoutTransaction { sourceDB in
                    try live.writeWithoutTransaction { liveDB in
                        if liveDB.isInsideTransaction {
                            try liveDB.execute(sql: "ROLLBACK")
                            CrashPoint.reach("restore.guard-released")
                        }
                        try Self.copy(
                            from: sourceDB, to: liveDB, unchangedSince: stamp, livePath: livePath
                        ) { done, total in
                            restoring.update(done: Int64(done), total: Int64(total))
                            if done < total, done * 2 >= total {
                                CrashPoint.reach("restore.copying")
                            }
                        }
                    }
                }
            }
        } catch let error as DatabaseError {
            // GRDB takes the backup API's message from the destination connection: "not an error".
            let engineMessage = SQLiteEngine.backupAPIMessage(error)
            if DiskSpace.isFull(error.extendedResultCode, near: livePath) {
                throw FerryError(
                    .restoreFailed,
                    "SQLite could not copy the backup into \(livePath): \(DiskSpace.sentence(near: livePath)).",
                    advice: DiskSpace.advice(near: livePath), engineMessage: engineMessage)
            }
            throw FerryError(
                .restoreFailed, "SQLite could not copy the backup into \(livePath).",
                advice: error.resultCode == .SQLITE_BUSY
                    ? "The application holds the database: try again, or stop it first." : nil,
                engineMessage: engineMessage)
        }
        copied = true
        return .copied
    }

    /// Copies every page of `sourceDB` over `liveDB` with SQLite's backup
    /// API, 4,096 pages a step, reporting `(done, total)` after each.
    ///
    /// - Throws: `DatabaseError` from SQLite; ``FerryError`` (code
    ///   `writeDuringRestore`, nothing changed) when the stamp moved.
    private static func copy(
        from sourceDB: Database, to liveDB: Database,
        unchangedSince stamp: (bytes: [UInt8], wal: Bool)?,
        livePath: String, progress: (Int, Int) -> Void
    ) throws {
        guard
            let backup = sqlite3_backup_init(
                liveDB.sqliteConnection, "main", sourceDB.sqliteConnection, "main")
        else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_errcode(liveDB.sqliteConnection)),
                message: String(cString: sqlite3_errmsg(liveDB.sqliteConnection)))
        }
        var finished = false
        defer { if !finished { sqlite3_backup_finish(backup) } }
        if let stamp {
            // No page copied: the step takes the live database's write lock, and holds it.
            let code = sqlite3_backup_step(backup, 0)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED {
                // The application took the lock in the instant it was let go, and kept it (or
                // took it again at once) for as long as the busy timeout: as a commit there.
                throw FerryError(
                    .writeDuringRestore,
                    "The application took the write lock of \(livePath) in the instant the restore let it go, and held it until the restore gave up waiting.",
                    changes: "Nothing was changed: the backup was not copied in.",
                    advice:
                        "Run the restore again, or stop the application's writes first.")
            }
            guard code == SQLITE_OK || code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(liveDB.sqliteConnection)))
            }
            guard CommitStamp.read(liveDB, wal: stamp.wal) == stamp.bytes else {
                throw FerryError(
                    .writeDuringRestore,
                    "The application committed a write to \(livePath) after the pre-restore backup was taken and before the restore could keep its writes out again: restored now, that write would be in neither.",
                    changes: "Nothing was changed: the backup was not copied in.",
                    advice:
                        "Run the restore again (a new pre-restore backup will hold that write), or stop the application's writes first."
                )
            }
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(backup, 4096)
            let total = Int(sqlite3_backup_pagecount(backup))
            progress(total - Int(sqlite3_backup_remaining(backup)), total)
        } while code == SQLITE_OK
        finished = true
        let ended = sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE, ended == SQLITE_OK else {
            let failure = code == SQLITE_DONE ? ended : code
            throw DatabaseError(
                resultCode: ResultCode(rawValue: failure),
                message: String(cString: sqlite3_errmsg(liveDB.sqliteConnection)))
        }
    }
}

extension SQLiteBackupCopy {
    /// Whether a database, its journal or its WAL is at the live path.
    static func somethingIsAt(_ livePath: String) -> Bool {
        ["", "-journal", "-wal", "-shm"].contains {
            FileManager.default.fileExists(atPath: livePath + $0)
        }
    }

    /// Links the loaded database to the live path if nothing is there (no
    /// database, no journal, no WAL), syncs the folder, and removes the old
    /// name: the new file appears whole or not at all, and nothing that
    /// appeared meanwhile is replaced (`link` refuses an existing name).
    ///
    /// - Returns: false when something is at the live path or the folders are
    ///   on different file systems; the caller copies instead.
    fileprivate func moveIntoPlaceIfNoLiveDatabase() throws -> Bool {
        guard !Self.somethingIsAt(livePath) else { return false }
        // Loaded without syncs, then synced beside its check (`withBackup`) before this copy was
        // made: durable before it gets the live name.
        guard link(source, livePath) == 0 else { return false }
        unlink(source)
        try FileSafety.sync(URL(fileURLWithPath: livePath).deletingLastPathComponent())
        return true
    }
}
