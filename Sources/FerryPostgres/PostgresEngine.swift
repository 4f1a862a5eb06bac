import Ferry
import Foundation
import PostgresNIO

/// The PostgreSQL engine: a database on a PostgreSQL server, through
/// PostgresNIO.
///
/// ```swift
/// let engine = try PostgresEngine(url: "postgres://sensorhub@db.example.com/sensorhub")
/// try await Ferry(.init(appName: "sensorhub", engine: engine, migrationsDirectory: migrations)).upgrade()
/// ```
///
/// The whole upgrade runs in one transaction (PostgreSQL's DDL is
/// transactional). The upgrade lock is an advisory lock held on a session of
/// its own, which the server frees when that session ends, however it ends.
/// A database that does not exist yet is created when the upgrade lock is
/// first taken (the role needs `CREATEDB`), and dropped again if that first
/// upgrade fails and leaves it empty.
public struct PostgresEngine: DatabaseEngine {
    /// The server, the role and the database.
    public let location: PostgresLocation

    /// The folder of `pg_dump`, `pg_restore` and `psql` to use for backups
    /// (`[database] pg_bin`, `FERRY_PG_BIN`); when nil, Ferry looks for
    /// those of the server's major version (see ``PostgresTools``).
    public var toolsFolder: URL?

    /// How long a restore waits for the application's open transactions to
    /// release its tables before it gives up with nothing changed; and a
    /// backup (`pg_dump`) for a table that another session holds locked.
    public var restoreLockTimeout: Duration = .seconds(60)

    /// The application's own PostgresNIO client, when it lent one (see
    /// ``init(location:client:toolsFolder:)``).
    public private(set) var applicationClient: PostgresClient?

    /// Creates the engine for a database.
    public init(location: PostgresLocation, toolsFolder: URL? = nil) {
        self.location = location
        self.toolsFolder = toolsFolder
    }

    /// Creates the engine for a database that the application already
    /// reaches through a PostgresNIO client (the pool it runs).
    ///
    /// ```swift
    /// let ferry = Ferry(.init(appName: "sensorhub",
    ///                         engine: PostgresEngine(location: location, client: client),
    ///                         migrationsDirectory: migrations))
    /// try await ferry.upgrade()  // nothing pending: two queries on the pool's connections
    /// ```
    ///
    /// Start-up's check that nothing is pending (``Ferry/upgrade(_:)``,
    /// ``Ferry/upToDateRelease()``) asks who holds the upgrade lock and reads
    /// the history's fingerprint on the client's connections, instead of
    /// opening two of its own. The client must be running (`client.run()`)
    /// and reach the server of `location` as its role; the fingerprint's
    /// query also checks that the connection is on `location`'s database (and
    /// in its schema, when it names one), and Ferry reads on its own
    /// connection when it is not, or when the client fails. Everything else
    /// (an upgrade, its lock, a backup, a restore) opens Ferry's own
    /// connections to `location`, as without a client.
    public init(location: PostgresLocation, client: PostgresClient, toolsFolder: URL? = nil) {
        self.init(location: location, toolsFolder: toolsFolder)
        self.applicationClient = client
    }

    /// Creates the engine for a `postgres://` URL (see ``PostgresLocation``).
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a URL that
    ///   does not parse.
    public init(
        url: String, toolsFolder: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.init(
            location: try PostgresLocation(url: url, environment: environment),
            toolsFolder: toolsFolder)
    }

    /// The PostgreSQL kind of database: a `postgres://` or `postgresql://`
    /// URL, parsed once into a ``PostgresLocation``; `[database] pg_bin`
    /// (``toolsFolderSetting``) names the folder of its tools. A URL with
    /// `?schemas=PATTERN` names a fleet of schemas (``PostgresSchemaFleet``).
    public static let kind = DatabaseEngineKind(
        name: "postgresql", schemes: ["postgres", "postgresql"],
        locationForms: ["postgres://user@host/db"],
        settings: [toolsFolderSetting]
    ) { location, settings in
        let toolsFolder = settings.engineOptions[toolsFolderSetting.key].map {
            URL(fileURLWithPath: $0)
        }
        return try PostgresEngine(url: location, toolsFolder: toolsFolder)
    } listMembers: { location, _ in
        try await PostgresSchemaFleet.members(of: location)
    }

