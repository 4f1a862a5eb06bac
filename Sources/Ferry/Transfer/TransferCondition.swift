/// The check of a transfer's condition (`--where`) before it joins the
/// transfer's statements as `… AND (condition)`.
///
/// The condition is the engine's SQL, pasted into every statement of the
/// transfer after the owner's test. A `)` that closes more than the
/// condition opened would end that parenthesis early, and whatever follows
/// it (`1=1) OR (1=1`) would no longer be bound to the source entity: rows
/// of other entities would move. So the condition must be one piece: its
/// parentheses balanced, no `;`, no quote or comment left open, read as
/// the engine reads quotes and comments: SQLite's `'…'`, `"…"`, names in
/// backquotes and `[…]`, `--` and `/* … */`; PostgreSQL's `'…'`, `E'…'` with
/// backslashes, `$tag$…$tag$` and `"…"`, `--` and nested `/* … */`.
public enum TransferCondition {
    /// How an engine reads quotes and comments.
    public enum Quoting: Sendable {
        /// SQLite's: `'…'`, `"…"`, names in backquotes, `[…]`; comments that do not nest.
        case sqlite
        /// PostgreSQL's: `'…'`, `E'…'`, `$tag$…$tag$`, `"…"`; comments that nest.
        case postgres
    }

    /// Why the condition cannot be used, in a few words; nil when it can.
    static func fault(of condition: String, quoting: Quoting) -> String? {
        let postgres = quoting == .postgres
        let bytes = Array(condition.utf8)
        var depth = 0
        var index = 0
        func next(_ offset: Int = 1) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "("):
                depth += 1
                index += 1
            case UInt8(ascii: ")"):
                guard depth > 0 else { return "a ')' closes a parenthesis it did not open" }
                depth -= 1
                index += 1
            case UInt8(ascii: ";"):
                return "it holds a ';', which would end the statement"
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // PostgreSQL's `E'…'` takes backslash escapes.
                let escapes =
                    postgres && byte == UInt8(ascii: "'") && index > 0
                    && bytes[index - 1] | 0x20 == UInt8(ascii: "e")
                    && (index < 2 || !isWordByte(bytes[index - 2]))
                guard let end = closing(byte, in: bytes, from: index + 1, backslashes: escapes)
                else { return "a quote is left open" }
                index = end + 1
            case UInt8(ascii: "`") where !postgres:
                guard let end = closing(byte, in: bytes, from: index + 1, backslashes: false)
                else { return "a quote is left open" }
                index = end + 1
            case UInt8(ascii: "[") where !postgres:
                guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "]")) else {
                    return "a '[' is left open"
                }
                index = end + 1
            case UInt8(ascii: "-") where next() == UInt8(ascii: "-"):
                index = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            case UInt8(ascii: "/") where next() == UInt8(ascii: "*"):
                // SQLite's comment ends at the first `*/`; PostgreSQL's nest.
                var nesting = 0
                repeat {
                    if bytes[index] == UInt8(ascii: "/"), next() == UInt8(ascii: "*") {
                        nesting = postgres ? nesting + 1 : 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), next() == UInt8(ascii: "/") {
                        nesting -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                } while nesting > 0 && index < bytes.count
                guard nesting == 0 else { return "a comment is left open" }
            case UInt8(ascii: "$") where postgres && (index == 0 || !isWordByte(bytes[index - 1])):
                // `$tag$…$tag$`; `$1` is a parameter, not a quote.
                guard
                    let tagEnd = bytes[(index + 1)...].firstIndex(where: { !isWordByte($0) }),
                    bytes[tagEnd] == UInt8(ascii: "$"),
                    tagEnd == index + 1 || !isDigit(bytes[index + 1])
                else {
                    index += 1
                    continue
                }
                let tag = bytes[index...tagEnd]
                var search = tagEnd + 1
                var end: Int?
                while search + tag.count <= bytes.count {
                    if bytes[search..<(search + tag.count)].elementsEqual(tag) {
                        end = search + tag.count
                        break
                    }
                    search += 1
                }
                guard let end else { return "a $…$ quote is left open" }
                index = end
            default:
                index += 1
            }
        }
        return depth == 0 ? nil : "a '(' is left open"
    }

    /// The index of the quote that closes one opened just before `start`:
    /// the same character not doubled (and not after a backslash, where
    /// backslashes escape); nil when there is none.
    private static func closing(
        _ quote: UInt8, in bytes: [UInt8], from start: Int, backslashes: Bool
    ) -> Int? {
        var index = start
        while index < bytes.count {
            if backslashes && bytes[index] == UInt8(ascii: "\\") {
                index += 2
            } else if bytes[index] == quote {
                guard index + 1 < bytes.count, bytes[index + 1] == quote else { return index }
                index += 2
            } else {
                index += 1
            }
        }
        return nil
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
