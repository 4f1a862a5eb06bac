import Foundation

/// Reads a Sqitch project as Sqitch does.
///
/// `sqitch.plan` lists the changes in the order they deploy; each change
/// `NAME` has `deploy/NAME.sql`, and optionally `revert/NAME.sql` (the down
/// script) and `verify/NAME.sql` (the verify script: it fails by raising an
/// error). A tag line (`@v1.0.0`) marks the changes above it as a release,
/// when the tag reads as a version (`v1.0`, `1.2.0`); other tags are only
/// marks. A change reworked after a tag runs its older scripts
/// `deploy/NAME@TAG.sql` for the occurrence before that tag.
///
/// Sqitch's templates wrap each script in `BEGIN;` … `COMMIT;` (verify
/// scripts in `BEGIN;` … `ROLLBACK;`): such a script runs inside Ferry's
/// transaction, without those two lines. A script without them runs as
/// Sqitch would run it, outside a transaction.
public enum SqitchLayout: MigrationLayoutReader {
    public static let layout = MigrationLayout.sqitch

    /// The plan file's name.
    public static let planFile = "sqitch.plan"

    /// One line of the plan: a change or a tag.
    enum Entry {
        case change(name: String, line: Int)
        case tag(name: String, line: Int)
    }

    public static func recognizes(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(planFile).path)
    }

    /// The plan's `%project=` name, or nil when the folder has no readable
    /// plan or the plan names none: whose changes a shared registry lists.
    static func project(in folder: URL) -> String? {
        guard
            let data = FileManager.default.contents(
                atPath: folder.appendingPathComponent(planFile).path)
        else { return nil }
        for line in LayoutFiles.lines(of: String(decoding: data, as: UTF8.self)) {
            let pragma = line.trimmingCharacters(in: .whitespaces)
            guard pragma.hasPrefix("%project") else { continue }
            let value = pragma.drop { $0 != "=" }.dropFirst().trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Reads the plan's changes and tags, in order.
    static func plan(in folder: URL) throws -> (entries: [Entry], text: String) {
        let url = folder.appendingPathComponent(planFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FerryError(
                .invalidMigrations, "Cannot read \(url.path).",
                advice: "A Sqitch project's folder holds sqitch.plan; check \(.migrations).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LayoutFiles.invalid(planFile, "is not UTF-8 text.", advice: "Save it as UTF-8.")
        }
        var entries: [Entry] = []
        for (index, raw) in LayoutFiles.lines(of: text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix("%") else { continue }
            var first = String(line.prefix { !$0.isWhitespace && $0 != "[" })
            if first.hasPrefix("+") { first.removeFirst() }
            guard !first.hasPrefix("-") else {
                throw LayoutFiles.invalid(
                    "\(planFile) line \(index + 1)",
                    "'\(first)' is a change marked to be reverted, which Ferry does not read.",
                    advice: "Remove the line: a downgrade runs the revert scripts.")
            }
            guard !first.isEmpty else {
                throw LayoutFiles.invalid(
                    "\(planFile) line \(index + 1)", "is neither a change nor a tag.",
                    advice: "Write the plan as Sqitch does (sqitch add, sqitch tag).")
            }
            if first.hasPrefix("@") {
                entries.append(.tag(name: String(first.dropFirst()), line: index + 1))
            } else {
                entries.append(.change(name: first, line: index + 1))
            }
        }
        return (entries, text)
    }

    /// The release a tag names, or nil for a tag that is not a version.
    static func release(ofTag tag: String) -> Release? {
        let text = tag.hasPrefix("v") || tag.hasPrefix("V") ? String(tag.dropFirst()) : tag
        return Release(text)
    }

    /// The `sqitch.conf` settings that move the plan or the scripts away
    /// from Sqitch's default places, which Ferry does not follow.
    static let movingSettings: Set<String> = [
        "top_dir", "plan_file", "deploy_dir", "revert_dir", "verify_dir", "extension",
    ]

    public static func migrations(in folder: URL) throws -> [LayoutMigration] {
        let configuration = folder.appendingPathComponent("sqitch.conf")
        if let data = FileManager.default.contents(atPath: configuration.path) {
            for line in LayoutFiles.lines(of: String(decoding: data, as: UTF8.self)) {
                let key = line.trimmingCharacters(in: .whitespaces).prefix { $0 != "=" }
                    .trimmingCharacters(in: .whitespaces)
                if movingSettings.contains(key) {
                    throw LayoutFiles.invalid(
                        "sqitch.conf",
                        "sets \(key), which moves the plan or the scripts: Ferry reads "
                            + "sqitch.plan, deploy/, revert/ and verify/ (*.sql) beside sqitch.conf.",
                        advice:
                            "Point \(.migrations) at the folder that holds sqitch.plan and the script "
                            + "folders, and remove the setting.")
                }
            }
        }
        let entries = try plan(in: folder).entries
        var migrations: [LayoutMigration] = []
        var seen: [String: Int] = [:]
        for (position, entry) in entries.enumerated() {
            guard case .change(let name, let line) = entry else { continue }
            // The occurrence reworked later runs the scripts named after the first tag that follows it.
            let laterRework = entries[(position + 1)...].contains {
                if case .change(let other, _) = $0 { other == name } else { false }
            }
            var suffix = ""
            if laterRework {
                guard
                    let tag = entries[(position + 1)...].lazy.compactMap({
                        entry -> String? in
                        if case .tag(let tag, _) = entry { tag } else { nil }
                    }).first
                else {
                    throw LayoutFiles.invalid(
                        "\(planFile) line \(line)",
                        "change \(name) is reworked with no tag between.",
                        advice: "Tag the plan before reworking a change (sqitch tag).")
                }
                suffix = "@" + tag
            }
            let occurrence = (seen[name] ?? 0) + 1
            seen[name] = occurrence
            func script(_ kind: String) throws -> SQLScript? {
                let shown = "\(kind)/\(name)\(suffix).sql"
                let url = folder.appendingPathComponent(shown)
                guard FileManager.default.fileExists(atPath: url.path) else { return nil }
                return try LayoutFiles.script(url, shown: shown)
            }
            guard let deploy = try script("deploy") else {
                throw LayoutFiles.invalid(
                    "\(planFile) line \(line)",
                    "change \(name) has no deploy/\(name)\(suffix).sql.",
                    advice: "Add the deploy script, or remove the change from the plan.")
            }
            let up = LayoutFiles.unwrapped(deploy, closing: ["COMMIT"])
            var tagged: Release?
            for later in entries[(position + 1)...] {
                if case .tag(let tag, _) = later, let release = release(ofTag: tag) {
                    tagged = release
                    break
                }
            }
            migrations.append(
                LayoutMigration(
                    version: occurrence == 1 ? name : "\(name)#\(occurrence)", name: name,
                    up: up.script,
                    down: try script("revert").map {
                        LayoutFiles.unwrapped($0, closing: ["COMMIT"]).script
                    }
                    .flatMap(nonEmpty),
                    verify: try script("verify").map {
                        LayoutFiles.unwrapped($0, closing: ["ROLLBACK", "COMMIT"]).script
                    }.flatMap(nonEmpty),
                    transaction: up.wasWrapped ? .shared : .none, taggedRelease: tagged))
            // The script as read is what is compared, not the part Ferry runs.
            migrations[migrations.count - 1].checksum = deploy.checksum
            migrations[migrations.count - 1].legacyChecksum = deploy.legacyChecksum
        }
        return migrations
    }

    /// The script, or nil when it holds only comments (Sqitch's templates
    /// before they are filled in): it would check or revert nothing.
    static func nonEmpty(_ script: SQLScript) -> SQLScript? {
        LayoutFiles.isEmpty(script) ? nil : script
    }

    public static func newMigration(
        named name: String, in folder: URL, existing: [LayoutMigration], down: Bool, verify: Bool,
        now: Date
    ) throws -> [NewMigrationFile] {
        let (entries, text) = try plan(in: folder)
        for case .change(let other, _) in entries where other == name {
            throw FerryError(
                .invalidConfiguration, "Change \(name) is already in \(planFile).",
                changes: "Nothing was changed.",
                advice: "Choose another name (reworking a change is done with 'sqitch rework').")
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let user = ProcessInfo.processInfo.environment["USER"] ?? "ferry"
        let line =
            "\(name) \(formatter.string(from: now)) \(user) <\(user)@localhost> # Add \(name)."
        let plan = text + (text.hasSuffix("\n") || text.isEmpty ? "" : "\n") + line + "\n"
        var files = [
            NewMigrationFile(
                url: folder.appendingPathComponent(planFile), contents: plan, replacing: true),
            NewMigrationFile(
                url: folder.appendingPathComponent("deploy/\(name).sql"),
                contents: "-- Deploy \(name)\n\nBEGIN;\n\n-- XXX Add DDLs here.\n\nCOMMIT;\n"),
        ]
        if down {
            files.append(
                NewMigrationFile(
                    url: folder.appendingPathComponent("revert/\(name).sql"),
                    contents: "-- Revert \(name)\n\nBEGIN;\n\n-- XXX Add DDLs here.\n\nCOMMIT;\n"))
        }
        if verify {
            files.append(
                NewMigrationFile(
                    url: folder.appendingPathComponent("verify/\(name).sql"),
                    contents:
                        "-- Verify \(name)\n\nBEGIN;\n\n-- XXX Add verifications here.\n\nROLLBACK;\n"
                ))
        }
        return files
    }
}
