import Ferry
import PostgresNIO

/// Runs an SQL script on a PostgreSQL connection statement by statement,
/// so that a failure names the file, the line where the failing statement
/// starts, and what the server said (SQLSTATE, message, detail, hint).
enum PostgresScriptRunner {
    /// Splits the script and runs each statement in order.
    ///
    /// - Throws: ``FerryError``: `invalidMigrations` when the script cannot be
    ///   split (nothing of it ran), `migrationFailed` when the server refuses
    ///   a statement.
    ///
    /// - Parameter insideTransaction: Whether the connection is inside
    ///   Ferry's transaction: a statement that would begin or end one is then
    ///   refused before it runs (see ``TransactionStatement``).
    static func run(
        _ script: SQLScript, on connection: PostgresConnection, insideTransaction: Bool
    ) async throws {
        for statement in try statements(of: script) {
            if insideTransaction { try refuseEndingTheTransaction(statement, in: script) }
            do {
                try await runToTheEnd(sql: statement.text, on: connection)
            } catch {
                throw failure(error, of: statement, in: script)
            }
        }
    }

    /// Refuses a statement that would begin or end a transaction, in a
    /// script that runs inside Ferry's.
    static func refuseEndingTheTransaction(_ statement: PostgresStatement, in script: SQLScript)
        throws
    {
        guard let words = TransactionStatement.words(of: statement.text) else { return }
        throw TransactionStatement.refusal(
            words, in: script, line: statement.line, statement: statement.text)
    }

    /// Runs one statement and reads its rows, if any, to the end: the
    /// statement is over (and its errors known) only then.
    static func runToTheEnd(sql: String, on connection: PostgresConnection) async throws {
        try await runToTheEnd(PostgresQuery(unsafeSQL: sql), on: connection)
    }

    /// Runs one query with its bound values and reads its rows to the end.
    static func runToTheEnd(_ query: PostgresQuery, on connection: PostgresConnection) async throws
    {
        let rows = try await connection.queryUnlessClosed(query, logger: PostgresConnector.logger)
        for try await _ in rows {}
    }

    /// The statements of a script.
    ///
    /// - Throws: ``FerryError`` (code `invalidMigrations`) naming the line.
    static func statements(of script: SQLScript) throws -> [PostgresStatement] {
        do {
            return try PostgresScriptSplitter.split(script.text)
        } catch {
            throw FerryError(
                .invalidMigrations, "\(script.file ?? "The SQL") cannot be run: \(error.message)",
                advice: error.advice,
                location: .init(
                    file: script.file ?? "SQL given in code", line: error.line, statement: nil))
        }
    }

    /// Describes a statement's failure, with advice when PostgreSQL refused
    /// it because of the transaction it ran in.
    static func failure(_ error: any Error, of statement: PostgresStatement, in script: SQLScript)
        -> FerryError
    {
        let file = script.file ?? "SQL given in code"
        let location = FerryError.ScriptLocation(
            file: file, line: statement.line, statement: SQLScript.shortened(statement.text))
        guard let said = PostgresServerMessage(error) else {
            let reason = (error as? PSQLError)?.clientSideDescription ?? "\(error)"
            return FerryError(
                .databaseUnavailable,
                "The connection to PostgreSQL failed while running a statement.",
                advice: "Check that the server is still running, then run the upgrade again.",
                location: location, engineMessage: reason)
        }
        if let cause = PostgresFailureCause(sqlState: said.sqlState) {
            // Not the migration's fault: the server's state stopped it.
            return FerryError(
                cause.code, "PostgreSQL stopped a statement of \(file): \(cause.summary).",
                advice: cause.advice, location: location, engineMessage: said.text,
                engineCode: said.sqlState)
        }
        var advice: String?
        if said.refusesTransactionBlock {
            advice =
                "This statement cannot run inside a transaction. Put '-- ferry:no-transaction' on the first "
                + "line of \(file) so that it runs alone, outside any transaction (keep such a file to the "
                + "statements that need it: if it fails half-way, what ran before stays)."
        } else if said.usesUncommittedEnumValue {
            advice =
                "A value added with ALTER TYPE … ADD VALUE cannot be used until the transaction that added "
                + "it commits. Put '-- ferry:own-transaction' at the top of the migration that adds the value, "
                + "so that it commits first, or run the upgrade with \(.transactionMode, .given("migration", swift: ".perMigration")) "
                + "(one transaction per migration)."
        } else if said.lacksPrivilege {
            advice =
                "The database role lacks a privilege this migration needs: grant it (as the owner of the "
                + "object), or run the upgrade as a role that has it."
        }
        return FerryError(
            .migrationFailed, "PostgreSQL refused a statement.", advice: advice, location: location,
            engineMessage: said.text, engineCode: said.sqlState)
    }
}
