import Foundation
import GRDBSQLite

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

    /// Adds bytes; calls `emit` with each complete statement (its bytes, valid
    /// during the call, up to and with its `;`) and the line it ends on.
    /// `isLast` says that no more bytes follow.
    mutating func feed(
        _ bytes: some Collection<UInt8>, isLast: Bool = false,
        emit: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        if start > 0 {
            pending.removeFirst(start)
            position -= start
            start = 0
        }
        pending.append(contentsOf: bytes)
        // Scan through a buffer pointer: a dump has hundreds of millions of bytes, and checked
        // array accesses to a stored property cost more than the scan itself.
        let scanned = pending
        try scanned.withUnsafeBufferPointer { buffer in try scan(buffer, isLast: isLast, emit: emit)
        }
    }

    private mutating func scan(
        _ pending: UnsafeBufferPointer<UInt8>, isLast: Bool,
        emit: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        let end = pending.count
        while position < end {
            let byte = pending[position]
            // A two-byte token may straddle two pieces: wait for the next one.
            let next: UInt8? = position + 1 < end ? pending[position + 1] : nil
            if next == nil, !isLast,
                byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "*")
            {
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
                    let text = UnsafeBufferPointer(rebasing: pending[start...position])
                    if isComplete(text) {
                        try emit(text, line)
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
    ///
    /// The text ends in a `;` outside quotes and comments. Only a `CREATE TRIGGER` can go on
    /// past such a `;`, so an `INSERT` (nearly all of a dump, and up to 256 KiB each) is
    /// complete without asking `sqlite3_complete` to scan it again.
    private func isComplete(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let first = text.firstIndex { !Self.isASCIIWhitespace($0) } ?? text.endIndex
        let insert = Array("insert".utf8)
        if text.endIndex - first > insert.count,
            zip(text[first..<first + insert.count], insert).allSatisfy({ $0 | 0x20 == $1 }),
            Self.isASCIIWhitespace(text[first + insert.count])
        {
            return true
        }
        var candidate = Array(text)
        candidate.append(0)
        return candidate.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sqlite3_complete($0.baseAddress) != 0 }
        }
    }

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    /// The bytes without the ASCII blanks around them.
    static func trimmedBytes(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let first = text.firstIndex { !isASCIIWhitespace($0) } ?? text.endIndex
        let last = text.lastIndex { !isASCIIWhitespace($0) }.map { $0 + 1 } ?? first
        return UnsafeBufferPointer(rebasing: text[first..<max(first, last)])
    }

    /// The statement's text without the blanks around it, as
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives it, but
    /// without that call's cost on a large statement when the blanks are ASCII.
    static func trimmed(_ text: UnsafeBufferPointer<UInt8>) -> String {
        let first = text.firstIndex { !isASCIIWhitespace($0) } ?? text.endIndex
        let last = text.lastIndex { !isASCIIWhitespace($0) }.map { $0 + 1 } ?? first
        let statement = String(
            decoding: UnsafeBufferPointer(rebasing: text[first..<max(first, last)]), as: UTF8.self)
        // A non-ASCII byte at either end may begin or end other Unicode whitespace.
        let ends = [first < last ? text[first] : 0, first < last ? text[last - 1] : 0]
        return ends.contains { $0 >= 0x80 }
            ? statement.trimmingCharacters(in: .whitespacesAndNewlines) : statement
    }

    /// What is left after the last complete statement, if anything.
    func remainder() -> String? {
        start < pending.count ? String(decoding: pending[start...], as: UTF8.self) : nil
    }
}
