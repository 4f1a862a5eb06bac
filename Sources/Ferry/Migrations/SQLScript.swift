import Foundation

/// The text of an SQL script and where it came from.
public struct SQLScript: Sendable, Hashable {
    /// The script's text, run as it is.
    public let text: String
    /// The file as the user knows it, such as `0.7.0/001_rename.sql`, for
    /// messages; nil for SQL given in code.
    public let file: String?

    /// The SHA-256 of the script's UTF-8 bytes with line endings and a
    /// byte-order mark made alike (see ``Checksum/normalizedSHA256(_:)``):
    /// a checkout that turned `\n` into `\r\n`, or an editor that added a
    /// byte-order mark, changes no checksum.
    public let checksum: String
    /// The SHA-256 of the script's bytes as read, which Ferry recorded before
    /// line endings were ignored: a history row holding it still matches.
    /// The same as ``checksum`` for a script with no carriage return and no
    /// byte-order mark.
    public let legacyChecksum: String

    /// Creates a script. A byte-order mark at the start is not part of the
    /// text run (no engine reads it as SQL).
    public init(text: String, file: String? = nil) {
        let normalized = Checksum.normalizedSHA256(text)
        self.text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        self.file = file
        self.checksum = normalized.checksum
        self.legacyChecksum = normalized.legacy
    }

    /// The `-- ferry:NAME` option lines in the script's leading comments.
    ///
    /// Options stop at the first line that is neither blank nor a `--`
    /// comment, so a `-- ferry:` text further down the script is not read as
    /// an option.
    public var headerOptions: [String] {
        // Most scripts start with a statement: no option, and no need to walk their lines.
        let firstByte = text.utf8.first {
            $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\n")
                && $0 != UInt8(ascii: "\r")
        }
        if let firstByte, firstByte > 0x20, firstByte < 0x80, firstByte != UInt8(ascii: "-") {
            return []
        }
        var options: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let end = rest.firstIndex(where: \.isNewline) ?? rest.endIndex
            let line = Self.trimmingBlanks(rest[..<end])
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }
            let comment = Self.trimmingBlanks(line.dropFirst(2))
            if comment.hasPrefix("ferry:") {
                options.append(String(Self.trimmingBlanks(comment.dropFirst("ferry:".count))))
            }
        }
        return options
    }

    /// The text without the characters of `CharacterSet.whitespaces` (tab and
    /// the Unicode space separators) at either end, as
    /// `trimmingCharacters(in: .whitespaces)` gives it, without bridging to
    /// `NSString`: reading a folder of thousands of migrations spent most of
    /// its time there.
    private static func trimmingBlanks(_ text: Substring) -> Substring {
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar == " "
                || (scalar.value > 0x7f && scalar.properties.generalCategory == .spaceSeparator)
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }) else {
            return text[text.endIndex...]
        }
        let last = scalars.lastIndex(where: { !isBlank($0) })!
        return Substring(scalars[first...last])
    }

    /// A statement as an error shows it: on one line, cut after 300
    /// characters. Every engine shows a failing statement this way.
    package static func shortened(_ statement: String) -> String {
        let oneLine = statement.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return oneLine.count > 300 ? String(oneLine.prefix(300)) + " …" : oneLine
    }

    /// The 1-based line number of a position in ``text``.
    public func line(at index: String.Index) -> Int {
        text[..<index].utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    /// The first position at or after `index` that starts a statement: white
    /// space, semicolons and comments are skipped.
    public func statementStart(from index: String.Index) -> String.Index {
        var position = index
        let end = text.endIndex
        while position < end {
            let character = text[position]
            if character.isWhitespace || character == ";" {
                position = text.index(after: position)
            } else if text[position...].hasPrefix("--") {
                position = text[position...].firstIndex(where: \.isNewline) ?? end
            } else if text[position...].hasPrefix("/*") {
                let afterOpening = text.index(position, offsetBy: 2)
                position = text.range(of: "*/", range: afterOpening..<end)?.upperBound ?? end
            } else {
                break
            }
        }
        return position
    }
}
