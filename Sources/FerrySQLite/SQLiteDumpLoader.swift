import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Loads an SQL script (a dump) into a new SQLite database, streaming it
/// statement by statement so that a dump of any size needs little memory.
///
/// Statement ends are found as the `sqlite3` shell finds them: at a `;`
/// outside quotes and comments where `sqlite3_complete` agrees (which keeps
/// the `;` inside a trigger's `BEGIN … END` body). The new database is
/// throw-away until checked, so it is loaded without a journal.
enum SQLiteDumpLoader {
    static func load(_ dump: URL, into db: Database) throws {
        guard let handle = try? FileHandle(forReadingFrom: dump) else {
            throw FerryError(.backupCorrupt, "Cannot read the SQL dump \(dump.path).", changes: "Nothing was changed.")
        }
        defer { try? handle.close() }
        try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF")
        try db.execute(sql: "BEGIN")
        var splitter = StatementSplitter()
        var line = 1
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try splitter.feed(chunk) { statement, startLine in
                line = startLine
                try run(statement, in: db)
            }
        }
        try splitter.feed([], isLast: true) { statement, startLine in
            line = startLine
            try run(statement, in: db)
        }
        if let rest = splitter.remainder(), SQLScript(text: rest).statementStart(from: rest.startIndex) != rest.endIndex {
            throw FerryError(
                .backupCorrupt, "The SQL dump \(dump.lastPathComponent) ends in the middle of a statement (after line \(line)).",
                changes: "Nothing was changed.", advice: "The file is truncated: use another backup.")
        }
        if db.isInsideTransaction { try db.execute(sql: "COMMIT") }
    }

    /// Runs one statement of the dump; the dump's own transaction statements
    /// are left out, because the load has its own.
    private static func run(_ statement: String, in db: Database) throws {
        let word = statement.prefix(while: { !$0.isWhitespace && $0 != ";" }).uppercased()
        if ["BEGIN", "COMMIT", "END"].contains(word) { return }
        if word == "PRAGMA", statement.lowercased().contains("foreign_keys") { return }
        do {
            try db.execute(sql: statement)
        } catch let error as DatabaseError {
            throw FerryError(
                .backupCorrupt, "The SQL dump does not load: SQLite refused a statement.", changes: "Nothing was changed.",
                advice: "Use another backup.", location: .init(file: "dump", line: 0, statement: SQLiteScriptRunner.shortened(statement)),
                engineMessage: error.message)
        }
    }
}

/// Splits a stream of SQL text into complete statements.
struct StatementSplitter {
    private var pending: [UInt8] = []
    /// Where the current statement starts in `pending`.
    private var start = 0
    /// Where scanning goes on in `pending`.
    private var position = 0
    private var state = State.code
    private var line = 1

    private enum State {
        case code, singleQuote, doubleQuote, backtick, bracket, lineComment, blockComment
    }

    /// Adds bytes; calls `emit` with each complete statement and the line it ends on.
    /// `isLast` says that no more bytes follow.
    mutating func feed(_ bytes: some Collection<UInt8>, isLast: Bool = false, emit: (String, Int) throws -> Void) throws {
        if start > 0 {
            pending.removeFirst(start)
            position -= start
            start = 0
        }
        pending.append(contentsOf: bytes)
        let end = pending.count
        while position < end {
            let byte = pending[position]
            // A two-byte token may straddle two pieces: wait for the next one.
            let next: UInt8? = position + 1 < end ? pending[position + 1] : nil
            if next == nil, !isLast, byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "*") {
                return
            }
            var step = 1
            switch state {
            case .code:
                switch byte {
                case UInt8(ascii: "'"): state = .singleQuote
                case UInt8(ascii: "\""): state = .doubleQuote
                case UInt8(ascii: "`"): state = .backtick
                case UInt8(ascii: "["): state = .bracket
                case UInt8(ascii: "-") where next == UInt8(ascii: "-"): state = .lineComment
                case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                    state = .blockComment
                    step = 2
                case UInt8(ascii: ";"):
                    if isComplete(pending[start...position]) {
                        let statement = String(decoding: pending[start...position], as: UTF8.self)
                            .trimmingCharacters(in: .whitespacesAndNewlines)
                        if statement != ";" { try emit(statement, line) }
                        start = position + 1
                    }
                default: break
                }
            case .singleQuote: if byte == UInt8(ascii: "'") { state = .code }
            case .doubleQuote: if byte == UInt8(ascii: "\"") { state = .code }
            case .backtick: if byte == UInt8(ascii: "`") { state = .code }
            case .bracket: if byte == UInt8(ascii: "]") { state = .code }
            case .lineComment: if byte == UInt8(ascii: "\n") { state = .code }
            case .blockComment:
                if byte == UInt8(ascii: "*"), next == UInt8(ascii: "/") {
                    state = .code
                    step = 2
                }
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            position += step
        }
    }

    /// Whether SQLite sees a complete statement (a trigger's body has `;` inside).
    private func isComplete(_ text: ArraySlice<UInt8>) -> Bool {
        var candidate = Array(text)
        candidate.append(0)
        return candidate.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sqlite3_complete($0.baseAddress) != 0 }
        }
    }

    /// What is left after the last complete statement, if anything.
    func remainder() -> String? {
        start < pending.count ? String(decoding: pending[start...], as: UTF8.self) : nil
    }
}
