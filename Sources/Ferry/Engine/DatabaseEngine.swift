import Foundation

/// The code that speaks to one kind of database.
///
/// Ferry's pipeline is engine-neutral: it asks an engine to read the
/// history, to hold the upgrade lock, and to lend a ``MigrationSession`` in
/// which it runs scripts and records them. `FerrySQLite` and
/// `FerryPostgres` implement it.
public protocol DatabaseEngine: BackupEngine {
    /// The engine's name, such as `sqlite`.
    var engineName: String { get }

    /// The database as messages show it, without any password.
    var displayName: String { get }

    /// What the user should know about the location before anything runs,
    /// such as a password file that others may read. None by default.
    var locationWarnings: [String] { get }

    /// Reads the recorded release and history without changing anything and
    /// without creating the database.
    ///
    /// - Throws: ``FerryError`` (code `databaseUnavailable`) when the
    ///   database exists but cannot be read.
    func readState() async throws -> DatabaseState

    /// Whether the database exists, told as cheaply as the engine can (a
    /// SQLite file by its presence, without opening it); by default from
    /// ``readState()``.
    ///
    /// - Throws: ``FerryError`` when the location cannot be looked at.
    func exists() async throws -> Bool

    /// Who holds the upgrade lock now, or nil when nobody does.
    func lockHolder() async throws -> LockHolder?

    /// Rolls back what a process that died in the middle of a write (killed,
    /// or stopped by a full disk) left unfinished, when the database cannot
    /// be read until it is: SQLite's hot journal, which only a read-write
    /// connection rolls back. Takes the upgrade lock for it (waiting up to
    /// `timeout`), unless this task holds it already; costs a look at the
    /// engine's files when nothing was left. The default does nothing
    /// (PostgreSQL's server rolls back a dead session's transaction itself).
    ///
    /// - Returns: What was rolled back, or nil when nothing needed it.
    /// - Throws: ``FerryError``: `lockTimeout`, or `databaseUnavailable`
    ///   when the rollback cannot be done (for example a folder this user may not write).
    func rollBackInterruptedTransaction(holder: LockHolder, timeout: Duration) async throws
        -> InterruptedTransaction?

    /// Whether the engine's files show that a process may have died in the
    /// middle of a write, so that ``rollBackInterruptedTransaction(holder:timeout:)``
    /// may have something to do: a look without opening the database (for
    /// SQLite, a journal or WAL file beside it). False by default.
    var mayHoldInterruptedTransaction: Bool { get }

    /// The engine's version when the database does not exist yet (a
    /// server's version, read from the server), so that a requirement on
    /// the engine's version can be checked before a fresh install; nil when
    /// it cannot be known without the database.
    func engineVersionWithoutDatabase() async -> String?

    /// The recorded release and the ``HistoryFingerprint`` written with it,
    /// read without reading the history rows: what start-up compares with
    /// the migrations it knows.
    ///
    /// Nil when the engine keeps no fingerprint, when the database has none
    /// (written before Ferry kept one) or cannot be read this way, and when
    /// the history's row count or last sequence number is no longer what
    /// they were when the fingerprint was written (the history was edited by
    /// hand): then Ferry reads the history.
    func recordedFingerprint() async -> (release: Release, fingerprint: HistoryFingerprint)?

