import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Runs an SQL script statement by statement, so that a failure names the
/// line where the failing statement starts.
///
/// SQLite itself splits the script (`sqlite3_prepare` with its tail), so
/// triggers with `BEGIN … END`, quotes and comments are read exactly as the
/// `sqlite3` shell reads them.
enum SQLiteScriptRunner {
    /// Runs the whole script, or refuses it: a script is never run in part
    /// without an error.
    ///
    /// SQLite reads a script up to its first NUL byte, and GRDB's statement
    /// cursor stops at the first text that holds no statement: a NUL is
    /// refused before any statement runs, and any text left after the cursor
    /// stopped (other than white space, `;` and comments) is read again from
    /// there, or refused when SQLite finds no statement in it.
    static func run(_ script: SQLScript, in db: Database) throws {
        let text = script.text
        try refuseNULBytes(in: script)
        // Where SQLite's reading has got to: each statement's SQL is exactly the bytes it read.
        var position = text.startIndex
        while script.statementStart(from: position) < text.endIndex {
            // SQLite skips the spaces and comments before a statement itself, and counts them in
            // the statement's SQL: the script is given whole (not copied) the first time, and
            // what is left where GRDB's cursor stopped is given again.
            let rest = position == text.startIndex ? text : String(text[position...])
            let statements = try db.allStatements(sql: rest)
            var hasRun = false
            while true {
                let statement: Statement
                do {
                    guard let next = try statements.next() else { break }
                    statement = next
                } catch let error as DatabaseError {
                    // The statement that failed to compile starts after the last one that compiled.
                    throw failure(
                        error, in: script, at: script.statementStart(from: position),
                        statement: nil, of: db)
                }
                let start = script.statementStart(from: position)
                let consumed = strlen(sqlite3_sql(statement.sqliteStatement))
                position =
                    text.utf8.index(position, offsetBy: consumed, limitedBy: text.endIndex)
                    ?? text.endIndex
                hasRun = true
                try refuseEndingTheTransaction(statement, in: script, at: start, of: db)
                do {
                    try statement.execute()
                } catch let error as DatabaseError {
                    throw failure(
                        error, in: script, at: start, statement: Self.text(of: statement), of: db)
                }
            }
            guard hasRun || script.statementStart(from: position) == text.endIndex else {
                throw FerryError(
                    .invalidMigrations,
                    "SQLite found no statement in the text from line \(script.line(at: position)) on, so it would be skipped without a word.",
                    advice:
                        "Make the rest of the script complete statements (or comments), then run again.",
                    location: FerryError.ScriptLocation(
                        file: script.file ?? "SQL given in code", line: script.line(at: position),
                        statement: SQLScript.shortened(String(text[position...].prefix(300)))))
            }
        }
    }

    /// Refuses a statement that would begin or end a transaction while the
    /// connection is inside Ferry's (see ``TransactionStatement``), before
    /// it runs.
    static func refuseEndingTheTransaction(
        _ statement: Statement, in script: SQLScript, at start: String.Index, of db: Database
    ) throws {
        // SQLite's documentation: BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are read-only
        // statements, so the text of a statement that writes need not be read.
        guard sqlite3_get_autocommit(db.sqliteConnection) == 0,
            sqlite3_stmt_readonly(statement.sqliteStatement) != 0
        else { return }
        let text = Self.text(of: statement)
        guard let words = TransactionStatement.words(of: text) else { return }
        throw TransactionStatement.refusal(
            words, in: script, line: script.line(at: start), statement: text)
    }

    /// Refuses a script that holds a NUL byte, where SQLite would stop
    /// reading it.
    static func refuseNULBytes(in script: SQLScript) throws {
        let text = script.text
        if let nul = text.utf8.firstIndex(of: 0) {
            throw FerryError(
                .invalidMigrations,
                "The script holds a NUL byte: SQLite stops reading a script there, so the rest would be skipped without a word.",
                changes: "Nothing of the script was run.",
                advice:
                    "Remove the NUL byte from the file (tr -d '\\000' removes every one), then run again.",
                location: FerryError.ScriptLocation(
                    file: script.file ?? "SQL given in code", line: script.line(at: nul),
                    statement: nil))
        }
    }

    /// The statement's text without the white space and semicolons around
    /// it, as GRDB's `Statement.sql` gives it, without bridging to
    /// `NSString` (a thousand small migrations spent a tenth of their time
    /// there).
    static func text(of statement: Statement) -> String {
        let sql = String(cString: sqlite3_sql(statement.sqliteStatement))
        func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
            scalar == ";" || scalar.properties.isWhitespace
        }
        let scalars = sql.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSeparator($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSeparator($0) })!
        return String(scalars[first...last])
    }

    /// Describes a statement's failure; a full disk is said to be one,
    /// since no change to the migration would help.
    static func failure(
        _ error: DatabaseError, in script: SQLScript, at start: String.Index, statement: String?,
        of db: Database
    ) -> FerryError {
        let shown = statement ?? String(script.text[start...].prefix { !$0.isNewline })
        let location = FerryError.ScriptLocation(
            file: script.file ?? "SQL given in code", line: script.line(at: start),
            statement: SQLScript.shortened(shown))
        // The file's path is read only here, for a failure: not at every script.
        let database = String(cString: sqlite3_db_filename(db.sqliteConnection, "main"))
        if DiskSpace.isFull(error.extendedResultCode, near: database) {
            return FerryError(
                .migrationFailed,
                "SQLite could not write the statement's changes: \(DiskSpace.sentence(near: database)).",
                advice: DiskSpace.advice(near: database), location: location,
                engineMessage: error.message ?? "\(error.resultCode)")
        }
        return FerryError(
            .migrationFailed, "SQLite refused a statement.", location: location,
            engineMessage: error.message ?? "\(error.resultCode)")
    }
}
