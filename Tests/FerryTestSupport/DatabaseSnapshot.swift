import Ferry
import Foundation
import GRDB

/// Everything a user could check in a database: the schema and every row
/// of every table (Ferry's own included), and for SQLite the file's bytes.
public struct DatabaseSnapshot: Equatable, CustomStringConvertible {
    /// The SHA-256 of the database file (SQLite only).
    public let fileChecksum: String?
    /// The schema's objects as text, sorted: `sqlite_master` rows for SQLite;
    /// columns, constraints, indexes, views, triggers, functions and enum
    /// types for PostgreSQL.
    public let schema: [String]
    /// Every table's rows as text, by table.
    public let rows: [String: [String]]

    /// Reads a snapshot of a database file, read-only.
    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        fileChecksum = Checksum.sha256(data)
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        (schema, rows) = try queue.read { db in
            let schema = try String.fetchAll(
                db,
                sql:
                    "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1"
            )
            var rows: [String: [String]] = [:]
            for table in try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            where table != DatabaseSnapshot.eventsTable {
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(quotedIdentifier(table))")
                    .map { $0.description }.sorted()
            }
            return (schema.filter { !$0.contains(DatabaseSnapshot.eventsTable) }, rows)
        }
    }

    /// Reads a snapshot of a PostgreSQL database of the test server with
    /// `psql`. Sequences are left out: PostgreSQL never rolls them back.
    public init(postgresDatabase database: String) async throws {
        fileChecksum = nil
        let schemaQuery = """
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
                   || is_nullable || ' ' || coalesce(column_default, '')
              FROM information_schema.columns WHERE table_schema = current_schema()
            UNION ALL
            SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL
            SELECT 'function ' || pg_get_functiondef(oid) FROM pg_proc
             WHERE pronamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'type ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
              FROM pg_type AS t JOIN pg_enum AS e ON e.enumtypid = t.oid GROUP BY t.typname
            ORDER BY 1
            """
        let records = { (output: String) in output.split(separator: "\0").map(String.init) }
        schema = records(
            try await PostgresTestServer.psql(
                ["-A", "-t", "-0", "-c", schemaQuery], database: database)
        )
        .filter { !$0.contains(DatabaseSnapshot.eventsTable) }
        let tables = records(
            try await PostgresTestServer.psql(
                [
                    "-A", "-t", "-0", "-c",
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
                ],
                database: database))
        var rows: [String: [String]] = [:]
        for table in tables where table != DatabaseSnapshot.eventsTable {
            let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            rows[table] = records(
                try await PostgresTestServer.psql(
                    ["-A", "-t", "-0", "-c", "SELECT t::text FROM \(quoted) AS t"],
                    database: database)
            ).sorted()
        }
        self.rows = rows
    }

    /// The number of rows in each table.
    public var counts: [String: Int] { rows.mapValues(\.count) }

    /// Whether two snapshots hold the same schema and rows, whatever the
    /// file's bytes (a restored SQLite file differs in its header).
    /// Ferry's log of what was done to the database (`ferry_events`), left
    /// out of every snapshot: a restore writes its event into the restored
    /// database, which otherwise holds exactly the backup's data.
    public static let eventsTable = "ferry_events"

    public func hasSameContent(as other: DatabaseSnapshot) -> Bool {
        schema == other.schema && rows == other.rows
    }

    /// What differs from `other`, for a failed expectation: the schema's
    /// objects and a few rows of each table that only one of the two holds.
    public func differences(from other: DatabaseSnapshot) -> String {
        func only(_ mine: [String], _ theirs: [String]) -> String {
            let (left, right) = (Set(mine).subtracting(theirs), Set(theirs).subtracting(mine))
            return "only here \(left.sorted().prefix(5)), only there \(right.sorted().prefix(5))"
        }
        var lines: [String] = []
        if schema != other.schema { lines.append("schema: " + only(schema, other.schema)) }
        for table in Set(rows.keys).union(other.rows.keys).sorted()
        where rows[table] != other.rows[table] {
            lines.append("\(table): " + only(rows[table] ?? [], other.rows[table] ?? []))
        }
        return lines.isEmpty ? "no difference" : lines.joined(separator: "\n")
    }

    public var description: String {
        "file \(fileChecksum?.prefix(12) ?? "-"), \(schema.count) schema objects, rows \(counts)"
    }
}

/// Opens a database and reads one value as text.
public func scalar(_ sql: String, in path: String) throws -> String? {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        guard let value = try DatabaseValue.fetchOne(db, sql: sql) else { return nil }
        switch value.storage {
        case .null: return "NULL"
        case .int64(let integer): return String(integer)
        case .double(let double): return String(double)
        case .string(let string): return string
        case .blob(let data): return Checksum.hex(data)
        }
    }
}

/// `PRAGMA integrity_check` of a database file.
public func integrityCheck(_ path: String) throws -> String {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
    }
}

/// An SQL identifier in double quotes, inner quotes doubled.
public func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
