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
            let displayName = displayName
            func begin() async throws {
                do {
                    try await PostgresScriptRunner.runToTheEnd(
                        sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: connection)
                    // While psql reads a table, this session waits in its transaction: a server's
                    // idle timeout must not end it, and the snapshot psql reads in with it.
                    for setting in PostgresExportSchema.exactTextSettings + [
                        "SET LOCAL idle_in_transaction_session_timeout = 0",
                        "SET LOCAL statement_timeout = 0",
                    ] {
                        try await PostgresScriptRunner.runToTheEnd(sql: setting, on: connection)
                    }
                } catch let error as FerryError {
                    throw error
                } catch {
                    throw PostgresExportSnapshot.failure(
                        error, "begin the export's snapshot", displayName)
                }
            }
            try await begin()
            do {
                var copier: PostgresCopyReader?
                do {
                    copier = try await copyReader(in: connection)
                } catch is SnapshotNotExported {
                    // Nothing was read yet: the export starts again in a new transaction.
                    try? await PostgresScriptRunner.runToTheEnd(sql: "ROLLBACK", on: connection)
                    try await begin()
                }
                let snapshot = PostgresExportSnapshot(
                    connection: connection, displayName: displayName, copier: copier)
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

extension PostgresEngine {
    /// What reads the rows by `COPY` in the export's snapshot (exported from
    /// the transaction open on `connection`), or nil when psql of the
    /// server's version cannot be found: the rows are then read as query
    /// results, which is slower but needs no client program.
    fileprivate func copyReader(in connection: PostgresConnection) async throws
        -> PostgresCopyReader?
    {
        let tools: PostgresTools
        do {
            tools = try await self.tools(on: connection)
        } catch let error as FerryError where error.code == .backupFailed {
            return nil
        } catch let error as FerryError {
            throw error
        } catch {
            throw PostgresExportSnapshot.failure(error, "read the server's version", displayName)
        }
        do {
            let rows = try await connection.queryUnlessClosed(
                "SELECT pg_export_snapshot()", logger: PostgresConnector.logger)
            var snapshot: String?
            for try await value in rows.decode(String.self) { snapshot = value }
            guard let snapshot else { throw SnapshotNotExported() }
            return PostgresCopyReader(
                tools: tools, location: location, applicationName: applicationName("export"),
                snapshot: snapshot, settings: PostgresExportSchema.exactTextSettings)
        } catch let error as SnapshotNotExported {
            throw error
        } catch let error where PostgresServerMessage(error) != nil {
            // The server refused (a look-alike without the function, an old standby): the
            // transaction is over, and the rows are read as results in a new one.
            throw SnapshotNotExported()
        } catch {
            throw PostgresExportSnapshot.failure(error, "export the snapshot", displayName)
        }
    }
}

/// What the caller's row handler threw, told apart from a failed read.
private struct RowHandlerFailure: Error {
    let error: any Error
}

/// The server could not export the export's snapshot (`pg_export_snapshot()`).
private struct SnapshotNotExported: Error {}

/// The export's snapshot on a PostgreSQL database.
struct PostgresExportSnapshot: ExportSnapshot {
    let connection: PostgresConnection
    let displayName: String
    /// Reads the rows by `COPY` in this snapshot, when psql is at hand.
    let copier: PostgresCopyReader?

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

    /// Every column as its value (binary `COPY`) or as its text (which the
    /// snapshot's settings make exact); rows stream from the server with
    /// back-pressure: by `COPY` through psql, or else as query results.
    func readRows(of table: ExportTable, where condition: String?, into rows: ExportRowBuffer)
        async throws
    {
        func select(_ columns: [String]) -> String {
            "SELECT \(columns.joined(separator: ", ")) FROM \(SQLIdentifier.quoted(table.name))"
                + (condition.map { " WHERE \($0)" } ?? "")
        }
        let types = table.columns.map(\.logicalType)
        if let copier {
            let copied = table.columns.map(PostgresCopiedColumn.init)
            let copy: String
            if condition == nil, !copied.contains(where: \.isCast), try await isPlainTable(table) {
                // `COPY` of a table reads its heap straight; of a query, through the executor,
                // which cost the server a tenth more.
                let columns = table.columns.map { SQLIdentifier.quoted($0.name) }
                copy =
                    "COPY \(SQLIdentifier.quoted(table.name))"
                    + (columns.isEmpty ? "" : " (\(columns.joined(separator: ", ")))")
                    + " TO STDOUT (FORMAT binary)"
            } else {
                let columns = zip(table.columns, copied).map { column, copied in
                    SQLIdentifier.quoted(column.name) + (copied.isCast ? "::text" : "")
                }
                copy = "COPY (\(select(columns))) TO STDOUT (FORMAT binary)"
            }
            do {
                try await copier.read(copy, columns: copied.count) { fields in
                    for index in 0..<fields.count {
                        try copied[index].append(fields[index], to: rows)
                    }
                    try rows.endRow()
                }
            } catch let error as PostgresCopyReader.Malformed {
                throw FerryError(
                    .databaseUnavailable,
                    "Could not read \(table.name) in \(displayName): \(error).",
                    changes: "Nothing was changed; an unfinished export has no manifest.")
            }
            return
        }
        let columns = table.columns.map { column in
            column.logicalType == .blob
                ? SQLIdentifier.quoted(column.name) : SQLIdentifier.quoted(column.name) + "::text"
        }
        do {
            let sequence = try await connection.queryUnlessClosed(
                PostgresQuery(unsafeSQL: select(columns)), logger: PostgresConnector.logger)
            for try await fetched in sequence {
                for (index, cell) in fetched.enumerated() {
                    rows.append(try Self.value(cell, type: types[index], table: table.name))
                }
                do {
                    try rows.endRow()
                } catch {
                    throw RowHandlerFailure(error: error)
                }
            }
        } catch let failure as RowHandlerFailure {
            // What the caller's `row` throws (a full disk) is its own error, not a failed read.
            throw failure.error
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
        return value(text: String(decoding: bytes.readableBytesView, as: UTF8.self), type: type)
    }

    /// A value of the logical type from its text, as the snapshot's settings write it.
    static func value(text: String, type: LogicalType) -> ExportValue {
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

    /// Whether `table` is an ordinary table, which `COPY` reads without a
    /// query (not a partitioned one, whose rows are in its partitions).
    private func isPlainTable(_ table: ExportTable) async throws -> Bool {
        let relation =
            "to_regclass(format('%I.%I', current_schema(), \(SQLLiteral.quoted(table.name))))"
        return try await access("read the kind of \(table.name)") {
            let rows = try await connection.queryUnlessClosed(
                PostgresQuery(
                    unsafeSQL: "SELECT relkind::text FROM pg_class WHERE oid = \(relation)"),
                logger: PostgresConnector.logger)
            var kind: String?
            for try await value in rows.decode(String.self) { kind = value }
            return kind == "r"
        }
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