    /// Runs `body` while holding the upgrade lock, which excludes every other
    /// upgrader, in this process or another, on this machine or (where the
    /// engine allows) another. The lock is released when `body` returns or
    /// throws, and also when the process dies. An engine whose lock lives in
    /// the database (PostgreSQL's advisory lock) creates a missing database
    /// here, and removes it again when `body` throws and it is still empty.
    ///
    /// - Parameters:
    ///   - holder: Who asks, shown to those who wait.
    ///   - timeout: How long to wait for a holder to finish.
    ///   - onWait: Called once, when the lock is held by someone else, with
    ///     the holder if it is known.
    ///   - body: The work to do under the lock.
    /// - Throws: ``FerryError`` (code `lockTimeout`) naming the holder when
    ///   the lock is not free in time; or what `body` throws.
    func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void,
        _ body: () async throws -> Result
    ) async throws -> Result

    /// Opens a connection for an upgrade, lends it to `body` as a session,
    /// and closes it afterwards. Creates the database when it does not exist;
    /// when `body` throws, a database that this call created and that is
    /// still empty is removed again. Checks first what the engine needs to
    /// upgrade (for example the privilege to create tables).
    ///
    /// - Throws: ``FerryError``: `databaseUnavailable` when the database
    ///   cannot be reached or created, `insufficientPrivileges` when the user
    ///   may not do what an upgrade needs; or what `body` throws.
    func withSession<Result: Sendable>(
        _ body: (any MigrationSession) async throws -> Result
    ) async throws -> Result

    /// The database's file on this machine, or nil for a server: preflight
    /// measures its size, its folder's free space and whether it is writable.
    var localFile: URL? { get }

    /// The files on this machine that hold the database's data, whose sizes
    /// preflight adds up as the room an upgrade needs (SQLite: the file and
    /// its write-ahead log). By default ``localFile`` alone.
    var localDataFiles: [URL] { get }

    /// Opens the database read-only, lends it to `body`, and closes it.
    /// Never creates the database.
    ///
    /// - Throws: ``FerryError`` (code `databaseUnavailable`) when it does
    ///   not exist or cannot be read; or what `body` throws.
    func withInspection<Result: Sendable>(
        _ body: (any DatabaseInspection) async throws -> Result
    ) async throws -> Result

    /// Copies the database consistently while its application keeps working
    /// (SQLite: the backup API; PostgreSQL: `pg_dump` into a scratch
    /// database), lends an engine on the copy to `body`, then deletes the
    /// copy, also when `body` throws.
    func withRehearsalCopy<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result

    /// Lends an engine on a new, empty database of the same kind, deleted
    /// afterwards (in a fleet run, an engine may keep it emptied for the
    /// next database instead: ``ScratchReuse``).
    func withScratchDatabase<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result

    /// ``withScratchDatabase(_:)`` for a named purpose (`drift`), which the
    /// engine may show in the scratch database's name so that those who
    /// look at the server can tell what it is for.
    func withScratchDatabase<Result: Sendable>(
        purpose: String, _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result

    /// What makes two of the engine's scratch databases alike, so that a
    /// schema that the same migrations build on one is the schema they
    /// build on the other, and a fleet run builds it once (``ScratchReuse``):
    /// the engine's kind, and on a server the database and schema whose
    /// settings and name a scratch database takes. Nil: never shared.
    var scratchKinship: String? { get }

    /// The engine's own preflight checks of the server, each ok, a warning
    /// or a blocker with the figures it judged (PostgreSQL: a hot standby,
    /// the role's `CREATEDB`, the client programs for backups, the free space
    /// of the server's disk). Never throws: what cannot be judged is a warning.
    func serverChecks(for needs: ServerNeeds) async -> [PreflightCheck]

    /// Why the database refuses every change, naming where changes go (a
    /// PostgreSQL hot standby and its primary), or nil when it accepts them:
    /// what `status` shows.
    func readOnlyReason() async -> String?

    /// Records in the lock's holder description what this task, which holds
    /// the upgrade lock, is doing now, so that `status` can answer from the
    /// lock while the database is busy. Does nothing when this task does not
    /// hold the lock, or where the engine keeps no holder description.
    func noteLockStep(_ step: String)

    /// Lends, read-only, the registry that another migration tool keeps
    /// apart from the application's tables (Sqitch's `sqitch`), with what
    /// names its tables in SQL before their names (`sqitch.`, or nothing);
    /// nil when the database has no such registry. SQLite: the file
    /// `<name>` with the database file's extension, beside it (as Sqitch
    /// places it); PostgreSQL: the schema `<name>`. The default has none.
    func withToolRegistry<Result: Sendable>(
        named name: String, _ body: (any MigrationDatabase, String) async throws -> Result
    ) async throws -> Result?
}

extension DatabaseEngine {
    public var locationWarnings: [String] { [] }

    /// Whether ``readState()`` finds the database.
    public func exists() async throws -> Bool { try await readState().exists }

    /// Nil: the engine's scratch databases are never taken as alike.
    public var scratchKinship: String? { nil }

    public var localDataFiles: [URL] { localFile.map { [$0] } ?? [] }

    /// Nothing: the engine keeps no holder description of its own.
    public func noteLockStep(_ step: String) {}

