import Foundation

/// What the layout readers share: listing a folder, reading a script, and
/// the errors that name a file.
enum LayoutFiles {
    /// The names in a folder, files and folders apart, without hidden ones.
    ///
    /// - Throws: ``FerryError`` when the folder cannot be read.
    static func entries(in folder: URL) throws -> (files: [String], folders: [String]) {
        var files: [String] = []
        var folders: [String] = []
        let isReadable = DirectoryEntries.forEach(in: folder.path) { bytes, kind in
            let name = String(decoding: bytes, as: UTF8.self)
            guard !name.hasPrefix(".") else { return }
            if kind == .folder { folders.append(name) } else { files.append(name) }
        }
        guard isReadable else {
            throw FerryError(
                .invalidConfiguration,
                "Cannot read the migrations folder \(folder.path): it does not exist or is not readable.",
                advice: "Check \(.migrations).")
        }
        return (files.sorted(), folders.sorted())
    }

    /// The files of a folder, or none when it does not exist or cannot be read.
    static func files(in folder: URL) -> [String] {
        (try? entries(in: folder).files) ?? []
    }

    /// Reads a script, shown in messages as `shown`.
    ///
    /// - Throws: ``FerryError`` when it cannot be read or is not UTF-8.
    static func script(_ url: URL, shown: String) throws -> SQLScript {
        try MigrationFolder.script(at: url.path, shown: shown)
    }

    /// The first bytes of a file as text, for recognizing a layout by the
    /// marks its tool writes inside files.
    static func head(of url: URL, bytes: Int = 4096) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: bytes)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The error for a file that its tool would refuse too.
    static func invalid(_ shown: String, _ problem: String, advice: String) -> FerryError {
        FerryError(.invalidMigrations, "\(shown): \(problem)", advice: advice)
    }

    /// The lines of a text, split at `\n`, `\r\n` or `\r`, without their ends.
    static func lines(of text: String) -> [Substring] {
        linesWithEnds(of: text).map(\.line)
    }

    /// The lines of a text, each with its end as written (`\n`, `\r\n`,
    /// `\r`, or nothing for the last), so that a part of a file keeps its
    /// bytes: a line end inside a string literal is data.
    static func linesWithEnds(of text: String) -> [(line: Substring, end: Substring)] {
        var lines: [(line: Substring, end: Substring)] = []
        var start = text.startIndex
        var index = start
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index].isNewline {
                lines.append((text[start..<index], text[index..<next]))
                start = next
            }
            index = next
        }
        lines.append((text[start...], ""))
        return lines
    }

    /// The text with every line outside `range` emptied (its end kept), so
    /// that a part of a file keeps the file's line numbers in messages and
    /// its own bytes.
    static func keeping(lines range: Range<Int>, of text: String) -> String {
        var kept = ""
        for (index, line) in linesWithEnds(of: text).enumerated().prefix(range.upperBound) {
            if range.contains(index) { kept += line.line }
            kept += line.end
        }
        return kept
    }

    /// A migration whose up and down parts are line ranges of one file
    /// (goose, dbmate). Each part keeps the file's line numbers; an empty
    /// down part reverts nothing, so it is no down script (a downgrade then
    /// restores the backup); the checksum covers the whole file, which is
    /// one unit for its tool.
    static func migration(
        version: String, name: String, of whole: SQLScript, up: Range<Int>, down: Range<Int>?,
        transaction: Migration.Transaction
    ) -> LayoutMigration {
        func part(_ lines: Range<Int>) -> SQLScript {
            SQLScript(text: keeping(lines: lines, of: whole.text), file: whole.file)
        }
        let downScript = down.map(part)
        var migration = LayoutMigration(
            version: version, name: name, up: part(up),
            down: downScript.flatMap { isEmpty($0) ? nil : $0 }, transaction: transaction)
        migration.checksum = whole.checksum
        migration.legacyChecksum = whole.legacyChecksum
        return migration
    }

    /// The script without a first line `BEGIN;` and a last line `COMMIT;`
    /// (or another of `closing`), both emptied so that line numbers stay:
    /// a tool that runs a script outside a transaction lets its author wrap
    /// it in one (Sqitch's templates do, golang-migrate's users often do),
    /// and Ferry runs the rest inside its own, where those two statements
    /// would end it (``TransactionStatement``).
    static func unwrapped(_ script: SQLScript, closing: Set<String>) -> (
        script: SQLScript, wasWrapped: Bool
    ) {
        var lines = LayoutFiles.linesWithEnds(of: script.text)
        func statement(_ line: Substring) -> String {
            line.trimmingCharacters(in: .whitespaces).uppercased()
                .replacingOccurrences(of: " ", with: "")
        }
        func isCode(_ line: Substring) -> Bool {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("--")
        }
        guard let first = lines.firstIndex(where: { isCode($0.line) }),
            let last = lines.lastIndex(where: { isCode($0.line) }), first < last,
            ["BEGIN;", "BEGINTRANSACTION;", "BEGINWORK;", "STARTTRANSACTION;"].contains(
                statement(lines[first].line)),
            closing.contains(where: { statement(lines[last].line) == $0 + ";" })
        else { return (script, false) }
        // Emptied, their line ends kept: the other lines keep their numbers and their bytes.
        lines[first].line = ""
        lines[last].line = ""
        let text = lines.map { String($0.line) + String($0.end) }.joined()
        return (SQLScript(text: text, file: script.file), true)
    }

    /// Whether a script holds nothing but blanks and comments.
    static func isEmpty(_ script: SQLScript) -> Bool {
        script.statementStart(from: script.text.startIndex) == script.text.endIndex
    }

    /// Digits compared as numbers of any size: `010` equals `10`, `9` comes
    /// before `10`.
    static func numericLess(_ left: Substring, _ right: Substring) -> Bool {
        let a = left.drop { $0 == "0" }
        let b = right.drop { $0 == "0" }
        return a.count != b.count ? a.count < b.count : a < b
    }

    /// Whether text is one or more ASCII digits.
    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The text of a timestamp version, `YYYYMMDDHHMMSS` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02d%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!,
            parts.minute!, parts.second!)
    }
}
