import Foundation

/// Another tool's history as `ferry adopt` reads it: every migration the
/// tool applied, in the order it applied them, and what the tool says
/// went wrong (golang-migrate's `dirty`, a failed Flyway or SQLx row).
///
/// The queries are plain SQL over the tool's own columns (as each tool
/// documents its table), run through ``MigrationDatabase``: the engines
/// read them alike, and only the place of a registry kept apart (Sqitch's)
/// is the engine's (``DatabaseEngine/withToolRegistry(named:_:)``).
public struct ForeignHistory: Sendable {
    /// One migration the tool recorded as applied.
    public struct Entry: Sendable, Hashable {
        /// The tool's identifier: Flyway's version (or `R__name` for a
        /// repeatable), a number, a Sqitch change, an Alembic revision, a
        /// GRDB identifier, a Django `app_name`.
        public var identifier: String
        /// When the tool applied it, where it kept the time.
        public var appliedAt: Date?
        /// How long it took, in seconds, where the tool kept it.
        public var seconds: Double?
        /// The checksum the tool kept, where it kept one Ferry can compute.
        public var checksum: ToolChecksum?
        /// Whether the entry also stands for every migration of an older
        /// version (Flyway's `BASELINE` row, written by `flyway baseline`),
        /// whether or not a file of its own version exists.
        public var coversOlderVersions = false
    }

    /// The tool.
    public var tool: ForeignTool
    /// The migrations applied, in the order the tool applied them.
    public var entries: [Entry]
    /// What the tool's history says is unfinished or failed, each naming
    /// the migration: refused by `adopt`.
    public var problems: [String]

