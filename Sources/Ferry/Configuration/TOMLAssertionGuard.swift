/// Finds, before the TOML parser sees a file, the two shapes on which
/// toml++ (under TOMLKit) asserts rather than reports: a debug build aborts
/// and an optimised one reads on as undefined behaviour (`ferry` exited 134
/// on both). The fuzzer found each from a `ferry.toml`:
/// - a table header with no name (a line `[`, `[[`, `[ # note`), whose first
///   character after the brackets can start no key;
/// - a `}` where an array expects a value (`a = [}`, `a = [1, }`, across
///   lines and comments too).
///
/// The scan knows just enough TOML to tell a header from an array that spans
/// lines: strings (one-line and multi-line, basic and literal), comments, and
/// which arrays and inline tables are open.
package enum TOMLAssertionGuard {
    /// A shape the parser would assert on.
    package struct Trap: Equatable, Sendable {
        /// The 1-based line.
        package var line: Int
        /// What is wrong, as a clause: "the table header has no name (write [name])".
        package var problem: String
    }

    /// The first shape in `text` that toml++ would assert on, or nil.
    ///
    /// - Parameter text: The file's text.
    /// - Returns: The first trap; nil when there is none (what else is wrong,
    ///   the parser reports itself).
    package static func firstTrap(in text: String) -> Trap? {
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        // The open arrays (true) and inline tables (false), innermost last.
        var open: [Bool] = []
        // Whether the innermost array is just after its `[` or a comma.
        var expectsValue = false
        var atLineStart = true
        let namelessHeader = "the table header has no name (write [name])"
        let closedInArray = "an array holds a '}' where a value or its closing ']' should be"

        func byte(_ offset: Int) -> UInt8? {
            offset < bytes.count ? bytes[offset] : nil
        }
        // Moves past a string that starts at `index`, counting its lines.
        func skipString(quote: UInt8) {
            let triple = byte(index + 1) == quote && byte(index + 2) == quote
            index += triple ? 3 : 1
            while index < bytes.count {
                let current = bytes[index]
                if current == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                    if byte(index + 1) == UInt8(ascii: "\n") { line += 1 }
                    index += 2
                    continue
                }
                if current == UInt8(ascii: "\n") {
                    // A one-line string cannot go on: the parser reports it.
                    guard triple else { return }
                    line += 1
                }
                if current == quote {
                    if !triple {
                        index += 1
                        return
                    }
                    if byte(index + 1) == quote && byte(index + 2) == quote {
                        index += 3
                        // Up to two more quotes belong to the string's text.
                        while byte(index) == quote { index += 1 }
                        return
                    }
                }
                index += 1
            }
        }

        while index < bytes.count {
            let current = bytes[index]
            let significant =
                current != UInt8(ascii: "\n") && current != UInt8(ascii: " ")
                && current != UInt8(ascii: "\t") && current != UInt8(ascii: "\r")
                && current != UInt8(ascii: "#")
            if significant, expectsValue, open.last == true {
                if current == UInt8(ascii: "}") { return Trap(line: line, problem: closedInArray) }
                expectsValue = false
            }
            switch current {
            case UInt8(ascii: "\n"):
                line += 1
                atLineStart = true
                index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString(quote: current)
                atLineStart = false
            case UInt8(ascii: "[") where open.isEmpty && atLineStart:
                var next = index + 1
                if byte(next) == UInt8(ascii: "[") { next += 1 }
                while byte(next) == UInt8(ascii: " ") || byte(next) == UInt8(ascii: "\t") {
                    next += 1
                }
                if let first = byte(next), !canFollowHeaderBracket(first) {
                    return Trap(line: line, problem: namelessHeader)
                }
                // A header's quoted keys cannot hold a line break: the rest of the line is its own.
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                atLineStart = false
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                open.append(current == UInt8(ascii: "["))
                expectsValue = current == UInt8(ascii: "[")
                atLineStart = false
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = open.popLast()
                atLineStart = false
                index += 1
            case UInt8(ascii: ",") where open.last == true:
                expectsValue = true
                index += 1
            default:
                atLineStart = false
                index += 1
            }
        }
        return nil
    }

    /// A bare key's first character, a quote, or the `]` the parser refuses itself.
    private static func canFollowHeaderBracket(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"),
            UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}
