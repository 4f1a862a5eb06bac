import Ferry
import Foundation
import PostgresNIO

extension PostgresEngine: ExportingEngine {
    /// One `REPEATABLE READ READ ONLY` transaction on a connection of its
    /// own: every table is read from the snapshot its first query takes,
    /// while the application keeps writing; it never blocks a writer.
    public func withExportSnapshot<Result: Sendable>(
        _ body: (any ExportSnapshot) async throws -> Result
    ) async throws -> Result {
        try await connector("export").withExistingDatabase { connection in
            do {
                try await PostgresScriptRunner.runToTheEnd(
                    sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: connection)
                for setting in PostgresExportSchema.exactTextSettings {
                    try await PostgresScriptRunner.runToTheEnd(sql: setting, on: connection)
                }
            } catch let error as FerryError {
                throw error
            } catch {
                throw PostgresExportSnapshot.failure(
                    error, "begin the export's snapshot", displayName)
            }
            let snapshot = PostgresExportSnapshot(connection: connection, displayName: displayName)
            do {
                let result = try await body(snapshot)
                try? await PostgresScriptRunner.runToTheEnd(sql: "COMMIT", on: connection)
                return result
            } catch {
                try? await PostgresScriptRunner.runToTheEnd(sql: "ROLLBACK", on: connection)
                throw error
            }
        }
    }
}

/// The export's snapshot on a PostgreSQL database.
struct PostgresExportSnapshot: ExportSnapshot {
    let connection: PostgresConnection
    let displayName: String

    func readState() async throws -> DatabaseState {
        try await access("read the history") {
            try await PostgresHistory.readState(on: connection)
        }
    }

    func engineVersion() async throws -> String {
        try await access("read the version") {
            try await PostgresInspection.engineVersion(on: connection)
        }
    }

    func exportTables() async throws -> [ExportTable] {
        try await access("read the tables") {
            try await PostgresExportSchema.tables(on: connection)
        }
    }

    func schemaSQL() async throws -> String {
        try await access("read the schema") {
            try await PostgresExportSchema.schemaSQL(on: connection)
        }
    }

    func rowCount(of table: ExportTable, where condition: String?) async throws -> Int? {
        let sql =
            "SELECT count(*) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
        return try await access("count the rows of \(table.name)") {
            let rows = try await connection.queryUnlessClosed(
                PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
            var count: Int?
            for try await value in rows.decode(Int64.self) { count = Int(value) }
            return count
        }
    }

    /// Every column as its text (which the snapshot's settings make exact),
    /// but `bytea` as its bytes; rows stream from the server with back-pressure.
    func readRows(
        of table: ExportTable, where condition: String?, _ row: ([ExportValue]) throws -> Void
    ) async throws {
        let columns = table.columns.map { column in
            column.logicalType == .blob
                ? SQLIdentifier.quoted(column.name) : SQLIdentifier.quoted(column.name) + "::text"
        }
        let sql =
            "SELECT \(columns.joined(separator: ", ")) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
        let types = table.columns.map(\.logicalType)
        do {
            let sequence = try await connection.queryUnlessClosed(
                PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
            var values: [ExportValue] = []
            values.reserveCapacity(types.count)
            for try await fetched in sequence {
                values.removeAll(keepingCapacity: true)
                for (index, cell) in fetched.enumerated() {
                    values.append(try Self.value(cell, type: types[index], table: table.name))
                }
                try row(values)
            }
        } catch let error as FerryError {
            throw error
        } catch {
            throw Self.failure(error, "read \(table.name)", displayName)
        }
    }

    static func value(_ cell: PostgresCell, type: LogicalType, table: String) throws
        -> ExportValue
    {
        guard let bytes = cell.bytes else { return .null }
        if case .blob = type { return .blob(Array(bytes.readableBytesView)) }
        let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
        switch type {
        case .integer:
            guard let integer = Int64(text) else { break }
            return .integer(integer)
        case .real:
            guard let real = Double(text) else { break }
            return .real(real)
        case .boolean:
            return .boolean(text == "t" || text == "true")
        default:
            break
        }
        return .text(text)
    }

    private func access<T>(_ what: String, _ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as FerryError {
            throw error
        } catch {
            throw Self.failure(error, what, displayName)
        }
    }

    static func failure(_ error: any Error, _ what: String, _ displayName: String) -> FerryError {
        FerryError(
            .databaseUnavailable, "Could not \(what) in \(displayName).",
            changes: "Nothing was changed; an unfinished export has no manifest.",
            engineMessage: PostgresServerMessage(error)?.text ?? "\(error)")
    }
}
