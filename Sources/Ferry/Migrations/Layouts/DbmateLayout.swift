import Foundation

/// Reads a dbmate folder as dbmate does.
///
/// Files whose names start with a digit and end in `.sql`, in the folder
/// itself; the version is the leading digits, and migrations run in the
/// order of the file names as text (as dbmate sorts them). A file holds a
/// `-- migrate:up` part and a `-- migrate:down` part, both required (the
/// down part may be empty); `transaction:false` after either marker runs
/// that part outside a transaction (other options are left alone, as dbmate
/// leaves them). Statements before `-- migrate:up` are
/// refused, as dbmate refuses them.
public enum DbmateLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.dbmate

    /// Whether a file's first lines hold a dbmate marker.
    static func isMarked(_ head: String) -> Bool {
        LayoutFiles.lines(of: head).contains { marker(in: $0) != nil }
    }

    /// A marker line's direction and options (`transaction:false`), or nil.
    static func marker(in line: Substring) -> (isUp: Bool, options: [String])? {
        guard line.hasPrefix("--") else { return nil }
        let words = line.dropFirst(2).split(whereSeparator: \.isWhitespace)
        guard let first = words.first, first == "migrate:up" || first == "migrate:down" else {
            return nil
        }
        return (first == "migrate:up", words.dropFirst().map(String.init))
    }

    public static func recognizes(_ folder: URL) -> Bool {
        LayoutFiles.files(in: folder).contains { file in
            file.first?.isNumber == true && file.hasSuffix(".sql")
                && isMarked(LayoutFiles.head(of: folder.appendingPathComponent(file)))
        }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        let files = try LayoutFiles.entries(in: folder).files.filter {
            $0.first.map { $0.isASCII && $0.isNumber } == true && $0.hasSuffix(".sql")
        }
        var versions: [String: String] = [:]
        return try files.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }).map {
            file in
            let version = String(file.prefix { $0.isASCII && $0.isNumber })
            if let twin = versions.updateValue(file, forKey: version) {
                throw LayoutFiles.invalid(
                    file, "dbmate found another migration of version \(version) (\(twin)).",
                    advice: "Give each migration its own version.")
            }
            let whole = try LayoutFiles.script(folder.appendingPathComponent(file), shown: file)
            return try parse(whole, version: version, name: String(file.dropLast(".sql".count)))
        }
    }

    /// Splits a dbmate file into its up and down parts.
    static func parse(_ whole: SQLScript, version: String, name: String) throws -> LayoutMigration {
        let shown = whole.file ?? name
        let lines = LayoutFiles.lines(of: whole.text)
        var up: (line: Int, options: [String])?
        var down: (line: Int, options: [String])?
        for (index, line) in lines.enumerated() {
            guard let marker = marker(in: line) else {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if up == nil, !trimmed.isEmpty, !trimmed.hasPrefix("--") {
                    throw LayoutFiles.invalid(
                        shown,
                        "line \(index + 1) is outside the '-- migrate:up' and '-- migrate:down' parts: dbmate refuses it.",
                        advice: "Move the statement below '-- migrate:up'.")
                }
                continue
            }
            if marker.isUp {
                guard up == nil, down == nil else {
                    throw LayoutFiles.invalid(
                        shown,
                        "line \(index + 1): a second '-- migrate:up', or one after '-- migrate:down'.",
                        advice: "Write one '-- migrate:up' part, then one '-- migrate:down' part.")
                }
                up = (index, marker.options)
            } else {
                guard up != nil, down == nil else {
                    throw LayoutFiles.invalid(
                        shown,
                        "line \(index + 1): '-- migrate:down' before '-- migrate:up', or twice.",
                        advice: "Write one '-- migrate:up' part, then one '-- migrate:down' part.")
                }
                down = (index, marker.options)
            }
        }
        guard let up else {
            throw LayoutFiles.invalid(
                shown, "has no '-- migrate:up' part: dbmate requires one.",
                advice: "Start the migration with '-- migrate:up'.")
        }
        guard let down else {
            throw LayoutFiles.invalid(
                shown, "has no '-- migrate:down' part: dbmate requires one (it may be empty).",
                advice: "End the migration with '-- migrate:down' and the SQL that reverts it.")
        }
        return LayoutFiles.migration(
            version: version, name: name, of: whole, up: up.line..<down.line,
            down: down.line..<lines.count,
            transaction: up.options.contains("transaction:false") ? .none : .shared)
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        // `dbmate new` names by the time; dbmate requires the down part, so it is always written.
        var version = LayoutFiles.timestamp(now)
        if let newest = existing.map(\.version).max(by: {
            LayoutFiles.numericLess($0[...], $1[...])
        }),
            !LayoutFiles.numericLess(newest[...], version[...])
        {
            version = String((UInt64(newest) ?? 0) + 1)
        }
        return [
            NewMigrationFile(
                url: folder.appendingPathComponent("\(version)_\(name).sql"),
                contents: "-- migrate:up\n\n\n-- migrate:down\n\n")
        ]
    }
}
