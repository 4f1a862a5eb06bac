import Foundation
import GRDB

/// Every row of every table with each value's exact type and bits, and the
/// schema: what "equal databases" means for dumps and restores.
public struct TableContents: Equatable, CustomStringConvertible {
    /// Schema objects as `type name: sql`, sorted.
    public let schema: [String]
    /// Rows per table, each value as `type:value` (REALs by their bits), sorted.
    public let tables: [String: [String]]
    /// `PRAGMA user_version`.
    public let userVersion: Int

    /// Reads a database file.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        (schema, tables, userVersion) = try queue.read { db in
            let schema = try Row.fetchAll(
                db, sql: "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
            )
            .map { "\($0["type"] as String) \($0["name"] as String): \($0["sql"] as String)" }
            .sorted()
            var tables: [String: [String]] = [:]
            let names = try String.fetchAll(
                db,
                sql:
                    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT IN ('sqlite_schema', 'sqlite_temp_schema')"
            )
            // Ferry's log of what was done to the database is not its data (see DatabaseSnapshot.eventsTable).
            for name in names where name != DatabaseSnapshot.eventsTable {
                tables[name] = try Row.fetchAll(db, sql: "SELECT * FROM \(quotedIdentifier(name))")
                    .map { row in
                        row.databaseValues.map { value -> String in
                            switch value.storage {
                            case .null: return "null"
                            case .int64(let integer): return "integer:\(integer)"
                            case .double(let double): return "real:\(double.bitPattern)"
                            case .string(let string): return "text:\(string.debugDescription)"
                            case .blob(let data): return "blob:\(data.base64EncodedString())"
                            }
                        }.joined(separator: "|")
                    }.sorted()
            }
            return (
                schema.filter { !$0.contains(DatabaseSnapshot.eventsTable) }, tables,
                try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            )
        }
    }

    public var description: String {
        "schema \(schema.count) objects, user_version \(userVersion), rows \(tables.mapValues(\.count))"
    }
}

/// Runs the real `sqlite3` shell on a database with a script on standard input.
@discardableResult
public func sqlite3Shell(_ database: String, input: URL) throws -> (status: Int32, stderr: String) {
    try sqlite3Shell(["-bail", database], input: try FileHandle(forReadingFrom: input))
}

/// Runs the real `sqlite3` shell on a database with `sql` as its argument
/// (statements separated by `;`).
@discardableResult
public func sqlite3Shell(_ database: String, sql: String) throws -> (status: Int32, stderr: String)
{
    try sqlite3Shell(["-bail", database, sql], input: FileHandle.nullDevice)
}

private func sqlite3Shell(_ arguments: [String], input: FileHandle) throws -> (
    status: Int32, stderr: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3"] + arguments
    process.standardInput = input
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, message)
}
