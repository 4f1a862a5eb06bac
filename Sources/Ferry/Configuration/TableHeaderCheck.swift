/// Finds a TOML table header with no name (a line `[`, `[[`, `[ # note`) before
/// the TOML parser sees the file.
///
/// toml++ (under TOMLKit) asserts, rather than reports, when a header's first
/// character after the brackets can start no key: a debug build aborts and an
/// optimised one reads it as undefined behaviour. The fuzzer found it with a
/// `ferry.toml` holding the line `[`. This scan knows just enough TOML to tell a
/// header from an array that spans lines: strings (one-line and multi-line,
/// basic and literal), comments, and the depth of open arrays and inline tables.
package enum TableHeaderCheck {
    /// The 1-based line of the first header whose name cannot start, or nil.
    ///
    /// - Parameter text: The file's text.
    /// - Returns: The line number, or nil when every header starts a key,
    ///   closes at once (which the parser refuses itself) or the text ends.
    package static func lineOfNamelessHeader(in text: String) -> Int? {
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        var depth = 0
        var atLineStart = true

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
            case UInt8(ascii: "[") where depth == 0 && atLineStart:
                var next = index + 1
                if byte(next) == UInt8(ascii: "[") { next += 1 }
                while byte(next) == UInt8(ascii: " ") || byte(next) == UInt8(ascii: "\t") {
                    next += 1
                }
                if let first = byte(next), !canFollowHeaderBracket(first) { return line }
                // A header's quoted keys cannot hold a line break: the rest of the line is its own.
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                atLineStart = false
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                atLineStart = false
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
                atLineStart = false
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
