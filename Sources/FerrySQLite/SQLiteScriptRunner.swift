import Ferry
import GRDB
import GRDBSQLite

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
            let sql = Self.text(of: statement)
            var start = script.statementStart(from: searchFrom)
            if let found = Self.range(of: sql, in: text, from: searchFrom) {
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

    /// The statement's text without the white space and semicolons around
    /// it, as GRDB's `Statement.sql` gives it, without bridging to
    /// `NSString` (a thousand small migrations spent a tenth of their time
    /// there).
    static func text(of statement: Statement) -> String {
        let sql = String(cString: sqlite3_sql(statement.sqliteStatement))
        func isSeparator(_ scalar: Unicode.Scalar) -> Bool { scalar == ";" || scalar.properties.isWhitespace }
        let scalars = sql.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSeparator($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSeparator($0) })!
        return String(scalars[first...last])
    }

    /// The first place of `needle` in `text` at or after `start`, compared
    /// byte for byte.
    static func range(of needle: String, in text: String, from start: String.Index) -> Range<String.Index>? {
        let bytes = text.utf8
        let pattern = Array(needle.utf8)
        guard let head = pattern.first else { return nil }
        var position = start
        while let candidate = bytes[position...].firstIndex(of: head) {
            if bytes[candidate...].starts(with: pattern) {
                return candidate..<bytes.index(candidate, offsetBy: pattern.count)
            }
            position = bytes.index(after: candidate)
        }
        return nil
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
