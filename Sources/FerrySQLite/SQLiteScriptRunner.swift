import Ferry
import GRDB

/// Runs an SQL script statement by statement, so that a failure names the
/// line where the failing statement starts.
///
/// SQLite itself splits the script (`sqlite3_prepare` with its tail), so
/// triggers with `BEGIN … END`, quotes and comments are read exactly as the
/// `sqlite3` shell reads them.
enum SQLiteScriptRunner {
    static func run(_ script: SQLScript, in db: Database) throws {
        let text = script.text
        let statements = try db.allStatements(sql: text)
        var searchFrom = text.startIndex
        while true {
            let statement: Statement
            do {
                guard let next = try statements.next() else { return }
                statement = next
            } catch let error as DatabaseError {
                // The statement that failed to compile starts after the last one that compiled.
                throw failure(error, in: script, at: script.statementStart(from: searchFrom), statement: nil)
            }
            let sql = statement.sql
            var start = script.statementStart(from: searchFrom)
            if let found = text.range(of: sql, range: searchFrom..<text.endIndex) {
                start = script.statementStart(from: found.lowerBound)
                searchFrom = found.upperBound
            }
            do {
                try statement.execute()
            } catch let error as DatabaseError {
                throw failure(error, in: script, at: start, statement: sql)
            }
        }
    }

    static func failure(
        _ error: DatabaseError, in script: SQLScript, at start: String.Index, statement: String?
    ) -> FerryError {
        let shown = statement ?? String(script.text[start...].prefix { !$0.isNewline })
        let location = FerryError.ScriptLocation(
            file: script.file ?? "SQL given in code", line: script.line(at: start), statement: shortened(shown))
        return FerryError(
            .migrationFailed, "SQLite refused a statement.", location: location,
            engineMessage: error.message ?? "\(error.resultCode)")
    }

    /// The statement on one line, cut after 300 characters.
    static func shortened(_ sql: String) -> String {
        let oneLine = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return oneLine.count > 300 ? String(oneLine.prefix(300)) + " …" : oneLine
    }
}
