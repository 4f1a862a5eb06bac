import Foundation

/// Reads a golang-migrate folder as golang-migrate does.
///
/// `<version>_<title>.up.sql` and `<version>_<title>.down.sql`, in the
/// folder itself (not its subfolders); the version is an unsigned number,
/// and migrations run in numeric order (`2_b` before `10_a`, `0010` equal
/// to `10`). Files whose names do not fit are left alone, as
/// golang-migrate leaves them; two files of one version and direction are
/// refused, as golang-migrate refuses them. A file wrapped in its own
/// `BEGIN;` … `COMMIT;` (golang-migrate runs each file as it is) runs
/// inside Ferry's transaction without those two lines.
public enum GolangMigrateLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.golangMigrate

    /// The version, title and direction of a file name, or nil when
    /// golang-migrate would not read it as an SQL migration.
    static func parts(of fileName: String) -> (version: Substring, title: Substring, isUp: Bool)? {
        let isUp = fileName.hasSuffix(".up.sql")
        guard isUp || fileName.hasSuffix(".down.sql"),
            let separator = fileName.firstIndex(of: "_")
        else { return nil }
        let version = fileName[..<separator]
        guard LayoutFiles.isDigits(version), UInt64(version) != nil else { return nil }
        let title = fileName[fileName.index(after: separator)...].dropLast(isUp ? 7 : 9)
        return (version, title, isUp)
    }

    public static func recognizes(_ folder: URL) -> Bool {
        LayoutFiles.files(in: folder).contains { parts(of: $0) != nil }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        var ups: [UInt64: (name: String, file: String)] = [:]
        var downs: [UInt64: String] = [:]
        for file in try LayoutFiles.entries(in: folder).files {
            guard let found = parts(of: file), let version = UInt64(found.version) else { continue }
            if found.isUp {
                if let twin = ups[version] {
                    throw LayoutFiles.invalid(
                        file,
                        "golang-migrate found another up migration of version \(version) (\(twin.file)).",
                        advice: "Give each migration its own version.")
                }
                ups[version] = (file.dropLast(".up.sql".count).description, file)
            } else {
                if let twin = downs[version] {
                    throw LayoutFiles.invalid(
                        file,
                        "golang-migrate found another down migration of version \(version) (\(twin)).",
                        advice: "Give each migration its own version.")
                }
                downs[version] = file
            }
        }
        if let (version, file) = downs.first(where: { ups[$0.key] == nil }) {
            throw LayoutFiles.invalid(
                file, "has no up migration of version \(version) beside it.",
                advice: "Add the .up.sql file, or remove the down file.")
        }
        return try ups.keys.sorted().map { version in
            let up = ups[version]!
            let script = try LayoutFiles.script(
                folder.appendingPathComponent(up.file), shown: up.file)
            var migration = LayoutMigration(
                version: String(version), name: up.name,
                up: LayoutFiles.unwrapped(script, closing: ["COMMIT", "END"]).script,
                down: try downs[version].map {
                    LayoutFiles.unwrapped(
                        try LayoutFiles.script(folder.appendingPathComponent($0), shown: $0),
                        closing: ["COMMIT", "END"]
                    ).script
                })
            // The file as read is what is compared, not the part Ferry runs.
            migration.checksum = script.checksum
            migration.legacyChecksum = script.legacyChecksum
            return migration
        }
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        // `migrate create -seq` numbers on from the newest, as wide as the widest name (at least 6).
        let newest = existing.compactMap { UInt64($0.version) }.max() ?? 0
        let width = max(6, existing.map { $0.name.prefix(while: \.isNumber).count }.max() ?? 0)
        let number = String(newest + 1)
        let version = String(repeating: "0", count: max(0, width - number.count)) + number
        var files = [
            NewMigrationFile(
                url: folder.appendingPathComponent("\(version)_\(name).up.sql"),
                contents: "-- \(name)\n")
        ]
        if down {
            files.append(
                NewMigrationFile(
                    url: folder.appendingPathComponent("\(version)_\(name).down.sql"),
                    contents: "-- Reverts \(version)_\(name).up.sql\n"))
        }
        return files
    }
}
