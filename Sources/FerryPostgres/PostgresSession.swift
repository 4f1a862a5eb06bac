import Ferry
import Foundation
import PostgresNIO

/// The upgrade's connection to a PostgreSQL database.
///
/// PostgreSQL's DDL is transactional, so a whole upgrade (tables created,
/// altered, filled, and Ferry's history) commits or rolls back as one.
/// Before each commit, `SET CONSTRAINTS ALL IMMEDIATE` checks the deferred
/// constraints, so that a violation is reported with its table and
/// constraint and rolls everything back.
struct PostgresSession: MigrationSession {
    let connection: PostgresConnection
    let displayName: String
    /// Whether this upgrade created the database (which then counts as
    /// not existing before it, as long as it holds no history).
    let isNew: Bool
    /// The watch of the session when it is the upgrade lock's (which is then
    /// never pinged while this session works on it); nil for another session.
    let watch: PostgresSessionWatch?
    /// The key of the upgrade lock its transactions take
    /// (``PostgresUpgradeLock/lockKey(schema:)``).
    let lockKey: Int64
    /// Whether this is the session that holds the upgrade lock.
    var holdsLock: Bool { watch != nil }
    /// Whether a transaction is open on the connection, shared by the copies of the session value.
    private let transaction = Locked(false)
    /// Whether Ferry's tables are known to be there with this release's
    /// columns: prepared once per session rather than before every history
    /// write (a few round trips each), and again after a rollback, which may
    /// have undone the preparation.
    private let historyTablesReady = Locked(false)

    init(
        connection: PostgresConnection, displayName: String, isNew: Bool = false,
        watch: PostgresSessionWatch? = nil, lockKey: Int64 = PostgresUpgradeLock.key
    ) {
        self.lockKey = lockKey
        self.connection = connection
        self.displayName = displayName
        self.isNew = isNew
        self.watch = watch
    }

    /// Runs some work on the connection, marked as Ferry's own for the watch.
    func working<T>(_ work: () async throws -> T) async rethrows -> T {
        guard let watch else { return try await work() }
        return try await watch.during(work)
    }

    /// The error of a session that was lost, when `error` says it was, else nil.
    func loss(_ error: any Error, while what: String) -> FerryError? {
        var gone = watch?.lost ?? PostgresSessionLoss(error)
        if gone == nil, let failure = error as? FerryError, let code = failure.engineCode,
            PostgresSessionLoss.isSessionEnding(code)
        {
            gone = PostgresSessionLoss(
                reason: "the server ended it (\(failure.engineMessage ?? code))")
        }
        if gone == nil, connection.isClosed {
            gone = PostgresSessionLoss(reason: "its connection closed")
        }
        guard let gone else { return nil }
        return gone.error(
            "Ferry's session with \(displayName) was lost while it tried to \(what)",
            holdsLock: holdsLock)
    }

    var engineName: String { "postgresql" }

    func readState() async throws -> DatabaseState {
        var state = try await access("read the history") {
            try await PostgresHistory.readState(on: connection)
        }
        if isNew && state.applied.isEmpty && state.recordedRelease == nil { state.exists = false }
        return state
    }

