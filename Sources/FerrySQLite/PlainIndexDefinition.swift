/// A `CREATE INDEX` statement whose index any rows of its table build: not
/// `UNIQUE`, no `WHERE`, and each key a column (with an optional `COLLATE`
/// and `ASC`/`DESC`), no expression.
///
/// Building such an index sorts the table's values and cannot refuse any of
/// them: what can fail (a missing table, column or collation, a name taken)
/// fails when the statement is compiled. So the check of a new SQL backup
/// compiles these statements in the loaded copy instead of building them,
/// which took a fifth of the check; a `UNIQUE` index, a partial one and one
/// on expressions (which may raise an error for some row) are built. A
/// restore builds every index.
enum PlainIndexDefinition {
    /// Whether `statement` (one statement, its `;` allowed) is such a
    /// definition. Anything this reading does not recognise is not.
    static func matches(_ statement: String) -> Bool {
        var tokens = Tokens(Array(statement.utf8))
        guard tokens.keyword("CREATE"), tokens.keyword("INDEX") else { return false }
        if tokens.keyword("IF") {
            guard tokens.keyword("NOT"), tokens.keyword("EXISTS") else { return false }
        }
        guard tokens.name() else { return false }
        if tokens.punctuation(UInt8(ascii: ".")) {
            guard tokens.name() else { return false }
        }
        guard tokens.keyword("ON"), tokens.name(), tokens.punctuation(UInt8(ascii: "("))
        else { return false }
        repeat {
            guard tokens.name() else { return false }
            if tokens.keyword("COLLATE") {
                guard tokens.name() else { return false }
            }
            _ = tokens.keyword("ASC") || tokens.keyword("DESC")
        } while tokens.punctuation(UInt8(ascii: ","))
        guard tokens.punctuation(UInt8(ascii: ")")) else { return false }
        _ = tokens.punctuation(UInt8(ascii: ";"))
        return tokens.atEnd
    }

    /// The statement's tokens, read one at a time: words, quoted names and
    /// single punctuation marks; anything else stops the reading.
    private struct Tokens {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool {
            mutating get {
                skipBlanks()
                return position == bytes.count
            }
        }

        /// Moves past a bare word that is `word`, in any case.
        mutating func keyword(_ word: StaticString) -> Bool {
            let start = position
            guard let range = bareWord(),
                range.count == word.utf8CodeUnitCount,
                zip(bytes[range], UnsafeBufferPointer(start: word.utf8Start, count: range.count))
                    .allSatisfy({ $0 & 0xDF == $1 })
            else {
                position = start
                return false
            }
            return true
        }

        /// Moves past a name: a bare word, or one in `"…"`, `[…]` or `` `…` ``.
        mutating func name() -> Bool {
            skipBlanks()
            guard position < bytes.count else { return false }
            let close: UInt8
            switch bytes[position] {
            case UInt8(ascii: "\""): close = UInt8(ascii: "\"")
            case UInt8(ascii: "`"): close = UInt8(ascii: "`")
            case UInt8(ascii: "["): close = UInt8(ascii: "]")
            default: return bareWord() != nil
            }
            guard
                let end = bytes.withUnsafeBufferPointer({
                    QuotedName.end(in: $0, from: position, closing: close)
                })
            else { return false }
            position = end
            return true
        }

        mutating func punctuation(_ mark: UInt8) -> Bool {
            skipBlanks()
            guard position < bytes.count, bytes[position] == mark else { return false }
            position += 1
            return true
        }

        /// A word of letters, digits, `_`, `$` and non-ASCII bytes, not starting with a digit.
        private mutating func bareWord() -> Range<Int>? {
            skipBlanks()
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                let isLetter =
                    (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                guard
                    isLetter || byte == UInt8(ascii: "_") || byte >= 0x80
                        || (position > start && (isDigit || byte == UInt8(ascii: "$")))
                else { break }
                position += 1
            }
            return position > start ? start..<position : nil
        }

        /// Skips blanks; a comment is not a blank here (it ends the reading).
        private mutating func skipBlanks() {
            while position < bytes.count,
                [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
                    .contains(bytes[position])
            {
                position += 1
            }
        }
    }
}
