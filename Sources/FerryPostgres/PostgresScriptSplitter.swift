import Ferry

/// One statement of a script, as PostgreSQL will receive it.
public struct PostgresStatement: Sendable, Hashable {
    /// The statement's text, from its first significant character up to (not
    /// including) the `;` that ends it.
    public let text: String
    /// The line (from 1) where the statement starts in its script.
    public let line: Int

    /// Creates a statement.
    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }
}

/// Splits a PostgreSQL script into statements, as `psql` does.
///
/// PostgreSQL's extended query protocol takes one statement at a time, so
/// Ferry must find where each ends. A `;` ends a statement unless it is
/// inside:
/// - a standard string `'…'` (a quote is doubled: `'it''s'`), or an
///   escape string `E'…'` where a backslash also escapes (`E'it\'s'`);
/// - a quoted identifier `"…"` (`"a ""b"""`);
/// - a dollar-quoted body `$$…$$` or `$tag$…$tag$` (function bodies, `DO`);
/// - a `--` comment or a `/* … */` comment, which nests;
/// - the `BEGIN ATOMIC … END` body of a `CREATE FUNCTION` or
///   `CREATE PROCEDURE`.
///
/// A script that `COPY … FROM STDIN` reads data from cannot run through a
/// driver, and psql's `\` meta-commands are not SQL: both are refused, with
/// their line, before anything runs.
public enum PostgresScriptSplitter {
    /// Why a script cannot be split.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong.
        public let message: String
        /// The line (from 1) where the problem starts.
        public let line: Int
        /// What to do about it.
        public let advice: String

        /// `line N: what is wrong`.
        public var description: String { "line \(line): \(message)" }
    }

    /// The statements of a script, in order; empty statements (only blanks,
    /// comments or `;`) are left out.
    ///
    /// - Throws: ``Problem`` for an unterminated string, identifier,
    ///   dollar-quoted body or comment, for `COPY … FROM STDIN`, and for a
    ///   psql meta-command.
    public static func split(_ script: String) throws(Problem) -> [PostgresStatement] {
        var scanner = Scanner(Array(script.utf8))
        return try scanner.statements()
    }
}

/// The splitter's state as it walks the script's UTF-8 bytes.
private struct Scanner {
    let bytes: [UInt8]
    var position = 0
    var line = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The statement being read.
    private struct Pending {
        var start: Int
        var line: Int
        /// The words outside strings and comments, upper-cased, in order.
        var words: [String] = []
        /// How deep inside `BEGIN ATOMIC … END` bodies (and their `CASE … END`) it is.
        var blockDepth = 0
    }

    mutating func statements() throws(PostgresScriptSplitter.Problem) -> [PostgresStatement] {
        var statements: [PostgresStatement] = []
        var pending: Pending?
        var end = 0  // the end of the statement's last significant character

        func finish(_ pending: Pending, upTo end: Int) throws(PostgresScriptSplitter.Problem) {
            try Scanner.check(pending)
            let text = String(decoding: bytes[pending.start..<end], as: UTF8.self)
            statements.append(PostgresStatement(text: text, line: pending.line))
        }

        while position < bytes.count {
            let byte = bytes[position]
            if byte == ascii("\n") {
                line += 1
                position += 1
                continue
            }
            if isBlank(byte) {
                position += 1
                continue
            }
            if byte == ascii("-"), peek(1) == ascii("-") {
                skipLineComment()
                continue
            }
            if byte == ascii("/"), peek(1) == ascii("*") {
                try skipBlockComment()
                continue
            }
            if byte == ascii(";") {
                if var current = pending, current.blockDepth > 0 {
                    position += 1
                    end = position
                    current.words.append(";")
                    pending = current
                    continue
                }
                if let current = pending { try finish(current, upTo: end) }
                pending = nil
                position += 1
                continue
            }
            if pending == nil {
                if byte == ascii("\\") {
                    throw PostgresScriptSplitter.Problem(
                        message: "a psql meta-command (\(restOfLine())) is not SQL.",
                        line: line,
                        advice:
                            "Write the migration in plain SQL: Ferry sends statements to the server, not to psql."
                    )
                }
                pending = Pending(start: position, line: line)
            }
            try readToken(into: &pending!)
            end = position
        }
        if let current = pending { try finish(current, upTo: end) }
        return statements
    }

    /// Reads one token (a string, an identifier, a word, a number or one
    /// other character) and notes the words a statement's shape depends on.
    private mutating func readToken(into pending: inout Pending) throws(PostgresScriptSplitter
        .Problem)
    {
        let byte = bytes[position]
        let previous = position > 0 ? bytes[position - 1] : ascii(" ")
        switch byte {
        case ascii("'"):
            try skipQuoted(ascii("'"), backslashEscapes: false, what: "string")
        case ascii("\""):
            try skipQuoted(ascii("\""), backslashEscapes: false, what: "quoted identifier")
        case ascii("$") where !isIdentifierByte(previous):
            if let tagLength = dollarTagLength() {
                try skipDollarQuoted(tagLength: tagLength)
            } else {
                position += 1
            }
        case _ where isIdentifierStart(byte):
            // E'…' (and e'…') is an escape string; U&'…', B'…', X'…' are standard strings.
            if byte == ascii("E") || byte == ascii("e"), peek(1) == ascii("'") {
                position += 1
                try skipQuoted(ascii("'"), backslashEscapes: true, what: "escape string")
                return
            }
            let start = position
            while position < bytes.count, isIdentifierByte(bytes[position]) { position += 1 }
            let word = String(decoding: bytes[start..<position], as: UTF8.self).uppercased()
            note(word, in: &pending)
        default:
            position += 1
        }
    }