    /// `[database] pg_bin`, `FERRY_PG_BIN`: the folder of `pg_dump`,
    /// `pg_restore` and `psql` (``toolsFolder``).
    public static let toolsFolderSetting = EngineSetting(
        table: "database", key: "pg_bin", environmentVariable: "FERRY_PG_BIN", isPath: true)

    public var engineName: String { "postgresql" }

    public var locationWarnings: [String] { location.warnings }

    public var displayName: String { location.description }

    /// The maintenance database Ferry connects to for creating or dropping
    /// the application's database.
    public static let maintenanceDatabase = "postgres"

    func connector(_ purpose: String) -> PostgresConnector {
        PostgresConnector(location: location, applicationName: applicationName(purpose))
    }

    /// What `pg_stat_activity` shows for Ferry's sessions (and those of the
    /// programs it runs): `ferry backup, pid 123 on host`.
    func applicationName(_ purpose: String) -> String {
        let me = ProcessInfo.processInfo
        return "ferry \(purpose), pid \(me.processIdentifier) on \(me.hostName)"
    }

    /// Reads the history; a database that the caller's upgrade lock created
    /// a moment ago, and that is still without history, does not exist yet
    /// (as for the upgrade's session), so that a restore into it keeps no
    /// pre-restore backup of nothing.
    public func readState() async throws -> DatabaseState {
        do {
            var state = try await connector("status").withConnection { connection in
                guard try await schemaExists(on: connection) else { return DatabaseState.missing }
                return try await PostgresHistory.readState(on: connection)
            }
            if Self.createdByThisUpgrade && state.applied.isEmpty && state.recordedRelease == nil {
                state.exists = false
            }
            return state
        } catch PostgresConnector.Failure.databaseMissing {
            return .missing
        } catch let failure as PostgresConnector.Failure {
            throw failure.error
        } catch let error as FerryError {
            throw error
        } catch {
            throw FerryError(
                .databaseUnavailable, "Cannot read the history of \(displayName).",
                changes: "Nothing was changed.",
                engineMessage: PostgresServerMessage(error)?.text ?? "\(error)",
                engineCode: PostgresServerMessage(error)?.sqlState)
        }
    }

    /// The release and history fingerprint of `ferry_state`, read with one
    /// query, as on SQLite: start-up compares it with the migrations it
    /// knows instead of reading every history row. Anything unusual (no
    /// database, no fingerprint, a server that cannot be reached) gives nil,
    /// and Ferry reads the history the usual way, which says what is wrong.
    public func recordedFingerprint() async -> (release: Release, fingerprint: HistoryFingerprint)?
    {
        let location = location
        if let applicationClient,
            let placed = try? await applicationClient.withConnection({ connection in
                try await PostgresHistory.recordedFingerprint(on: connection, at: location)
            }), placed.isAtLocation
        {
            return placed.recorded
        }
        let recorded = try? await connector("status").withConnection { connection in
            try await PostgresHistory.recordedFingerprint(on: connection)
        }
        return recorded ?? nil
    }

    public func lockHolder() async throws -> LockHolder? {
        let key = lockKey
        let database = location.database
        if let applicationClient {
            do {
                return try await applicationClient.withConnection { connection in
                    try await PostgresUpgradeLock.holder(key, in: database, on: connection)
                }
            } catch {
                // Ferry's own connection asks again, and says what is wrong.
            }
        }
        do {
            return try await connector("status").withConnection { connection in
                try await PostgresUpgradeLock.holder(key, in: database, on: connection)
            }
        } catch PostgresConnector.Failure.databaseMissing {
            return nil
        } catch let failure as PostgresConnector.Failure {
            throw failure.error
        }
    }

    /// The server's version, read on its maintenance database: what a
    /// requirement such as `engine = "postgresql >= 12"` is checked against
    /// before the first upgrade creates the database. Nil when the server
    /// cannot be reached.
    public func engineVersionWithoutDatabase() async -> String? {
        for database in [Self.maintenanceDatabase, "template1"] {
            let version = try? await connector("check").withConnection(to: database) { connection in
                try await PostgresInspection.engineVersion(on: connection)
            }
            if let version { return version }
        }
        return nil
    }