    /// Nil: the engine knows of no registry kept apart.
    public func withToolRegistry<Result: Sendable>(
        named name: String, _ body: (any MigrationDatabase, String) async throws -> Result
    ) async throws -> Result? {
        nil
    }

    public func rollBackInterruptedTransaction(
        holder: LockHolder, timeout: Duration
    ) async throws -> InterruptedTransaction? {
        nil
    }

    /// False: the engine leaves nothing to roll back.
    public var mayHoldInterruptedTransaction: Bool { false }
}

/// One connection to a database during an upgrade.
///
/// Lent by ``DatabaseEngine/withSession(_:)``; do not keep it after the
/// closure returns.
public protocol MigrationSession: DatabaseInspection {
    /// Reads the recorded release and history on this connection. For a
    /// database that this session created, `exists` is false.
    func readState() async throws -> DatabaseState

    /// Runs `body` in one transaction, as the engine needs for schema changes
    /// (on SQLite: foreign keys off outside it, so that a migration may
    /// rebuild a table), and commits when it returns. When `body` throws, or
    /// when the check of constraints before commit (SQLite's
    /// `foreign_key_check`, PostgreSQL's `SET CONSTRAINTS ALL IMMEDIATE`)
    /// finds a violation, everything is rolled back.
    ///
    /// - Parameters:
    ///   - purpose: What the transaction does, which the engine's errors name.
    ///   - body: The transaction's work.
    /// - Throws: ``FerryError`` (code `constraintViolation`) naming the
    ///   table and row; or what `body` throws.
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, _ body: () async throws -> Result
    ) async throws -> Result

    /// Runs a script's statements in order.
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) with the file, the
    ///   line where the failing statement starts, the statement, and the
    ///   engine's message.
    func run(_ script: SQLScript) async throws

    /// Writes a history row, creating Ferry's tables on first use.
    func record(_ migration: AppliedMigration) async throws

    /// Runs SQL migrations in order and records each one's history row in
    /// the session's open transaction, as ``run(_:)`` then ``record(_:)``
    /// would: each row after its script, or (an engine's choice) every row
    /// after the last script. Either way the rows commit with the scripts
    /// or not at all.
    ///
    /// The upgrade applies a run of SQL migrations with one call, so that an
    /// engine can do it in one access to its connection.
    ///
    /// - Parameters:
    ///   - steps: The scripts and their history rows.
    ///   - onStart: Called with a step's position before its script runs.
    ///   - onFinish: Called with a step's position and its row (with
    ///     ``AppliedMigration/appliedAt`` and ``AppliedMigration/duration``
    ///     set) after its script ran.
    /// - Throws: What ``run(_:)`` throws for the step that failed (the last
    ///   one started), or what ``record(_:)`` throws.
    func runAndRecord(
        _ steps: [ScriptStep], onStart: @escaping @Sendable (Int) -> Void,
        onFinish: @escaping @Sendable (Int, AppliedMigration) -> Void
    ) async throws

    /// Records an event in `ferry_events` (creating the table when it is
    /// missing), inside the session's open transaction.
    func recordEvent(_ event: HistoryEvent) async throws

    /// Replaces a history row's checksum and note, and records what was
    /// accepted of it (for changes accepted with `--allow-changed`).
    func updateHistory(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance
    ) async throws

    /// Removes a history row (when a down script reverted its migration).
    func deleteHistory(id: String) async throws

    /// Records the database's release, creating Ferry's tables on first use.
    func stamp(release: Release, at date: Date) async throws

    /// Keeps other sessions from writing to these tables until the current
    /// transaction ends (PostgreSQL: `LOCK TABLE … IN SHARE MODE`; they may
    /// still read), so that rows counted now are the rows the upgrade starts
    /// from: what `preserve` invariants compare. Tables that do not exist are
    /// left out. Called inside ``inTransaction(for:_:)``.
    func lockAgainstWrites(_ tables: [String]) async throws
}

extension MigrationSession {
    /// ``inTransaction(for:_:)`` for an upgrade.
    public func inTransaction<Result: Sendable>(_ body: () async throws -> Result)
        async throws -> Result
    {
        try await inTransaction(for: .upgrade, body)
    }

    /// Nothing to do where the upgrade's transaction already excludes every
    /// other writer (SQLite's `BEGIN IMMEDIATE`).
    public func lockAgainstWrites(_ tables: [String]) async throws {}
}
