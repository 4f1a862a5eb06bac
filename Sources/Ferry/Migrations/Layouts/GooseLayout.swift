import Foundation

/// Reads a goose folder as goose does.
///
/// `<version>_<name>.sql` in the folder itself; the version is a positive
/// 64-bit number and migrations run in numeric order. A file starts its up
/// part with `-- +goose Up` and may end with a `-- +goose Down` part;
/// `-- +goose StatementBegin` / `StatementEnd` keep a statement with
/// semicolons inside (a function body) whole, and `-- +goose NO
/// TRANSACTION` runs the migration outside a transaction. Annotations are
/// read as goose reads them: at the start of a line, in any case; an
/// unknown one is refused. Migrations written in Go (`.go` files) cannot
/// run without their program and are refused.
public enum GooseLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.goose

    /// Whether a file's first lines hold a goose annotation.
    static func isMarked(_ head: String) -> Bool {
        LayoutFiles.lines(of: head).contains { annotation(in: $0) != nil }
    }

    /// The annotation of a line (`up`, `down`, `statementbegin`, …, lower
    /// case, spaces kept single), or nil when the line is not one.
    static func annotation(in line: Substring) -> String? {
        guard line.hasPrefix("--") else { return nil }
        let comment = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
        guard comment.lowercased().hasPrefix("+goose") else { return nil }
        return comment.dropFirst("+goose".count).split(whereSeparator: \.isWhitespace)
            .joined(separator: " ").lowercased()
    }

    /// The version of a file name, or nil when it does not start with digits and `_`.
    static func version(of fileName: String) -> Int64? {
        guard let separator = fileName.firstIndex(of: "_") else { return nil }
        return Int64(fileName[..<separator])
    }

    public static func recognizes(_ folder: URL) -> Bool {
        LayoutFiles.files(in: folder).contains { file in
            file.hasSuffix(".sql") && version(of: file) != nil
                && isMarked(LayoutFiles.head(of: folder.appendingPathComponent(file)))
        }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        var found: [Int64: String] = [:]
        for file in try LayoutFiles.entries(in: folder).files {
            guard file.hasSuffix(".sql") || file.hasSuffix(".go") else { continue }
            guard let version = version(of: file), version > 0 else {
                throw LayoutFiles.invalid(
                    file,
                    "goose expects a name that starts with a positive whole number and '_' (such as 00001_create_users.sql).",
                    advice: "Rename the file, or move it out of the migrations folder.")
            }
            guard file.hasSuffix(".sql") else {
                throw LayoutFiles.invalid(
                    file, "is a migration written in Go, which runs only inside its program.",
                    advice:
                        "Rewrite it as SQL (a .sql file), or register it in Swift in the application."
                )
            }
            if let twin = found[version] {
                throw LayoutFiles.invalid(
                    file, "goose found another migration of version \(version) (\(twin)).",
                    advice: "Give each migration its own version.")
            }
            found[version] = file
        }
        return try found.keys.sorted().map { version in
            let file = found[version]!
            let whole = try LayoutFiles.script(folder.appendingPathComponent(file), shown: file)
            return try parse(whole, version: version, name: String(file.dropLast(".sql".count)))
        }
    }

    /// Splits a goose file into its up and down parts.
    static func parse(_ whole: SQLScript, version: Int64, name: String) throws -> LayoutMigration {
        let shown = whole.file ?? name
        let lines = LayoutFiles.lines(of: whole.text)
        var up: Int?
        var down: Int?
        var inStatement = false
        var isTransactional = true
        for (index, line) in lines.enumerated() {
            guard let annotation = annotation(in: line) else {
                if up == nil, !line.trimmingCharacters(in: .whitespaces).isEmpty,
                    !line.trimmingCharacters(in: .whitespaces).hasPrefix("--")
                {
                    throw LayoutFiles.invalid(
                        shown, "line \(index + 1) comes before '-- +goose Up': goose refuses it.",
                        advice: "Start the file with '-- +goose Up'.")
                }
                continue
            }
            func refuse(_ problem: String) -> FerryError {
                LayoutFiles.invalid(
                    shown, "line \(index + 1): \(problem)",
                    advice:
                        "Write the annotations as goose documents them: -- +goose Up, -- +goose Down, "
                        + "-- +goose StatementBegin / StatementEnd, -- +goose NO TRANSACTION.")
            }
            switch annotation {
            case "up":
                guard up == nil, down == nil, !inStatement else {
                    throw refuse("a second '-- +goose Up'.")
                }
                up = index
            case "down":
                guard up != nil else { throw refuse("'-- +goose Down' before '-- +goose Up'.") }
                guard down == nil, !inStatement else {
                    throw refuse("'-- +goose Down' inside a statement block or twice.")
                }
                down = index
            case "statementbegin":
                guard up != nil, !inStatement else {
                    throw refuse(
                        "'-- +goose StatementBegin' outside an Up or Down part, or inside a block.")
                }
                inStatement = true
            case "statementend":
                guard inStatement else {
                    throw refuse("'-- +goose StatementEnd' without StatementBegin.")
                }
                inStatement = false
            case "no transaction":
                isTransactional = false
            case "envsub off":
                break
            case "envsub on":
                throw refuse(
                    "'-- +goose ENVSUB ON' substitutes environment variables into the SQL, which Ferry does not do."
                )
            default:
                throw refuse("'\(line)' is not an annotation goose knows.")
            }
        }
        guard let up else {
            throw LayoutFiles.invalid(
                shown, "has no '-- +goose Up' annotation: goose refuses it.",
                advice: "Start the file with '-- +goose Up'.")
        }
        guard !inStatement else {
            throw LayoutFiles.invalid(
                shown, "a '-- +goose StatementBegin' has no StatementEnd.",
                advice: "Close the block with '-- +goose StatementEnd'.")
        }
        return LayoutFiles.migration(
            version: String(version), name: name, of: whole, up: up..<(down ?? lines.count),
            down: down.map { $0..<lines.count },
            transaction: isTransactional ? .shared : .none)
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        // `goose create` names by the time; `goose fix` renumbers them 00001, 00002, …: keep the folder's way.
        let versions = existing.compactMap { Int64($0.version) }
        let isSequential = !versions.isEmpty && versions.allSatisfy { $0 < 10_000_000 }
        let version: String
        if isSequential {
            let next = String(versions.max()! + 1)
            version = String(repeating: "0", count: max(0, 5 - next.count)) + next
        } else {
            version = String(max(Int64(LayoutFiles.timestamp(now)) ?? 0, (versions.max() ?? 0) + 1))
        }
        var text =
            "-- +goose Up\n-- +goose StatementBegin\nSELECT 'up SQL query';\n-- +goose StatementEnd\n"
        if down {
            text +=
                "\n-- +goose Down\n-- +goose StatementBegin\nSELECT 'down SQL query';\n-- +goose StatementEnd\n"
        }
        return [
            NewMigrationFile(
                url: folder.appendingPathComponent("\(version)_\(name).sql"), contents: text)
        ]
    }
}
