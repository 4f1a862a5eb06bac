import Foundation

/// Reads an SQLx folder as SQLx does.
///
/// `<version>_<description>.sql` (a migration without a down script), or
/// `<version>_<description>.up.sql` with `.down.sql` (a reversible one), in
/// the folder itself; the version is a positive 64-bit number, and
/// migrations run in numeric order. A script that starts with
/// `-- no-transaction` runs outside a transaction. Files that do not end in
/// `.sql` or have no `_` are left alone, as SQLx leaves them; a name whose
/// version is not a number is refused, as SQLx refuses it.
public enum SQLxLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.sqlx

    /// A file name's version, its stem (without `.up.sql`, `.down.sql` or
    /// `.sql`) and kind, or nil when SQLx leaves the file alone.
    static func parts(of fileName: String) -> (version: Substring, stem: String, kind: Kind)? {
        guard fileName.hasSuffix(".sql"), let separator = fileName.firstIndex(of: "_") else {
            return nil
        }
        let kind: Kind =
            fileName.hasSuffix(".up.sql") ? .up : fileName.hasSuffix(".down.sql") ? .down : .simple
        let suffix = kind == .up ? ".up.sql" : kind == .down ? ".down.sql" : ".sql"
        return (fileName[..<separator], String(fileName.dropLast(suffix.count)), kind)
    }

    /// What a file holds.
    enum Kind { case simple, up, down }

    public static func recognizes(_ folder: URL) -> Bool {
        LayoutFiles.files(in: folder).contains { file in
            guard let found = parts(of: file), LayoutFiles.isDigits(found.version) else {
                return false
            }
            // Files that goose or dbmate mark as theirs are not SQLx's, although they are named alike.
            let head = LayoutFiles.head(of: folder.appendingPathComponent(file))
            return !GooseLayout.isMarked(head) && !DbmateLayout.isMarked(head)
        }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        var ups: [Int64: (stem: String, file: String, isReversible: Bool)] = [:]
        var downs: [Int64: String] = [:]
        for file in try LayoutFiles.entries(in: folder).files {
            guard let found = parts(of: file) else { continue }
            guard let version = Int64(found.version), version > 0 else {
                throw LayoutFiles.invalid(
                    file,
                    "SQLx expects a name that starts with a positive whole number and '_' (such as 20240101120000_create_users.sql).",
                    advice: "Rename the file, or move it out of the migrations folder.")
            }
            if found.kind == .down {
                downs[version] = file
                continue
            }
            if let twin = ups[version] {
                throw LayoutFiles.invalid(
                    file, "SQLx found another migration of version \(version) (\(twin.file)).",
                    advice: "Give each migration its own version.")
            }
            ups[version] = (found.stem, file, found.kind == .up)
        }
        if let (version, file) = downs.first(where: { ups[$0.key]?.isReversible != true }) {
            throw LayoutFiles.invalid(
                file, "has no .up.sql migration of version \(version) beside it.",
                advice: "Add the .up.sql file, or remove the down file.")
        }
        return try ups.keys.sorted().map { version in
            let up = ups[version]!
            let script = try LayoutFiles.script(
                folder.appendingPathComponent(up.file), shown: up.file)
            return LayoutMigration(
                version: String(version), name: up.stem, up: script,
                down: try downs[version].map {
                    try LayoutFiles.script(folder.appendingPathComponent($0), shown: $0)
                },
                transaction: script.text.hasPrefix("-- no-transaction") ? .none : .shared)
        }
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        // `sqlx migrate add` names by the time, kept after the newest version.
        let newest = existing.compactMap { Int64($0.version) }.max() ?? 0
        let version = max(Int64(LayoutFiles.timestamp(now)) ?? 0, newest + 1)
        guard down else {
            return [
                NewMigrationFile(
                    url: folder.appendingPathComponent("\(version)_\(name).sql"),
                    contents: "-- \(name)\n")
            ]
        }
        return [
            NewMigrationFile(
                url: folder.appendingPathComponent("\(version)_\(name).up.sql"),
                contents: "-- \(name)\n"),
            NewMigrationFile(
                url: folder.appendingPathComponent("\(version)_\(name).down.sql"),
                contents: "-- Reverts \(version)_\(name).up.sql\n"),
        ]
    }
}