    /// Reads the tool's history.
    ///
    /// - Parameters:
    ///   - tool: The tool.
    ///   - database: Where its table is.
    ///   - prefix: What names its table in SQL before its name (`sqitch.`), or empty.
    ///   - project: The Sqitch project whose changes to read, where the
    ///     registry holds several projects'; nil reads them all.
    /// - Throws: ``FerryError`` when the table cannot be read.
    static func read(
        _ tool: ForeignTool, from database: any MigrationDatabase, prefix: String = "",
        project: String? = nil
    ) async throws -> ForeignHistory {
        let table = prefix + tool.historyTable
        var history = ForeignHistory(tool: tool, entries: [], problems: [])
        switch tool {
        case .flyway:
            // https://documentation.red-gate.com/fd/flyway-schema-history-table-273973417.html
            var latest: [String: Int] = [:]
            for row in try await database.fetchAll(
                "SELECT version, script, type, checksum, installed_on, execution_time, success FROM \(table) ORDER BY installed_rank"
            ) {
                let type = (row["type"]?.text ?? "").uppercased()
                // `flyway baseline` marks every version up to its own as applied.
                if type == "BASELINE", let version = row["version"]?.text {
                    history.entries.append(
                        Entry(
                            identifier: version, appliedAt: row["installed_on"].flatMap(Self.date),
                            coversOlderVersions: true))
                    continue
                }
                // The schema-creation marker and deleted rows record no script that ran.
                guard !["SCHEMA", "BASELINE", "DELETE"].contains(type) else { continue }
                let script = row["script"]?.text ?? ""
                let identifier =
                    row["version"]?.text.flatMap { $0.isEmpty ? nil : $0 }
                    ?? "R__" + Self.flywayRepeatableName(script)
                if row["success"]?.isTrue != true {
                    history.problems.append(
                        "Flyway recorded \(script.isEmpty ? identifier : script) as failed (success = false)"
                    )
                }
                let entry = Entry(
                    identifier: identifier, appliedAt: row["installed_on"].flatMap(Self.date),
                    seconds: row["execution_time"]?.integer.map { Double($0) / 1000 },
                    checksum: row["checksum"]?.integer.map {
                        .flywayCRC32(Int32(truncatingIfNeeded: $0))
                    })
                // A repeatable script's newest run stands for it.
                if let index = latest[identifier] {
                    history.entries[index] = entry
                } else {
                    latest[identifier] = history.entries.count
                    history.entries.append(entry)
                }
            }
        case .golangMigrate:
            // https://github.com/golang-migrate/migrate (database/sqlite3, database/postgres): one row.
            for row in try await database.fetchAll("SELECT version, dirty FROM \(table)") {
                let version = row["version"]?.text ?? ""
                if row["dirty"]?.isTrue == true {
                    history.problems.append(
                        "golang-migrate left version \(version) dirty: it failed half-way, and golang-migrate "
                            + "will not run until someone fixes the database and forces a version")
                }
                history.entries.append(Entry(identifier: version))
            }
        case .dbmate:
            // https://github.com/amacneil/dbmate: schema_migrations (version varchar(128) primary key).
            for row in try await database.fetchAll("SELECT version FROM \(table) ORDER BY version")
            {
                history.entries.append(Entry(identifier: row["version"]?.text ?? ""))
            }
        case .diesel:
            // diesel_migrations: __diesel_schema_migrations (version VARCHAR(50), run_on TIMESTAMP).
            for row in try await database.fetchAll(
                "SELECT version, run_on FROM \(table) ORDER BY version")
            {
                history.entries.append(
                    Entry(
                        identifier: row["version"]?.text ?? "",
                        appliedAt: row["run_on"].flatMap(Self.date)))
            }
        case .sqlx:
            // sqlx-core's migrate: _sqlx_migrations (version, description, installed_on, success, checksum, execution_time ns).
            for row in try await database.fetchAll(
                "SELECT version, description, installed_on, success, checksum, execution_time FROM \(table) ORDER BY version"
            ) {
                let version = row["version"]?.text ?? ""
                if row["success"]?.isTrue != true {
                    history.problems.append(
                        "SQLx recorded migration \(version) (\(row["description"]?.text ?? "")) as failed (success = false)"
                    )
                }
                var checksum: ToolChecksum?
                if case .blob(let bytes) = row["checksum"] ?? .null {
                    checksum = .sqlxSHA384(Checksum.hex(bytes))
                }
                history.entries.append(
                    Entry(
                        identifier: version, appliedAt: row["installed_on"].flatMap(Self.date),
                        seconds: row["execution_time"]?.integer.map { Double($0) / 1e9 },
                        checksum: checksum))
            }
        case .goose:
            // https://github.com/pressly/goose: goose_db_version (id, version_id, is_applied, tstamp);
            // the newest row of a version says whether it is applied; version 0 is goose's own first row.
            var applied: [String: Entry] = [:]
            var order: [String] = []
            for row in try await database.fetchAll(
                "SELECT version_id, is_applied, tstamp FROM \(table) ORDER BY id")
            {
                let version = row["version_id"]?.text ?? ""
                guard version != "0" else { continue }
                order.removeAll { $0 == version }
                if row["is_applied"]?.isTrue == true {
                    applied[version] = Entry(
                        identifier: version, appliedAt: row["tstamp"].flatMap(Self.date))
                    order.append(version)
                } else {
                    applied[version] = nil
                }
            }
            history.entries = order.compactMap { applied[$0] }
        case .sqitch:
            // https://sqitch.org/docs/manual/sqitch-tutorial/: the registry's changes table lists deployed changes.
            // A change reworked after a tag is deployed again under the same name: its second
            // deployment is the plan's second occurrence, `name#2` (``SqitchLayout``).
            var deployed: [String: Int] = [:]
            for row in try await database.fetchAll(
                "SELECT change, committed_at, project FROM \(table) ORDER BY committed_at, change")
            {
                // One registry serves every project deployed to the database.
                if let project, row["project"]?.text != project { continue }
                let change = row["change"]?.text ?? ""
                let occurrence = (deployed[change] ?? 0) + 1
                deployed[change] = occurrence
                history.entries.append(
                    Entry(
                        identifier: occurrence == 1 ? change : "\(change)#\(occurrence)",
                        appliedAt: row["committed_at"].flatMap(Self.date)))
            }
        case .alembic:
            // https://alembic.sqlalchemy.org: alembic_version (version_num), the current heads.
            for row in try await database.fetchAll("SELECT version_num FROM \(table)") {
                history.entries.append(Entry(identifier: row["version_num"]?.text ?? ""))
            }
        case .grdb:
            // GRDB's DatabaseMigrator: grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY).
            for row in try await database.fetchAll("SELECT identifier FROM \(table)") {
                history.entries.append(Entry(identifier: row["identifier"]?.text ?? ""))
            }
        case .django:
            // django.db.migrations.recorder: django_migrations (id, app, name, applied).
            for row in try await database.fetchAll(
                "SELECT app, name, applied FROM \(table) ORDER BY id")
            {
                history.entries.append(
                    Entry(
                        identifier: "\(row["app"]?.text ?? "")_\(row["name"]?.text ?? "")",
                        appliedAt: row["applied"].flatMap(Self.date)))
            }
        }
        return history
    }

