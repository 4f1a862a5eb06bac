/// Statements that begin or end a transaction, which a script run inside
/// Ferry's transaction must not hold.
///
/// The migrations of an upgrade (and its hooks, and an import's load) run
/// in one transaction that Ferry begins and commits: a `COMMIT` in a
/// script would commit the part before it for good (and, on PostgreSQL,
/// let go of the upgrade lock, which is the transaction's), so that a
/// later failure could no longer undo it; a `ROLLBACK` would undo what
/// Ferry recorded. Each engine's script runner asks before it runs a
/// statement in a transaction, and refuses such a statement, so that the
/// upgrade rolls back whole. Savepoints (`SAVEPOINT`, `RELEASE`,
/// `ROLLBACK TO`) stay inside the transaction and are run.
public enum TransactionStatement {
    /// The statement's first words when it begins or ends a transaction
    /// (`BEGIN`, `COMMIT`, `END`, `ROLLBACK` without `TO`, and
    /// PostgreSQL's `START TRANSACTION`, `ABORT`, `PREPARE TRANSACTION`),
    /// upper-cased; nil for any other statement.
    ///
    /// - Parameter statement: One statement's text; comments and white
    ///   space before its first word are skipped.
    public static func words(of statement: some StringProtocol) -> String? {
        let words = leadingWords(of: Substring(statement), count: 3)
        guard let first = words.first else { return nil }
        switch first {
        case "BEGIN", "COMMIT", "END", "ABORT":
            return first
        case "START", "PREPARE":
            return words.dropFirst().first == "TRANSACTION" ? first + " TRANSACTION" : nil
        case "ROLLBACK":
            // ROLLBACK [TRANSACTION | WORK] TO [SAVEPOINT] name stays inside the transaction.
            let rest = words.dropFirst().drop { $0 == "TRANSACTION" || $0 == "WORK" }
            return rest.first == "TO" ? nil : first
        default:
            return nil
        }
    }

    /// The refusal of a statement that begins or ends a transaction, in a
    /// script that runs inside Ferry's.
    ///
    /// - Parameters:
    ///   - words: What ``words(of:)`` found.
    ///   - script: The script that holds the statement.
    ///   - line: The line where the statement starts.
    ///   - statement: The statement's text, for the error's location.
    public static func refusal(
        _ words: String, in script: SQLScript, line: Int, statement: String
    ) -> FerryError {
        FerryError(
            .migrationFailed,
            "\(script.file ?? "The SQL given in code") holds \(words) (line \(line)), inside the transaction "
                + "Ferry runs it in: Ferry begins and commits that transaction itself (an upgrade's migrations "
                + "are applied in one, all or nothing), and a statement that begins or ends one there would "
                + "commit or undo part of it. The statement was not run.",
            advice:
                "Remove the transaction's own statements (BEGIN, COMMIT, END, ROLLBACK) from the script; "
                + "savepoints may stay. A migration that must run outside any transaction says so in its "
                + "first line: -- ferry:no-transaction.",
            location: FerryError.ScriptLocation(
                file: script.file ?? "SQL given in code", line: line,
                statement: SQLScript.shortened(statement)))
    }

    /// Up to `count` words at the start of the text, upper-cased, skipping
    /// white space, `--` comments and `/* */` comments around them.
    private static func leadingWords(of text: Substring, count: Int) -> [String] {
        var words: [String] = []
        var rest = text.utf8[...]
        while words.count < count, let byte = rest.first {
            if byte == UInt8(ascii: "-"), rest.dropFirst().first == UInt8(ascii: "-") {
                rest = rest.drop { $0 != UInt8(ascii: "\n") }
            } else if byte == UInt8(ascii: "/"), rest.dropFirst().first == UInt8(ascii: "*") {
                let body = rest.dropFirst(2)
                var end = body.startIndex
                var found = false
                while end < body.endIndex {
                    if body[end] == UInt8(ascii: "*"),
                        body.index(after: end) < body.endIndex,
                        body[body.index(after: end)] == UInt8(ascii: "/")
                    {
                        found = true
                        break
                    }
                    end = body.index(after: end)
                }
                rest = found ? body[body.index(end, offsetBy: 2)...] : body[body.endIndex...]
            } else if isLetter(byte) {
                let word = rest.prefix { isLetter($0) || $0 == UInt8(ascii: "_") }
                words.append(String(decoding: word, as: UTF8.self).uppercased())
                rest = rest.dropFirst(word.count)
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == 0x0B || byte == 0x0C
            {
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        return words
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
}