    /// Runs `body` in one transaction that also holds the upgrade lock.
    ///
    /// The transaction takes the upgrade lock's key as a transaction lock
    /// first (`pg_try_advisory_xact_lock`), which must succeed: on the lock's
    /// own session it does, and it stays held until the commit, so the
    /// commit is proof that no other upgrader held the lock meanwhile. If the
    /// lock's session is lost, the transaction is lost with it and the
    /// server rolls it back: nothing commits without the lock.
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, _ body: () async throws -> Result
    ) async throws -> Result {
        try await working { try await inTransactionWorking(for: purpose, body) }
    }

    private func inTransactionWorking<Result: Sendable>(
        for purpose: TransactionPurpose, _ body: () async throws -> Result
    ) async throws -> Result {
        try await access("begin the transaction of \(purpose.noun)") {
            try await execute(sql: "BEGIN")
        }
        transaction.value = true
        defer { transaction.value = false }
        do {
            let isLocked = try await access("take the upgrade lock in the transaction") {
                try await PostgresUpgradeLock.tryTransactionLock(lockKey, on: connection)
            }
            guard isLocked else {
                throw FerryError(
                    .lockTimeout,
                    "Another upgrader holds the upgrade lock of \(displayName), so this transaction may not commit.",
                    changes: "Nothing was changed.",
                    advice:
                        "Let the other upgrade finish (\(run: .status) shows who holds the lock), then run again."
                )
            }
            let result = try await body()
            try await checkConstraints(for: purpose)
            try await access("commit \(purpose.noun)") { try await execute(sql: "COMMIT") }
            return result
        } catch {
            try? await execute(sql: "ROLLBACK")
            historyTablesReady.value = false
            throw error
        }
    }

    /// Prepares Ferry's tables once per session (see ``historyTablesReady``).
    private func prepareHistoryTables() async throws {
        guard !historyTablesReady.value else { return }
        try await PostgresHistory.prepareTables(on: connection)
        historyTablesReady.value = true
    }

    /// Checks every deferred constraint now, inside the transaction.
    private func checkConstraints(for purpose: TransactionPurpose) async throws {
        do {
            try await execute(sql: "SET CONSTRAINTS ALL IMMEDIATE")
        } catch {
            if let lost = loss(error, while: "check the deferred constraints before the commit") {
                throw lost
            }
            guard let said = PostgresServerMessage(error), said.sqlState.hasPrefix("23") else {
                throw FerryError(
                    .databaseUnavailable,
                    "Could not check the deferred constraints in \(displayName).",
                    engineMessage: PostgresServerMessage(error)?.text ?? "\(error)")
            }
            var names: [String] = []
            if let table = said.table { names.append("table \(table)") }
            if let constraint = said.constraint { names.append("constraint \(constraint)") }
            throw FerryError(
                .constraintViolation,
                "\(purpose.subject) would leave rows that violate a deferred constraint (checked with "
                    + "SET CONSTRAINTS ALL IMMEDIATE before commit)"
                    + (names.isEmpty ? "." : ": " + names.joined(separator: ", ") + "."),
                changes: "Nothing was changed: \(purpose.noun) was rolled back.",
                advice: purpose.violationAdvice, engineMessage: said.text,
                engineCode: said.sqlState)
        }
    }

    func run(_ script: SQLScript) async throws {
        do {
            try await working {
                try await PostgresScriptRunner.run(
                    script, on: connection, insideTransaction: transaction.value)
            }
        } catch var error as FerryError {
            // A statement that failed because the session was lost is not the migration's fault.
            guard let lost = loss(error, while: "run \(script.file ?? "a script")") else {
                throw error
            }
            error.markedMessage = lost.markedMessage
            error.markedChanges = lost.markedChanges
            error.markedAdvice = lost.markedAdvice
            throw error
        }
    }

    func execute(_ sql: String) async throws {
        try await run(SQLScript(text: sql))
    }

    func fetchAll(_ sql: String) async throws -> [SQLRow] {
        try await fetchAll(literal: SQLStatement(sql: sql))
    }

    func execute(literal sql: SQLStatement) async throws {
        let (statement, script, binds) = try Self.single(sql, for: "execute(literal:)")
        if transaction.value {
            try PostgresScriptRunner.refuseEndingTheTransaction(statement, in: script)
        }
        do {
            try await working {
                try await PostgresScriptRunner.runToTheEnd(
                    PostgresQuery(unsafeSQL: statement.text, binds: binds), on: connection)
            }
        } catch {
            var failure = PostgresScriptRunner.failure(error, of: statement, in: script)
            // A statement that failed because the session was lost is not the migration's fault.
            if let lost = loss(failure, while: "run a statement given in code")
                ?? loss(error, while: "run a statement given in code")
            {
                failure.markedMessage = lost.markedMessage
                failure.markedChanges = lost.markedChanges
                failure.markedAdvice = lost.markedAdvice
            }
            throw failure
        }
    }

    func fetchAll(literal sql: SQLStatement) async throws -> [SQLRow] {
        let (statement, script, binds) = try Self.single(sql, for: "fetchAll")
        if transaction.value {
            try PostgresScriptRunner.refuseEndingTheTransaction(statement, in: script)
        }
        // In a transaction, a savepoint keeps a failed query from aborting it, so that a
        // caller that handles the error (or the next verification check) can go on.
        return try await working {
            try await fetchAllWorking(
                PostgresQuery(unsafeSQL: statement.text, binds: binds), statement: statement,
                in: script)
        }
    }

    /// The one statement of `sql`, with `$1`, `$2`, … for its values and the
    /// values bound; the extended query protocol that binds them runs one
    /// statement at a time.
    private static func single(
        _ sql: SQLStatement, for method: String
    ) throws -> (PostgresStatement, SQLScript, PostgresBindings) {
        let text = sql.text { "$\($0)" }
        let script = SQLScript(text: text)
        // The protocol sends the text NUL-terminated: the server would read only what comes before it.
        if let nul = text.utf8.firstIndex(of: 0) {
            throw FerryError(
                .invalidMigrations,
                "The SQL holds a NUL byte: PostgreSQL would read only the text before it.",
                changes: "Nothing of it was run.",
                advice:
                    "Remove the NUL byte from the SQL text; bind a value that holds one as bytes instead.",
                location: .init(
                    file: "SQL given in code", line: script.line(at: nul), statement: nil))
        }
        let statements = try PostgresScriptRunner.statements(of: script)
        guard statements.count == 1, let statement = statements.first else {
            throw FerryError(
                .migrationFailed,
                "\(method) takes exactly one statement; it was given \(statements.count) statements.",
                location: .init(
                    file: "SQL given in code", line: 1, statement: SQLScript.shortened(text)))
        }
        var binds = PostgresBindings(capacity: sql.arguments.count)
        for value in sql.arguments { binds.append(value) }
        return (statement, script, binds)
    }

    private func fetchAllWorking(
        _ query: PostgresQuery, statement: PostgresStatement, in script: SQLScript
    ) async throws -> [SQLRow] {
        let isInTransaction = transaction.value
        if isInTransaction { try await execute(sql: "SAVEPOINT ferry_fetch") }
        do {
            var rows: [SQLRow] = []
            let sequence = try await connection.queryUnlessClosed(
                query, logger: PostgresConnector.logger)
            for try await row in sequence { rows.append(SQLRow(row)) }
            if isInTransaction { try await execute(sql: "RELEASE SAVEPOINT ferry_fetch") }
            return rows
        } catch {
            if isInTransaction { try? await execute(sql: "ROLLBACK TO SAVEPOINT ferry_fetch") }
            throw PostgresScriptRunner.failure(error, of: statement, in: script)
        }
    }

    // MARK: Inspection

    func integrityProblems(thorough: Bool) async throws -> [String] {
        try await access("check the database") {
            try await PostgresInspection.integrityProblems(on: connection, thorough: thorough)
        }
    }

    func foreignKeyViolations() async throws -> [String] {
        try await access("check the constraints") {
            try await PostgresInspection.foreignKeyViolations(
                on: connection, inTransaction: transaction.value)
        }
    }

    func rowCounts() async throws -> [String: Int] {
        try await access("count the rows") {
            try await PostgresInspection.rowCounts(on: connection)
        }
    }

    func schemaObjects() async throws -> [SchemaObject] {
        try await access("read the schema") {
            try await PostgresInspection.schemaObjects(on: connection)
        }
    }

    func engineVersion() async throws -> String {
        try await access("read the server version") {
            try await PostgresInspection.engineVersion(on: connection)
        }
    }

    func record(_ migration: AppliedMigration) async throws {
        try await access("record \(migration.id) in the history") {
            try await prepareHistoryTables()
            try await PostgresHistory.record(migration, on: connection)
        }
    }

    func recordEvent(_ event: HistoryEvent) async throws {
        try await access("record the \(event.kind.rawValue) in ferry_events") {
            try await PostgresHistory.recordEvent(event, on: connection)
        }
    }

    func updateHistory(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance
    ) async throws {
        try await access("update the history of \(id)") {
            try await prepareHistoryTables()
            try await PostgresHistory.updateHistory(
                id: id, checksum: checksum, note: note, acceptance: acceptance, on: connection)
        }
    }

    func deleteHistory(id: String) async throws {
        try await access("remove \(id) from the history") {
            try await PostgresHistory.deleteHistory(id: id, on: connection)
        }
    }

    /// Locks the tables that exist in `SHARE` mode: the application may
    /// read them, and its writes wait for the upgrade's commit.
    func lockAgainstWrites(_ tables: [String]) async throws {
        try await access("lock the tables whose rows are counted") {
            for table in tables {
                let rows = try await connection.queryUnlessClosed(
                    "SELECT to_regclass(\(table))::text", logger: PostgresConnector.logger)
                var found: String?
                for try await name in rows.decode(String?.self) { found = name }
                if let found { try await execute(sql: "LOCK TABLE \(found) IN SHARE MODE") }
            }
        }
    }

    func stamp(release: Release, at date: Date) async throws {
        try await access("record release \(release)") {
            try await prepareHistoryTables()
            try await PostgresHistory.stamp(release, at: date, on: connection)
        }
    }

    private func execute(sql: String) async throws {
        try await PostgresScriptRunner.runToTheEnd(sql: sql, on: connection)
    }

    /// One piece of Ferry's own work on the connection, with PostgreSQL's
    /// errors described as Ferry errors.
    private func access<T>(_ what: String, _ work: () async throws -> T) async throws -> T {
        do {
            return try await working(work)
        } catch let error as FerryError {
            throw error
        } catch {
            if let lost = loss(error, while: what) { throw lost }
            let said = PostgresServerMessage(error)
            throw FerryError(
                said?.lacksPrivilege == true ? .insufficientPrivileges : .databaseUnavailable,
                "Could not \(what) in \(displayName).",
                advice: said?.lacksPrivilege == true
                    ? "Grant the role what Ferry needs on its tables ferry_migrations and ferry_state, or run as their owner."
                    : nil,
                engineMessage: said?.text ?? (error as? PSQLError)?.clientSideDescription
                    ?? "\(error)",
                engineCode: said?.sqlState)
        }
    }
}