    /// The name Flyway gives a repeatable script in Ferry's reading of its
    /// folder: `R__name.sql` without `R__` and `.sql`.
    private static func flywayRepeatableName(_ script: String) -> String {
        var name = Substring(script)
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        if name.hasPrefix("R__") { name = name.dropFirst(3) }
        if name.hasSuffix(".sql") { name = name.dropLast(4) }
        return String(name)
    }

    /// A time as the tools write it: ISO 8601 (PostgreSQL's values, as
    /// Ferry reads them), or SQLite's `YYYY-MM-DD HH:MM:SS[.SSS]` in UTC.
    static func date(_ value: SQLValue) -> Date? {
        guard case .text(let text) = value else { return nil }
        if let date = Timestamp.date(from: text) { return date }
        var normalized = text.trimmingCharacters(in: .whitespaces)
            .replacingOccurrences(of: " ", with: "T")
        var fraction = 0.0
        if let dot = normalized.firstIndex(of: ".") {
            let digits = normalized[normalized.index(after: dot)...].prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            normalized.removeSubrange(dot..<normalized.index(dot, offsetBy: digits.count + 1))
        }
        let hasZone =
            normalized.hasSuffix("Z")
            || normalized.dropFirst(19).contains { $0 == "+" || $0 == "-" }
        if !hasZone { normalized += "Z" }
        return ISO8601DateFormatter().date(from: normalized).map { $0 + fraction }
    }
}

extension SQLValue {
    /// The value as text: a text, or a number written out.
    var text: String? {
        switch self {
        case .text(let text): text
        case .integer(let integer): String(integer)
        case .real(let real): String(real)
        case .null, .blob: nil
        }
    }

    /// The value as an integer: an integer, or a text that is one.
    var integer: Int64? {
        switch self {
        case .integer(let integer): integer
        case .text(let text): Int64(text)
        case .real(let real): Int64(exactly: real)
        case .null, .blob: nil
        }
    }
}

extension ForeignHistory {
    /// Whether a migration is the one a tool's identifier names (see
    /// ``AdoptionPlan``): by its version in the tool's history, read as the
    /// tool compares versions, or, for a migration of no other tool or a tool
    /// whose migrations are code (Alembic, GRDB, Django), by name.
    static func matches(_ migration: Migration, _ identifier: String, tool: ForeignTool) -> Bool {
        // Tools whose migrations are code name them: their identifiers match names in any layout.
        if tool.layout != nil, let version = migration.toolVersion {
            return key(of: version, for: tool) == key(of: identifier, for: tool)
        }
        if migration.name == identifier { return true }
        let rest = migration.name.drop { $0.isASCII && $0.isNumber }
        return rest.count < migration.name.count && rest.hasPrefix("_")
            && rest.dropFirst() == identifier
    }

    /// Whether a migration's version is older than a tool's identifier, or
    /// the same, as the tool orders versions (Flyway's parts as numbers).
    static func isAtOrBefore(_ migration: Migration, _ identifier: String, tool: ForeignTool)
        -> Bool
    {
        guard let version = migration.toolVersion, !migration.isRepeatable else { return false }
        let left = key(of: version, for: tool).split(separator: ".")
        let right = key(of: identifier, for: tool).split(separator: ".")
        for (a, b) in zip(left, right) where a != b {
            // Parts without leading zeros: a longer number is a larger one.
            return a.count != b.count ? a.count < b.count : a < b
        }
        return left.count <= right.count
    }

    /// A version as its tool compares it: Flyway's parts as numbers without
    /// trailing zero parts (`1.10.0` is `1.10`), numbers without leading
    /// zeros, Diesel's without dashes.
    private static func key(of version: String, for tool: ForeignTool) -> String {
        func number(_ text: Substring) -> String {
            let digits = text.drop { $0 == "0" }
            return digits.isEmpty ? "0" : String(digits)
        }
        switch tool {
        case .flyway:
            guard !version.hasPrefix("R__") else { return version }
            var parts = version.split(whereSeparator: { $0 == "." || $0 == "_" }).map(number)
            while parts.count > 1, parts.last == "0" { parts.removeLast() }
            return parts.joined(separator: ".")
        case .golangMigrate, .dbmate, .sqlx, .goose:
            return version.allSatisfy(\.isNumber) ? number(Substring(version)) : version
        case .diesel:
            return version.replacingOccurrences(of: "-", with: "")
        case .sqitch, .alembic, .grdb, .django:
            return version
        }
    }
}
