import Ferry
import Foundation
import GRDB

/// The upgrade's connection to a SQLite database.
///
/// Every call is one access to a GRDB `DatabaseQueue` whose configuration
/// allows a transaction to stay open between accesses, so that the pipeline
/// (and Swift migrations, which are `async`) can run many steps inside one
/// transaction on one connection.
struct SQLiteSession: MigrationSession {
    let queue: DatabaseQueue
    let displayName: String
    /// Whether opening the session created the database file.
    let createdDatabase: Bool
    /// What the session's checks proved of the `CHECK` constraints, and
    /// whether any SQL it ran since names a pragma that bypasses them.
    let checkConstraints = CheckConstraintWitness()
    /// Which indexes SQLite built in the open transaction, and whether its
    /// foreign keys were found clean with nothing written since.
    let transactionWitness = TransactionWitness()

    var engineName: String { "sqlite" }

    func readState() async throws -> DatabaseState {
        var state = try await access("read the history") { db in try SQLiteHistory.readState(db) }
        state.exists = !createdDatabase
        return state
    }

    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, _ body: () async throws -> Result
    ) async throws -> Result {
        try await inTransaction(for: purpose, checkingForeignKeysOf: nil, body)
    }

    /// ``inTransaction(for:_:)`` whose check before the commit reads only the
    /// rows of `tables` (nil: every table).
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, checkingForeignKeysOf tables: [String]?,
        _ body: () async throws -> Result
    ) async throws -> Result {
        // SQLite's ALTER TABLE guide: foreign keys off outside the transaction,
        // foreign_key_check before commit, foreign keys back on afterwards. Ferry's own records
        // change no row of the application's: its foreign keys stay on, nothing to check after.
        let suspendsForeignKeys = purpose.changesApplicationRows
        let witness = transactionWitness
        try await access("begin the transaction of \(purpose.noun)") { db in
            if suspendsForeignKeys { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
            try db.execute(sql: "BEGIN IMMEDIATE")
            try witness.transactionBegan(on: db)
        }
        do {
            let result = try await body()
            try await access("commit \(purpose.noun)") { db in
                // Every table's foreign keys found clean by the verification, nothing written since.
                if suspendsForeignKeys, try !witness.foreignKeysStillClean(on: db) {
                    try Self.checkForeignKeys(db, in: tables, for: purpose)
                }
                try db.execute(sql: "COMMIT")
                witness.transactionEnded()
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            return result
        } catch {
            witness.transactionEnded()
            try? await queue.writeWithoutTransactionHere { db in
                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            throw error
        }
    }

    private static func checkForeignKeys(
        _ db: Database, in tables: [String]?, for purpose: TransactionPurpose
    ) throws {
        let violations = try SQLiteInspection.foreignKeyViolations(db, in: tables)
        guard !violations.isEmpty else { return }
        throw purpose.foreignKeyRefusal(violations, check: "PRAGMA foreign_key_check")
    }

    /// Runs a script (a migration run alone, a hook), the progress of one
    /// read from a file reported through SQLite's progress handler as
    /// `script FILE`.
    func run(_ script: SQLScript) async throws {
        // Ferry's own statements (no file) are short: nothing to report.
        let listener = script.file == nil ? ProgressListener(sink: nil) : ProgressListener.current
        checkConstraints.note(script.text)
        try await queue.writeWithoutTransactionHere { db in
            try SQLiteProgressHandler.reporting(
                "script \(script.file ?? "")", to: listener, on: db
            ) {
                try SQLiteScriptRunner.run(script, in: db)
            }
        }
    }

    func execute(_ sql: String) async throws {
        try await run(SQLScript(text: sql))
    }

    func fetchAll(_ sql: String) async throws -> [SQLRow] {
        checkConstraints.note(sql)
        return try await queue.writeWithoutTransactionHere { db in
            do {
                let statement = try db.makeStatement(sql: sql)
                let script = SQLScript(text: sql)
                try SQLiteScriptRunner.refuseEndingTheTransaction(
                    statement, in: script, at: script.statementStart(from: sql.startIndex), of: db)
                return try Row.fetchAll(statement).map(SQLRow.init)
            } catch let error as DatabaseError {
                let script = SQLScript(text: sql)
                throw SQLiteScriptRunner.failure(
                    error, in: script, at: script.statementStart(from: sql.startIndex),
                    statement: sql, of: db)
            }
        }
    }

    func execute(literal sql: SQLStatement) async throws {
        let (text, arguments) = Self.bound(sql)
        checkConstraints.note(text)
        try await queue.writeWithoutTransactionHere { db in
            try Self.prepared(text, in: db) { statement in
                try statement.execute(arguments: arguments)
            }
        }
    }

    func fetchAll(literal sql: SQLStatement) async throws -> [SQLRow] {
        let (text, arguments) = Self.bound(sql)
        checkConstraints.note(text)
        return try await queue.writeWithoutTransactionHere { db in
            try Self.prepared(text, in: db) { statement in
                try Row.fetchAll(statement, arguments: arguments).map(SQLRow.init)
            }
        }
    }

    /// The statement's text with `?` for each value, and the values as GRDB binds them.
    private static func bound(_ sql: SQLStatement) -> (String, StatementArguments) {
        (sql.text { _ in "?" }, StatementArguments(sql.arguments.map { $0.databaseValue }))
    }

    /// Prepares exactly one statement (GRDB refuses more) and runs `work` on
    /// it, describing an SQLite error with the statement's text, which shows
    /// placeholders and never the bound values.
    private static func prepared<T>(
        _ text: String, in db: Database, _ work: (Statement) throws -> T
    ) throws -> T {
        let script = SQLScript(text: text)
        // SQLite would stop reading the text at a NUL byte, and run only what comes before it.
        try SQLiteScriptRunner.refuseNULBytes(in: script)
        do {
            let statement = try db.makeStatement(sql: text)
            try SQLiteScriptRunner.refuseEndingTheTransaction(
                statement, in: script, at: script.statementStart(from: text.startIndex), of: db)
            return try work(statement)
        } catch let error as DatabaseError {
            throw SQLiteScriptRunner.failure(
                error, in: script, at: script.statementStart(from: text.startIndex),
                statement: text,
                of: db)
        }
    }

    func record(_ migration: AppliedMigration) async throws {
        try await access("record \(migration.id) in the history") { db in
            try SQLiteHistory.record(migration, in: db)
        }
    }

    /// Every step in one access to the connection, with the history's
    /// `INSERT` prepared once: a thousand small migrations spent more time
    /// handing work to GRDB's queue than in SQLite.
    func runAndRecord(
        _ steps: [ScriptStep], onStart: @escaping @Sendable (Int) -> Void,
        onFinish: @escaping @Sendable (Int, AppliedMigration) -> Void
    ) async throws {
        guard !steps.isEmpty else { return }
        for step in steps { checkConstraints.note(step.script.text) }
        let displayName = displayName
        let listener = ProgressListener.current
        try await queue.writeWithoutTransactionHere { db in
            let clock = ContinuousClock()
            let insert = try Self.describing("prepare the history", of: displayName) {
                try SQLiteHistory.prepareRecording(in: db)
            }
            // The rows are written after the last script, in the same transaction: a row
            // written between two scripts that change the schema made SQLite prepare its
            // INSERT again each time, and look through every table for it.
            var rows: [AppliedMigration] = []
            rows.reserveCapacity(steps.count)
            for (position, step) in steps.enumerated() {
                onStart(position)
                var row = step.row
                row.appliedAt = Date()
                let started = clock.now
                try SQLiteProgressHandler.reporting("migration \(row.id)", to: listener, on: db) {
                    try SQLiteScriptRunner.run(step.script, in: db)
                }
                row.duration = (clock.now - started).inSeconds
                rows.append(row)
                onFinish(position, row)
            }
            for row in rows {
                try Self.describing("record \(row.id) in the history", of: displayName) {
                    try SQLiteHistory.record(row, with: insert, in: db)
                }
            }
        }
    }

    func recordEvent(_ event: HistoryEvent) async throws {
        try await access("record the \(event.kind.rawValue) in ferry_events") { db in
            try SQLiteHistory.recordEvent(event, in: db)
        }
    }

    func updateHistory(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance
    ) async throws {
        try await access("update the history of \(id)") { db in
            try SQLiteHistory.updateHistory(
                id: id, checksum: checksum, note: note, acceptance: acceptance, in: db)
        }
    }

    func deleteHistory(id: String) async throws {
        try await access("remove \(id) from the history") { db in
            try SQLiteHistory.deleteHistory(id: id, in: db)
        }
    }

    func stamp(release: Release, at date: Date) async throws {
        try await access("record release \(release)") { db in
            try SQLiteHistory.stamp(release, at: date, in: db)
        }
    }

    /// One access to the connection, with SQLite errors described as Ferry errors.
    private func access<T: Sendable>(
        _ what: String, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransactionHere { db in
            try Self.describing(what, of: displayName) { try work(db) }
        }
    }

    /// Runs `work`, describing an SQLite error as a Ferry error that says what
    /// Ferry was doing.
    private static func describing<T>(
        _ what: @autoclosure () -> String, of displayName: String, _ work: () throws -> T
    ) throws -> T {
        do {
            return try work()
        } catch let error as DatabaseError {
            throw FerryError(
                .databaseUnavailable, "Could not \(what()) in \(displayName).",
                advice: error.resultCode == .SQLITE_BUSY
                    ? "Another connection is writing to the database; try again when it is done."
                    : nil,
                engineMessage: error.message ?? "\(error.resultCode)")
        }
    }
}

extension SQLValue {
    /// The value as GRDB binds it.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let value): return value.databaseValue
        case .real(let value): return value.databaseValue
        case .text(let value): return value.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }
}

extension SQLRow {
    init(_ row: Row) {
        self.init(
            columnNames: Array(row.columnNames),
            values: row.databaseValues.map { value in
                switch value.storage {
                case .null: return .null
                case .int64(let integer): return .integer(integer)
                case .double(let double): return .real(double)
                case .string(let string): return .text(string)
                case .blob(let data): return .blob(Array(data))
                }
            })
    }
}
