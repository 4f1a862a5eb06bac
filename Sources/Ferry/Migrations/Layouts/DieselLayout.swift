import Foundation

/// Reads a Diesel folder as Diesel does.
///
/// One folder per migration, `<version>_<name>/` (such as
/// `2024-01-01-120000_create_users`), holding `up.sql`, an optional
/// `down.sql` and an optional `metadata.toml` whose `run_in_transaction =
/// false` runs it outside a transaction. The version is the part of the
/// folder's name before the first `_`, without its dashes, and migrations
/// run in the order of their versions as text. Folders without `up.sql` are
/// left alone, as Diesel leaves them.
public enum DieselLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.diesel

    /// The migration folders, by name.
    private static func migrationFolders(in folder: URL) throws -> [String] {
        try LayoutFiles.entries(in: folder).folders.filter { name in
            FileManager.default.fileExists(
                atPath: folder.appendingPathComponent(name).appendingPathComponent("up.sql").path)
        }
    }

    /// A folder name's version: before the first `_`, without dashes.
    static func version(of folderName: String) -> String {
        String(folderName.prefix { $0 != "_" }).replacingOccurrences(of: "-", with: "")
    }

    public static func recognizes(_ folder: URL) -> Bool {
        ((try? migrationFolders(in: folder)) ?? []).contains { $0.contains("_") }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        var migrations: [LayoutMigration] = []
        for name in try migrationFolders(in: folder) {
            guard name.contains("_"), !version(of: name).isEmpty else {
                throw LayoutFiles.invalid(
                    name,
                    "Diesel expects a migration folder named <version>_<name>, such as 2024-01-01-120000_create_users.",
                    advice: "Rename the folder.")
            }
            let migrationFolder = folder.appendingPathComponent(name)
            let up = try LayoutFiles.script(
                migrationFolder.appendingPathComponent("up.sql"), shown: "\(name)/up.sql")
            let downURL = migrationFolder.appendingPathComponent("down.sql")
            let down =
                FileManager.default.fileExists(atPath: downURL.path)
                ? try LayoutFiles.script(downURL, shown: "\(name)/down.sql") : nil
            let isTransactional = try runsInTransaction(
                migrationFolder.appendingPathComponent("metadata.toml"),
                shown: "\(name)/metadata.toml")
            migrations.append(
                LayoutMigration(
                    version: version(of: name), name: name, up: up, down: down,
                    transaction: isTransactional ? .shared : .none))
        }
        // Diesel orders by version as text; versions are equal-width timestamps.
        let versions = Dictionary(grouping: migrations, by: \.version)
        if let twin = versions.first(where: { $0.value.count > 1 }) {
            throw LayoutFiles.invalid(
                twin.value[1].name,
                "Diesel found another migration of version \(twin.key) (\(twin.value[0].name)).",
                advice: "Give each migration its own version.")
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Reads `metadata.toml`: whether the migration runs in a transaction.
    private static func runsInTransaction(_ url: URL, shown: String) throws -> Bool {
        guard let data = FileManager.default.contents(atPath: url.path) else { return true }
        let text = String(decoding: data, as: UTF8.self)
        for line in LayoutFiles.lines(of: text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let pair = trimmed.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard pair.count == 2, pair[0] == "run_in_transaction",
                ["true", "false"].contains(pair[1])
            else {
                throw LayoutFiles.invalid(
                    shown, "'\(trimmed)' is not a setting Ferry reads.",
                    advice: "Diesel's metadata.toml sets run_in_transaction = true or false.")
            }
            return pair[1] == "true"
        }
        return true
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        // `diesel migration generate` names by the time: 2024-01-01-120000.
        var stamp = LayoutFiles.timestamp(now)
        if let newest = existing.map(\.version).max(), stamp <= newest {
            stamp = String((UInt64(newest) ?? 0) + 1)
        }
        let chars = Array(stamp)
        let version =
            chars.count == 14
            ? "\(String(chars[0..<4]))-\(String(chars[4..<6]))-\(String(chars[6..<8]))-\(String(chars[8..<14]))"
            : stamp
        let migration = folder.appendingPathComponent("\(version)_\(name)")
        var files = [
            NewMigrationFile(
                url: migration.appendingPathComponent("up.sql"),
                contents: "-- Your SQL goes here\n")
        ]
        if down {
            files.append(
                NewMigrationFile(
                    url: migration.appendingPathComponent("down.sql"),
                    contents: "-- This file should undo anything in `up.sql`\n"))
        }
        return files
    }
}
