import Foundation

/// Reads the hooks in `migrations/hooks/`: one `NNN_name.sql` file each,
/// whose leading comments name the ranges.
///
/// ```sql
/// -- ferry:from <0.6.4
/// -- ferry:to >=1.0.0
/// ```
///
/// Both lines are required (write `*` for any release), so that a hook
/// never runs more widely than its author meant.
struct HookFolder {
    /// The `hooks` folder (which need not exist).
    let url: URL

    /// Every hook in the folder; none when it does not exist.
    ///
    /// - Throws: ``FerryError`` (code `invalidMigrations` or `invalidRange`)
    ///   naming the file: a bad name, a missing or malformed range, or an
    ///   unknown option.
    func hooks() throws -> [Hook] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch {
            return []
        }
        var hooks: [Hook] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") && !fileName.hasPrefix(".")
        {
            let name = String(fileName.dropLast(".sql".count))
            let shown = "hooks/\(fileName)"
            guard MigrationFolder.isValidName(name) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(shown) is not named like a hook: expected NNN_name.sql, such as 001_rebuild_index.sql.",
                    advice: "Rename the file; its number orders the hooks.")
            }
            guard
                let text = try? String(
                    contentsOf: url.appendingPathComponent(fileName), encoding: .utf8)
            else {
                throw FerryError(.invalidMigrations, "\(shown) cannot be read as UTF-8 text.")
            }
            let script = SQLScript(text: text, file: shown)
            var ranges: [String: ReleaseRange] = [:]
            for option in script.headerOptions {
                let parts = option.split(separator: " ", maxSplits: 1).map(String.init)
                guard let key = parts.first, ["from", "to"].contains(key) else {
                    throw FerryError(
                        .invalidMigrations, "\(shown) sets the unknown option 'ferry:\(option)'.",
                        advice: "A hook's header has '-- ferry:from RANGE' and '-- ferry:to RANGE'."
                    )
                }
                do {
                    ranges[key] = try ReleaseRange(parsing: parts.count > 1 ? parts[1] : "")
                } catch var error as FerryError {
                    error.markedMessage = "\(shown), ferry:\(key): \(error.markedMessage)"
                    throw error
                }
            }
            guard let from = ranges["from"], let to = ranges["to"] else {
                throw FerryError(
                    .invalidMigrations,
                    "\(shown) does not say when it runs: its header lacks "
                        + (ranges["from"] == nil ? "'-- ferry:from RANGE'" : "'-- ferry:to RANGE'")
                        + ".",
                    advice: "Start the file with '-- ferry:from <0.6.4' and '-- ferry:to >=1.0.0' "
                        + "(the ranges of the releases the upgrade comes from and goes to; '*' for any)."
                )
            }
            hooks.append(
                Hook(name: name, from: from, to: to, body: .sql(script), checksum: script.checksum))
        }
        return hooks
    }
}