    /// Follows `BEGIN ATOMIC … END` bodies of SQL functions and procedures,
    /// where `;` does not end the statement.
    private func note(_ word: String, in pending: inout Pending) {
        pending.words.append(word)
        guard isFunctionDefinition(pending.words) else { return }
        if word == "BEGIN" || (word == "CASE" && pending.blockDepth > 0) {
            pending.blockDepth += 1
        } else if word == "END" && pending.blockDepth > 0 {
            pending.blockDepth -= 1
        }
    }

    private func isFunctionDefinition(_ words: [String]) -> Bool {
        guard words.first == "CREATE", words.count >= 2 else { return false }
        let kind = words[1] == "OR" && words.count >= 4 ? words[3] : words[1]
        return kind == "FUNCTION" || kind == "PROCEDURE"
    }

    /// Refuses what cannot run through a driver.
    private static func check(_ pending: Pending) throws(PostgresScriptSplitter.Problem) {
        let words = pending.words
        guard words.first == "COPY" else { return }
        for index in words.indices.dropLast()
        where words[index] == "FROM" && words[index + 1] == "STDIN" {
            throw PostgresScriptSplitter.Problem(
                message:
                    "COPY … FROM STDIN reads its rows from psql's input, which a migration does not have.",
                line: pending.line,
                advice:
                    "Write the rows as INSERT statements, or COPY from a file the server can read "
                    + "(COPY … FROM '/path'), in a migration of its own.")
        }
    }

    // MARK: Skipping strings and comments

    private mutating func skipLineComment() {
        while position < bytes.count, bytes[position] != ascii("\n") { position += 1 }
    }

    private mutating func skipBlockComment() throws(PostgresScriptSplitter.Problem) {
        let startLine = line
        var depth = 0
        while position < bytes.count {
            if bytes[position] == ascii("/"), peek(1) == ascii("*") {
                depth += 1
                position += 2
            } else if bytes[position] == ascii("*"), peek(1) == ascii("/") {
                depth -= 1
                position += 2
                if depth == 0 { return }
            } else {
                if bytes[position] == ascii("\n") { line += 1 }
                position += 1
            }
        }
        throw unterminated(
            "/* comment", line: startLine, closer: "*/ (comments nest: each /* needs its own */)")
    }

    private mutating func skipQuoted(
        _ quote: UInt8, backslashEscapes: Bool, what: String
    ) throws(PostgresScriptSplitter.Problem) {
        let startLine = line
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ascii("\n") { line += 1 }
            if backslashEscapes, byte == ascii("\\") {
                if peek(1) == ascii("\n") { line += 1 }
                position += 2
                continue
            }
            position += 1
            if byte == quote {
                guard position < bytes.count, bytes[position] == quote else { return }
                position += 1  // a doubled quote stands for one
            }
        }
        let closer = quote == ascii("'") ? "'" : "\""
        throw unterminated(what, line: startLine, closer: closer)
    }

    /// The length of the `$tag$` at the position, or nil when it is not one
    /// (`$1` is a parameter, not a quote).
    private func dollarTagLength() -> Int? {
        var index = position + 1
        if index < bytes.count, isIdentifierStart(bytes[index]) {
            while index < bytes.count, isIdentifierByte(bytes[index]), bytes[index] != ascii("$") {
                index += 1
            }
        }
        guard index < bytes.count, bytes[index] == ascii("$") else { return nil }
        return index - position + 1
    }

    private mutating func skipDollarQuoted(tagLength: Int) throws(PostgresScriptSplitter.Problem) {
        let startLine = line
        let tag = bytes[position..<position + tagLength]
        position += tagLength
        while position < bytes.count {
            if bytes[position] == ascii("$"), bytes[position...].starts(with: tag) {
                position += tagLength
                return
            }
            if bytes[position] == ascii("\n") { line += 1 }
            position += 1
        }
        let text = String(decoding: tag, as: UTF8.self)
        throw unterminated("dollar-quoted body \(text)", line: startLine, closer: text)
    }

    private func unterminated(_ what: String, line: Int, closer: String)
        -> PostgresScriptSplitter.Problem
    {
        PostgresScriptSplitter.Problem(
            message: "the \(what) that starts here is never closed.", line: line,
            advice: "Close it with \(closer); until then everything after it belongs to it.")
    }

    // MARK: Characters

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private func restOfLine() -> String {
        var end = position
        while end < bytes.count, bytes[end] != ascii("\n"), bytes[end] != ascii("\r") { end += 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private func isBlank(_ byte: UInt8) -> Bool {
        byte == ascii(" ") || byte == ascii("\t") || byte == ascii("\r") || byte == 0x0b
            || byte == 0x0c
    }

    /// Letters, `_` and every non-ASCII byte start an identifier, as in PostgreSQL.
    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= ascii("a") && byte <= ascii("z")) || (byte >= ascii("A") && byte <= ascii("Z"))
            || byte == ascii("_") || byte >= 0x80
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= ascii("0") && byte <= ascii("9")) || byte == ascii("$")
    }
}

private func ascii(_ character: Unicode.Scalar) -> UInt8 {
    UInt8(ascii: character)
}