    public func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void,
        _ body: () async throws -> Result
    ) async throws -> Result {
        // A standby refuses every change: said first, before any backup or created database.
        if let refusal = await refusalOnStandby() { throw refusal }
        var created = try await createDatabaseIfMissing()
        do {
            created = try await createSchemaIfMissing() || created
            return try await connector("upgrade lock").withExistingDatabase { connection in
                try await waitForLock(on: connection, timeout: timeout, onWait: onWait)
                // The upgrade's transactions run on this session (see withSession): each one proves, by
                // committing, that the lock was still held; if the session is lost, so is their work.
                // The session is watched while the upgrade waits between statements (a backup, a check),
                // so that losing it is noticed, and so that idle_session_timeout does not end it.
                let watch = PostgresSessionWatch(connection)
                let held = HeldLock(location: location.description, watch: watch)
                let unlock = {
                    if watch.lost == nil && !connection.isClosed {
                        _ = try? await watch.bounded {
                            try await PostgresUpgradeLock.unlock(lockKey, on: connection)
                        }
                    }
                }
                do {
                    let result = try await watch.watching {
                        try await Self.$createdByThisUpgrade.withValue(created) {
                            try await Self.$heldLock.withValue(held) { try await body() }
                        }
                    }
                    await unlock()
                    return result
                } catch {
                    await unlock()
                    throw error
                }
            }
        } catch {
            if created { await dropIfEmpty() }
            throw error
        }
    }

    /// The key of this database's upgrade lock, or of its schema's when the
    /// location names one.
    var lockKey: Int64 { PostgresUpgradeLock.lockKey(schema: location.schema) }

    /// The upgrade lock held by this task: its database and its session.
    struct HeldLock: Sendable {
        /// ``PostgresLocation/description`` of the database it locks.
        let location: String
        /// The watch of the lock's session.
        let watch: PostgresSessionWatch
        var connection: PostgresConnection { watch.connection }
    }

    /// The upgrade lock this task holds, if any.
    @TaskLocal static var heldLock: HeldLock?

    private func waitForLock(
        on connection: PostgresConnection, timeout: Duration,
        onWait: @Sendable (LockHolder?) -> Void
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var hasAnnounced = false
        while try await !PostgresUpgradeLock.tryLock(lockKey, on: connection) {
            let holder = try? await PostgresUpgradeLock.holder(
                lockKey, in: location.database, on: connection)
            if !hasAnnounced {
                onWait(holder)
                hasAnnounced = true
            }
            guard clock.now < deadline else {
                let who = holder.map { "\($0)" } ?? "a session that has just ended"
                throw FerryError(
                    .lockTimeout,
                    "Another upgrade holds the lock of \(displayName): \(who). Waited \(timeout.text).",
                    changes: "Nothing was changed.",
                    advice:
                        "Let it finish and run again, or wait longer with \(.lockTimeout, .placeholder). The lock is "
                        + "PostgreSQL's advisory lock \(lockKey) on the holder's session: the "
                        + "server frees it when that session ends, also when its process dies.")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Whether the upgrade holding the lock in this task created the database.
    @TaskLocal static var createdByThisUpgrade = false

    /// Lends a session for an upgrade. Under this task's upgrade lock it is
    /// the lock's own session, so that every transaction that commits work
    /// runs on the session that holds the lock (and takes it again inside
    /// the transaction, see ``PostgresSession``): a lost lock session is a
    /// lost transaction, never a commit without the lock.
    public func withSession<Result: Sendable>(
        _ body: (any MigrationSession) async throws -> Result
    ) async throws -> Result {
        if let held = Self.heldLock, held.location == location.description {
            try await held.watch.during {
                try await PostgresPreflight.check(
                    on: held.connection, displayName: displayName, user: location.user)
                try await Self.checkClientConnection(on: held.connection)
            }
            return try await body(
                PostgresSession(
                    connection: held.connection, displayName: displayName,
                    isNew: Self.createdByThisUpgrade,
                    watch: held.watch, lockKey: lockKey))
        }
        var createdHere = try await createDatabaseIfMissing()
        do {
            createdHere = try await createSchemaIfMissing() || createdHere
            let isNew = createdHere || Self.createdByThisUpgrade
            return try await connector("upgrade").withExistingDatabase { connection in
                try await PostgresPreflight.check(
                    on: connection, displayName: displayName, user: location.user)
                try await Self.checkClientConnection(on: connection)
                return try await body(
                    PostgresSession(
                        connection: connection, displayName: displayName, isNew: isNew,
                        lockKey: lockKey))
            }
        } catch {
            if createdHere { await dropIfEmpty() }
            throw error
        }
    }

    /// Since PostgreSQL 14 the server checks the client during long
    /// statements, so that a killed upgrader's transaction ends (and rolls
    /// back) at once rather than at its end.
    private static func checkClientConnection(on connection: PostgresConnection) async throws {
        try? await PostgresScriptRunner.runToTheEnd(
            sql: "SET client_connection_check_interval = 1000", on: connection)
    }

    /// Lends a session whose transactions are read-only, for checks that
    /// must change nothing (`ferry check`, `ferry verify`).
    public func withInspection<Result: Sendable>(
        _ body: (any DatabaseInspection) async throws -> Result
    ) async throws -> Result {
        try await connector("inspection").withExistingDatabase { connection in
            try await PostgresScriptRunner.runToTheEnd(
                sql: "SET default_transaction_read_only = on", on: connection)
            return try await body(PostgresSession(connection: connection, displayName: displayName))
        }
    }

    /// Lends an engine on a new, empty database on the same server
    /// (`ferry_scratch_<uuid>`, which the role must be allowed to create),
    /// dropped afterwards, also when `body` throws (in a fleet run of
    /// schemas, kept emptied for the next schema: ``withScratchPostgres(purpose:_:)``).
    public func withScratchDatabase<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withScratchPostgres { try await body($0) }
    }

    /// A scratch database takes the live database's settings and schema
    /// name, which its catalog's text of a definition may show: only those of
    /// one database and schema are alike.
    public var scratchKinship: String? {
        "postgres \(location.server) \(location.user) \(location.database) \(location.schema ?? "")"
    }

    /// ``withScratchDatabase(_:)`` named `ferry_<purpose>_lock_<uuid>`.
    public func withScratchDatabase<Result: Sendable>(
        purpose: String, _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withScratchPostgres(purpose: purpose) { try await body($0) }
    }

    /// ``withScratchDatabase(_:)`` with the engine's own type, named
    /// `ferry_<purpose>_lock_<uuid>` so that the server's sessions say what it is for.
    ///
    /// A scratch database is a whole copy of the application's data, so one
    /// left behind by a killed run holds its disk and its rows. Its maker
    /// holds an advisory lock named after it (``ScratchDatabases``) on a
    /// session of its own, from before it is created until after it is
    /// dropped: the server frees that lock when the maker dies, so the next
    /// run proves a scratch database dead by taking its lock, and drops it.
    ///
    /// Inside a fleet run of schemas (``ScratchReuse/current``) the scratch
    /// database is kept for the next schema of the same live database
    /// (``PostgresScratchPool``) instead of dropped.
    func withScratchPostgres<Result: Sendable>(
        purpose: String = "scratch", _ body: (PostgresEngine) async throws -> Result
    ) async throws -> Result {
        // Kept only for the schemas of one database, which take turns with it; a fleet of databases
        // would keep one for each, with its maker's session, until the run ends.
        guard let reuse = ScratchReuse.current, location.schema != nil else {
            let scratch = try await makeScratch(purpose: purpose)
            do {
                let result = try await scratch.watch.watching {
                    try await body(engine(on: scratch))
                }
                await scratch.drop()
                return result
            } catch {
                await scratch.drop()
                throw error
            }
        }
        let pool = reuse.pool(PostgresScratchPool.key(for: location, purpose: purpose)) {
            PostgresScratchPool()
        }
        let scratch: PostgresScratch
        if let kept = await pool.take(), await kept.isAlive() {
            scratch = kept
        } else {
            scratch = try await makeScratch(purpose: purpose)
        }
        let result: Result
        do {
            result = try await scratch.watch.watching { try await body(engine(on: scratch)) }
        } catch {
            await scratch.drop()
            throw error
        }
        if await scratch.empty(connector: connector("scratch")) {
            await pool.keep(scratch)
        } else {
            await scratch.drop()
        }
        return result
    }

    /// An engine on a scratch database: the live one's server, schema and tools.
    private func engine(on scratch: PostgresScratch) -> PostgresEngine {
        PostgresEngine(location: location.with(database: scratch.name), toolsFolder: toolsFolder)
    }

    /// Creates a scratch database, marked by its maker's lock and given the
    /// live database's settings.
    private func makeScratch(purpose: String) async throws -> PostgresScratch {
        let name = ScratchDatabases.newName(purpose: purpose)
        let maker = try await connector("scratch").open(to: Self.maintenanceDatabase)
        do {
            await ScratchDatabases.removeLeftovers(on: maker)
            try await ScratchDatabases.mark(name, on: maker)
            try await PostgresScriptRunner.runToTheEnd(
                sql: "CREATE DATABASE \(SQLIdentifier.quoted(name))", on: maker)
            await copySettings(to: name, on: maker)
            CrashPoint.reach("scratch.created")
        } catch {
            try? await maker.close()
            let said = PostgresServerMessage(error)
            let cause = said.flatMap { PostgresFailureCause(sqlState: $0.sqlState) }
            var message = "Cannot create a scratch database on \(location.server)"
            var advice = "Read the server's message below, fix the cause and run again."
            if let cause {
                message += ": " + cause.summary
                advice = cause.advice
                if cause == .readOnly {
                    message +=
                        ". A \(purpose == "rehearsal" ? "rehearsal" : "full backup check") loads a copy into "
                        + "a scratch database, which a hot standby cannot create"
                    advice =
                        purpose == "rehearsal"
                        ? "Rehearse on the primary."
                        : "Use \(.backupCheck, .given("quick", swift: ".quick")) here, or back up the primary."
                }
            } else if said?.lacksPrivilege == true {
                advice =
                    "Run as a role with CREATEDB (scratch databases are created and dropped again)."
            }
            throw FerryError(
                cause?.code
                    ?? (said?.lacksPrivilege == true
                        ? .insufficientPrivileges : .databaseUnavailable),
                message + ".", changes: "Nothing was changed.", advice: advice,
                engineMessage: said?.text ?? (error as? PostgresConnector.Failure)?.error
                    .engineMessage
                    ?? (error as? PSQLError)?.clientSideDescription ?? "\(error)",
                engineCode: said?.sqlState)
        }
        // Watched, so that the maker's session (and with it the scratch database's mark) is kept alive.
        return PostgresScratch(name: name, maker: maker, watch: PostgresSessionWatch(maker))
    }

    /// Gives a scratch database the live database's own settings
    /// (`ALTER DATABASE … SET`, and the role's `ALTER ROLE … IN DATABASE …
    /// SET`), so that a check or a rehearsal there runs as the application
    /// does: above all with the same `search_path`, which decides the schema
    /// of the tables that are counted and of Ferry's history. A setting the
    /// role may not give is left out.
    ///
    /// So are the limits that a database sets on its application's sessions
    /// (``sessionLimits``): the scratch database is Ferry's own, and a
    /// backup's load there or a rehearsal's migration must not be ended by
    /// them. The copy is one statement, so that the maker's session (whose
    /// end would free the scratch database's mark) is never idle inside a
    /// transaction that has taken on one of the live database's settings.
    private func copySettings(to scratch: String, on connection: PostgresConnection) async {
        let excluded = Self.sessionLimits.map(SQLLiteral.quoted).joined(separator: ", ")
        _ = try? await PostgresScriptRunner.runToTheEnd(
            sql: """
                DO $ferry$
                DECLARE
                    setting record;
                BEGIN
                    FOR setting IN
                        SELECT s.setrole <> 0 AS for_role, split_part(c, '=', 1) AS name,
                               substr(c, strpos(c, '=') + 1) AS value
                          FROM pg_db_role_setting AS s, unnest(s.setconfig) AS c
                         WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = \(SQLLiteral.quoted(location.database)))
                           AND (s.setrole = 0 OR s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user))
                           AND lower(split_part(c, '=', 1)) NOT IN (\(excluded))
                         ORDER BY s.setrole
                    LOOP
                        BEGIN
                            -- The value as the server stored it, given back through set_config so that no
                            -- quoting is guessed; a subtransaction, so that a refused setting is left out.
                            PERFORM set_config(setting.name, setting.value, true);
                            EXECUTE format('ALTER %s %s SET %s FROM CURRENT',
                                CASE WHEN setting.for_role THEN 'ROLE CURRENT_USER IN DATABASE' ELSE 'DATABASE' END,
                                \(SQLLiteral.quoted(SQLIdentifier.quoted(scratch))),
                                (SELECT string_agg(quote_ident(part), '.') FROM unnest(string_to_array(setting.name, '.')) AS part));
                        EXCEPTION WHEN OTHERS THEN
                            NULL;
                        END;
                    END LOOP;
                END
                $ferry$
                """, on: connection)
    }

    /// The settings that limit an application's sessions, which a scratch
    /// database does not take from the live one: a timeout would end a
    /// backup's load or a migration that runs longer than the application's
    /// queries, and a read-only default would refuse every write.
    static let sessionLimits = [
        "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "transaction_timeout", "default_transaction_read_only",
    ]

    // MARK: Creating the database

    /// Creates the database when it does not exist; returns whether it did.
    ///
    /// - Throws: ``FerryError`` when the database is missing and cannot be created.
    private func createDatabaseIfMissing() async throws -> Bool {
        do {
            try await connector("upgrade").withConnection { _ in }
            return false
        } catch PostgresConnector.Failure.databaseMissing(let missing) {
            return try await createDatabase(missing)
        } catch let failure as PostgresConnector.Failure {
            throw failure.error
        }
    }

    private func createDatabase(_ missing: FerryError) async throws -> Bool {
        do {
            try await connector("create database").withConnection(to: Self.maintenanceDatabase) {
                connection in
                try await PostgresScriptRunner.runToTheEnd(
                    sql: "CREATE DATABASE \(SQLIdentifier.quoted(location.database))",
                    on: connection)
            }
            return true
        } catch let failure {
            // Another upgrader created it first.
            let said = PostgresServerMessage(failure)
            if let said, said.sqlState == "42P04" || said.sqlState == "23505" { return false }
            var error = missing
            let reason = said?.text ?? (failure as? PostgresConnector.Failure)?.error.engineMessage
            error.markedMessage += " Ferry could not create it."
            error.advice =
                "Create it as a role that may (createdb -h \(location.host) -p \(location.port) "
                + "-O \(location.user) \(location.database)), or give the role CREATEDB, then run again."
            if let cause = said.flatMap({ PostgresFailureCause(sqlState: $0.sqlState) }) {
                error.code = cause.code
                error.markedMessage +=
                    " " + cause.summary.prefix(1).uppercased() + cause.summary.dropFirst() + "."
                error.advice = cause.advice
            }
            error.engineMessage = reason
            error.engineCode = said?.sqlState
            throw error
        }
    }

    /// Whether the location's schema exists (always true when it names
    /// none), read from the catalog: `current_schema()` is also empty when
    /// the role may not use a schema that exists.
    func schemaExists(on connection: PostgresConnection) async throws -> Bool {
        guard let schema = location.schema else { return true }
        let rows = try await connection.queryUnlessClosed(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(schema))",
            logger: PostgresConnector.logger)
        var exists = false
        for try await value in rows.decode(Bool.self) { exists = value }
        return exists
    }

    /// Creates the location's schema when it names one that does not exist;
    /// returns whether it did.
    ///
    /// - Throws: ``FerryError`` when it cannot be created.
    private func createSchemaIfMissing() async throws -> Bool {
        guard let schema = location.schema else { return false }
        return try await connector("create schema").withExistingDatabase { connection in
            guard try await !schemaExists(on: connection) else { return false }
            do {
                try await PostgresScriptRunner.runToTheEnd(
                    sql: "CREATE SCHEMA IF NOT EXISTS \(SQLIdentifier.quoted(schema))",
                    on: connection)
                return true
            } catch {
                let said = PostgresServerMessage(error)
                throw FerryError(
                    said?.lacksPrivilege == true ? .insufficientPrivileges : .databaseUnavailable,
                    "The schema \(schema) does not exist in \(location.database) on \(location.server), and "
                        + "Ferry could not create it.",
                    changes: "Nothing was changed.",
                    advice:
                        "Create it (CREATE SCHEMA \(SQLIdentifier.quoted(schema))) as a role that may, or "
                        + "grant CREATE on the database to \(location.user), then run again.",
                    engineMessage: said?.text ?? "\(error)", engineCode: said?.sqlState)
            }
        }
    }

    /// Drops the database (or the schema) this engine created, when the
    /// upgrade that created it failed and it still holds no table.
    private func dropIfEmpty() async {
        if let schema = location.schema {
            // RESTRICT: the server refuses to drop a schema that holds anything.
            _ = try? await connector("cleanup").withConnection { connection in
                try await PostgresScriptRunner.runToTheEnd(
                    sql: "DROP SCHEMA IF EXISTS \(SQLIdentifier.quoted(schema)) RESTRICT",
                    on: connection)
            }
            return
        }
        let isEmpty = try? await connector("cleanup").withConnection { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT count(*) FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                """, logger: PostgresConnector.logger)
            var isEmpty = false
            for try await count in rows.decode(Int.self) { isEmpty = count == 0 }
            return isEmpty
        }
        guard isEmpty == true else { return }
        _ = try? await connector("cleanup").withConnection(to: Self.maintenanceDatabase) {
            connection in
            try await OwnDatabaseDrop.drop(location.database, on: connection)
        }
    }
}
