import Foundation

/// Reads a Flyway folder as Flyway does.
///
/// - `V<version>__<description>.sql` is a versioned migration. The version's
///   parts are split on `.` or `_` and compared as numbers, with trailing
///   zeros ignored: `1.10` runs after `1.9`, and `1.0` is the same version
///   as `1` (two such files are refused, as Flyway refuses them).
/// - `U<version>__<description>.sql` undoes the versioned migration of the
///   same version: it is the down script.
/// - `R__<description>.sql` is repeatable: it runs after the versioned
///   migrations, in the order of the descriptions, and again whenever its
///   checksum changes.
/// - `<script>.sql.conf` beside a script sets `executeInTransaction=false`
///   to run it outside a transaction.
///
/// Flyway finds scripts in subfolders too. Other files are left alone, as
/// Flyway leaves them, except the callbacks `flyway migrate` runs
/// (`afterMigrate.sql`, …): Ferry has no such events, and refuses them
/// rather than leave the team's SQL unrun.
public enum FlywayLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.flyway

    /// A file's name read by Flyway's naming rules.
    struct Name {
        /// `V`, `U` or `R`.
        let prefix: Character
        /// The version as written (empty for a repeatable).
        let version: String
        /// The description, as written after `__`.
        let description: String
    }

    /// The parts of a file name, or nil when Flyway would not read it as a
    /// script.
    static func name(of fileName: String) -> Name? {
        guard fileName.hasSuffix(".sql"), let prefix = fileName.first, "VUR".contains(prefix),
            let separator = fileName.range(of: "__")
        else { return nil }
        let version = String(
            fileName[fileName.index(after: fileName.startIndex)..<separator.lowerBound])
        let description = String(fileName[separator.upperBound...].dropLast(".sql".count))
        if prefix == "R" {
            return version.isEmpty ? Name(prefix: "R", version: "", description: description) : nil
        }
        return Name(prefix: prefix, version: version, description: description)
    }

    /// Flyway's callbacks that `flyway migrate` runs (`afterMigrate.sql`,
    /// `beforeEachMigrate__grants.sql`): SQL run on an event, which Ferry's
    /// upgrade does not have.
    static let migrateCallbacks: Set<String> = [
        "beforeMigrate", "beforeRepeatables", "beforeEachMigrate", "beforeEachMigrateStatement",
        "afterEachMigrateStatement", "afterEachMigrateStatementError", "afterEachMigrate",
        "afterEachMigrateError", "afterMigrate", "afterMigrateApplied", "afterVersioned",
        "afterMigrateError", "beforeValidate", "afterValidate", "afterValidateError",
        "beforeConnect", "afterConnect", "createSchema",
    ]

    /// The callback event a file name names, when `flyway migrate` runs it.
    static func migrateCallback(_ fileName: String) -> String? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(".sql".count)
        let event = stem.range(of: "__").map { String(stem[..<$0.lowerBound]) } ?? String(stem)
        return migrateCallbacks.contains(event) ? event : nil
    }

    /// The first Flyway placeholder in a text (`${name}`, `${flyway:user}`),
    /// if any.
    static func placeholder(in text: String) -> String? {
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            let after = rest[start.upperBound...]
            let name = after.prefix { $0.isLetter || $0.isNumber || "_:.-".contains($0) }
            if !name.isEmpty, after.dropFirst(name.count).first == "}" {
                return "${\(name)}"
            }
            rest = after
        }
        return nil
    }

    /// A version's parts as Flyway compares them: numbers of any size,
    /// without leading zeros, and without trailing zero parts.
    ///
    /// - Returns: Nil when a part is not a number.
    static func versionParts(_ version: String) -> [Substring]? {
        let parts = version.split(omittingEmptySubsequences: false) { $0 == "." || $0 == "_" }
        guard !parts.isEmpty, parts.allSatisfy({ LayoutFiles.isDigits($0) }) else { return nil }
        var normalized = parts.map { part -> Substring in
            let trimmed = part.drop { $0 == "0" }
            return trimmed.isEmpty ? "0" : trimmed
        }
        while normalized.count > 1, normalized.last == "0" { normalized.removeLast() }
        return normalized
    }

    /// Whether version `left` comes before `right`, part by part as numbers.
    static func precedes(_ left: [Substring], _ right: [Substring]) -> Bool {
        for (a, b) in zip(left, right) where a != b { return LayoutFiles.numericLess(a, b) }
        return left.count < right.count
    }

    /// The script files (and `flyway migrate`'s callbacks) under the folder,
    /// as paths relative to it.
    private static func scripts(in folder: URL, under relative: String = "") -> [String] {
        guard let found = try? LayoutFiles.entries(in: folder) else { return [] }
        let prefix = relative.isEmpty ? "" : relative + "/"
        return found.files.filter { name(of: $0) != nil || migrateCallback($0) != nil }
            .map { prefix + $0 }
            + found.folders.flatMap {
                scripts(in: folder.appendingPathComponent($0), under: prefix + $0)
            }
    }

    public static func recognizes(_ folder: URL) -> Bool {
        scripts(in: folder).contains { name(of: String($0.split(separator: "/").last!)) != nil }
    }

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        _ = try LayoutFiles.entries(in: folder)
        var versioned: [(parts: [Substring], migration: LayoutMigration, shown: String)] = []
        var undos: [String: (script: SQLScript, shown: String)] = [:]
        var repeatables: [(description: String, migration: LayoutMigration)] = []
        for path in scripts(in: folder) {
            let fileName = String(path.split(separator: "/").last!)
            if let event = migrateCallback(fileName) {
                // Left out, the team's SQL would silently stop running; run differently, it would surprise.
                throw LayoutFiles.invalid(
                    path,
                    "a Flyway callback, which Flyway runs on the event \(event); Ferry does not run Flyway's callbacks.",
                    advice:
                        "Turn it into a repeatable migration (R__name.sql, run after the others when it "
                        + "changes) or a Ferry hook (hooks/NNN_name.sql with -- ferry:from and -- ferry:to), "
                        + "or move it out of the migrations folder.")
            }
            let parsed = name(of: fileName)!
            let url = folder.appendingPathComponent(path)
            let script = try LayoutFiles.script(url, shown: path)
            if let placeholder = placeholder(in: script.text) {
                // Flyway would put a value there; running the text as it is would do something else.
                throw LayoutFiles.invalid(
                    path,
                    "uses the Flyway placeholder \(placeholder), which Flyway replaces with a value and Ferry does not.",
                    advice: "Write the value into the script, or keep this migration with Flyway.")
            }
            let isTransactional = try executesInTransaction(
                configuration: url.appendingPathExtension("conf"), shown: path + ".conf")
            let stem = String(fileName.dropLast(".sql".count))
            if parsed.prefix == "R" {
                if let twin = repeatables.first(where: { $0.description == parsed.description }) {
                    throw LayoutFiles.invalid(
                        path,
                        "Flyway found another repeatable migration with the description "
                            + "'\(parsed.description)' (\(twin.migration.up.file ?? "")).",
                        advice: "Give each repeatable migration its own description.")
                }
                repeatables.append(
                    (
                        parsed.description,
                        LayoutMigration(
                            version: stem, name: stem, up: script,
                            transaction: isTransactional ? .shared : .none, isRepeatable: true)
                    ))
                continue
            }
            guard let parts = versionParts(parsed.version) else {
                throw LayoutFiles.invalid(
                    path,
                    "'\(parsed.version)' is not a Flyway version: only digits separated by '.' or '_' are allowed.",
                    advice:
                        "Rename the file as Flyway expects, such as V1_2__\(parsed.description).sql."
                )
            }
            let key = parts.joined(separator: ".")
            if parsed.prefix == "U" {
                if let twin = undos[key] {
                    throw LayoutFiles.invalid(
                        path,
                        "Flyway found another undo migration of version \(key) (\(twin.shown)).",
                        advice: "Keep one undo migration per version.")
                }
                undos[key] = (script, path)
                continue
            }
            if let twin = versioned.first(where: { $0.parts == parts }) {
                throw LayoutFiles.invalid(
                    path,
                    "Flyway found more than one migration with version \(key) (also \(twin.shown)).",
                    advice:
                        "Give each versioned migration its own version (1.0 and 1 are the same).")
            }
            versioned.append(
                (
                    parts,
                    LayoutMigration(
                        version: parsed.version.replacingOccurrences(of: "_", with: "."),
                        name: stem, up: script, transaction: isTransactional ? .shared : .none),
                    path
                ))
        }
        for (key, undo) in undos
        where !versioned.contains(where: { $0.parts.joined(separator: ".") == key }) {
            throw LayoutFiles.invalid(
                undo.shown, "undoes version \(key), but no versioned migration has that version.",
                advice: "Rename it to the version it undoes, or remove it.")
        }
        versioned.sort { precedes($0.parts, $1.parts) }
        let ordered = versioned.map { entry -> LayoutMigration in
            var migration = entry.migration
            migration.down = undos[entry.parts.joined(separator: ".")]?.script
            return migration
        }
        return ordered + repeatables.sorted { $0.description < $1.description }.map(\.migration)
    }

    /// Reads a script's `.sql.conf`: whether it runs in a transaction.
    private static func executesInTransaction(configuration url: URL, shown: String) throws -> Bool
    {
        guard FileManager.default.fileExists(atPath: url.path) else { return true }
        guard let data = FileManager.default.contents(atPath: url.path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw LayoutFiles.invalid(
                shown, "cannot be read as UTF-8 text.", advice: "Fix the file.")
        }
        var isTransactional = true
        for line in LayoutFiles.lines(of: text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let pair = trimmed.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            switch (pair.first ?? "", pair.count == 2 ? pair[1].lowercased() : "") {
            case ("executeInTransaction", "false"): isTransactional = false
            case ("executeInTransaction", "true"): isTransactional = true
            case ("encoding", let value) where ["utf-8", "utf8"].contains(value): break
            default:
                throw LayoutFiles.invalid(
                    shown, "'\(trimmed)' is not a setting Ferry reads in a script configuration.",
                    advice: "Ferry reads executeInTransaction=true|false and encoding=UTF-8.")
            }
        }
        return isTransactional
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        guard !verify else { throw NewMigration.noVerifyScripts(layout) }
        let newest = existing.filter { !$0.isRepeatable }.compactMap { versionParts($0.version) }
            .max { precedes($0, $1) }
        let version: String
        if let newest {
            // The next number of the version's first part: V2 after V1.10.
            version = String((UInt64(newest[0]) ?? 0) + 1)
        } else {
            version = "1"
        }
        var files = [
            NewMigrationFile(
                url: folder.appendingPathComponent("V\(version)__\(name).sql"),
                contents: "-- \(name)\n")
        ]
        if down {
            files.append(
                NewMigrationFile(
                    url: folder.appendingPathComponent("U\(version)__\(name).sql"),
                    contents: "-- Undoes V\(version)__\(name).sql\n"))
        }
        return files
    }
}
