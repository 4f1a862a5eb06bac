import Foundation

/// `ferry new`: the files of a new migration, numbered after the existing
/// ones, in the folder's layout.
public enum NewMigration {
    /// The files a new migration named `name` gets.
    ///
    /// - Parameters:
    ///   - name: Letters, digits, `_` and `-`, such as `add_rooms`.
    ///   - folder: The migrations folder.
    ///   - layout: The folder's layout.
    ///   - release: For Ferry's own layout, the release folder to write in;
    ///     nil for the newest. Other layouts have no release folders.
    ///   - down: Whether to write a down script.
    ///   - verify: Whether to write a verify script.
    ///   - now: The time, for layouts numbered by timestamp.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a bad name,
    ///   a release that is not a folder of the layout, a verify script in a
    ///   layout without them, or a file that exists already; what the
    ///   layout's reader throws for the existing migrations.
    public static func files(
        named name: String, in folder: URL, layout: MigrationLayout, release: Release?,
        down: Bool, verify: Bool, now: Date = Date()
    ) throws -> [NewMigrationFile] {
        guard MigrationFolder.isValidName("1_" + name) else {
            throw FerryError(
                .invalidConfiguration,
                "'\(name.prefix(80))' is not a migration name: use letters, digits, '_' and '-'.",
                changes: "Nothing was changed.",
                advice: "For example 'add_rooms'.")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder),
            isFolder.boolValue
        else {
            throw FerryError(
                .invalidConfiguration,
                "The migrations folder \(folder.path) does not exist.",
                changes: "Nothing was changed.",
                advice: "Create it, or check \(.migrations).")
        }
        let files: [NewMigrationFile]
        if let reader = layout.reader {
            if let release {
                throw FerryError(
                    .invalidConfiguration,
                    "A \(layout.rawValue) folder has no release folders, so a new migration cannot go in release \(release).",
                    changes: "Nothing was changed.",
                    advice:
                        "Name no release: the migration belongs to the release that [[release]] through "
                        + "or [app] release give it.")
            }
            files = try reader.newMigration(
                named: name, in: folder, existing: try reader.migrations(in: folder), down: down,
                verify: verify, now: now)
        } else {
            files = try nativeFiles(
                named: name, in: MigrationFolder(url: folder), release: release, down: down,
                verify: verify)
        }
        for file in files where !file.isReplacing {
            if FileManager.default.fileExists(atPath: file.url.path) {
                throw FerryError(
                    .invalidConfiguration, "\(file.url.path) exists already.",
                    changes: "Nothing was changed.", advice: "Choose another name.")
            }
        }
        return files
    }

    /// The files in Ferry's own layout: `NNN_name.sql` in the release folder.
    private static func nativeFiles(
        named name: String, in folder: MigrationFolder, release: Release?, down: Bool, verify: Bool
    ) throws -> [NewMigrationFile] {
        let contents = try folder.read()
        guard let target = release ?? contents.releases.last else {
            throw FerryError(
                .invalidConfiguration,
                "The migrations folder \(folder.url.path) has no release folder to write in.",
                changes: "Nothing was changed.",
                advice: "Name the release to start (such as 0.1.0).")
        }
        if let newest = contents.releases.last, target < newest {
            throw FerryError(
                .invalidConfiguration,
                "Release \(target) is older than the newest release folder, \(newest): a migration added to it "
                    + "would not run on databases already past it.",
                changes: "Nothing was changed.",
                advice: "Add the migration to \(newest) or a newer release.")
        }
        let numbers = contents.migrations.filter { $0.release == target }.compactMap(\.number)
        let widths = contents.migrations.filter { $0.release == target }.map {
            $0.name.prefix(while: \.isNumber).count
        }
        let next = String((numbers.max() ?? 0) + 1)
        let number = String(repeating: "0", count: max(0, (widths.max() ?? 3) - next.count)) + next
        let releaseFolder = folder.url.appendingPathComponent(target.description)
        let stem = "\(number)_\(name)"
        var files = [
            NewMigrationFile(
                url: releaseFolder.appendingPathComponent("\(stem).sql"), contents: "-- \(name)\n")
        ]
        if down {
            files.append(
                NewMigrationFile(
                    url: releaseFolder.appendingPathComponent("\(stem).down.sql"),
                    contents: "-- Reverts \(stem).sql\n"))
        }
        if verify {
            files.append(
                NewMigrationFile(
                    url: releaseFolder.appendingPathComponent("\(stem).verify.sql"),
                    contents:
                        "-- Checks \(stem).sql: fails when it raises, or returns a row whose first value is false, 0 or NULL.\n"
                ))
        }
        return files
    }

    /// Writes the files (and the folders they need), each 0644; a file that
    /// replaces another is written beside it and renamed over it.
    ///
    /// - Throws: ``FerryError`` (code `fileSystem`) when a file cannot be
    ///   written; those written before stay.
    public static func write(_ files: [NewMigrationFile]) throws {
        for file in files {
            do {
                try FileManager.default.createDirectory(
                    at: file.url.deletingLastPathComponent(), withIntermediateDirectories: true)
                if file.isReplacing {
                    try Data(file.contents.utf8).write(to: file.url, options: .atomic)
                } else {
                    try Data(file.contents.utf8).write(to: file.url, options: .withoutOverwriting)
                }
            } catch {
                throw FerryError(
                    .fileSystem, "Cannot write \(file.url.path): \(error.localizedDescription)",
                    changes: "The files listed before it were written.",
                    advice: "Check the folder's permissions and free space.")
            }
        }
    }

    /// The error for a layout whose tool has no verify scripts.
    static func noVerifyScripts(_ layout: MigrationLayout) -> FerryError {
        FerryError(
            .invalidConfiguration,
            "A \(layout.rawValue) folder has no verify scripts: only Ferry's layout and Sqitch's have them.",
            changes: "Nothing was changed.",
            advice:
                "Write the migration without one, and check it with a [[verify]] invariant in ferry.toml."
        )
    }
}
