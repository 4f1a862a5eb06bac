import Ferry
import Foundation
import GRDB

/// Everything a user could check in a SQLite database: the file's bytes,
/// the schema, and every row of every table (Ferry's own included).
public struct DatabaseSnapshot: Equatable, CustomStringConvertible {
    /// The SHA-256 of the database file.
    public let fileChecksum: String
    /// `sqlite_master` rows, sorted.
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
                db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1")
            var rows: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(quotedIdentifier(table))")
                    .map { $0.description }.sorted()
            }
            return (schema, rows)
        }
    }

    /// The number of rows in each table.
    public var counts: [String: Int] { rows.mapValues(\.count) }

    public var description: String {
        "file \(fileChecksum.prefix(12)), \(schema.count) schema objects, rows \(counts)"
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
    return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
}

/// An SQL identifier in double quotes, inner quotes doubled.
public func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
