import Ferry
import Foundation
import PostgresNIO

/// Ferry's own tables in a PostgreSQL database, as ``HistoryStore`` writes
/// them, in the first schema of the role's `search_path`: this runs the
/// store's statements on a connection, inside the caller's transaction
/// (PostgreSQL's DDL is transactional).
enum PostgresHistory {
    static let store = HistoryStore(dialect: PostgresHistoryDialect())

    /// Runs a statement of the store and reads its rows as the store typed them.
    @discardableResult
    static func run(_ statement: HistoryStatement, on connection: PostgresConnection) async throws
        -> [[HistoryValue]]
    {
        var bindings = PostgresBindings()
        for argument in statement.arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .date(let date): bindings.append(date)
            case .boolean(let boolean): bindings.append(boolean)
            }
        }
        let rows = try await connection.queryUnlessClosed(
            PostgresQuery(unsafeSQL: statement.sql, binds: bindings),
            logger: PostgresConnector.logger)
        var result: [[HistoryValue]] = []
        for try await row in rows {
            guard !statement.columns.isEmpty else { continue }
            let cells = row.makeRandomAccess()
            var values: [HistoryValue] = []
            for (index, kind) in statement.columns.enumerated() {
                let cell = cells[index]
                switch kind {
                case .text:
                    values.append(try cell.decode(String?.self).map(HistoryValue.text) ?? .null)
                case .integer:
                    values.append(try cell.decode(Int?.self).map(HistoryValue.integer) ?? .null)
                case .real:
                    values.append(try cell.decode(Double?.self).map(HistoryValue.real) ?? .null)
                case .date:
                    values.append(try cell.decode(Date?.self).map(HistoryValue.date) ?? .null)
                case .boolean:
                    values.append(try cell.decode(Bool?.self).map(HistoryValue.boolean) ?? .null)
                }
            }
            result.append(values)
        }
        return result
    }

    static func readState(on connection: PostgresConnection) async throws -> DatabaseState {
        let tables = store.tables(from: try await run(store.tablesQuery, on: connection))
        var rows: [[[HistoryValue]]] = []
        for query in store.stateQueries(for: tables) {
            rows.append(try await run(query, on: connection))
        }
        return store.state(tables: tables, rows: rows)
    }

    /// Creates Ferry's tables when they are missing, and adds the columns
    /// of this release to those of an older one: what ``record(_:on:)``,
    /// ``updateHistory(id:checksum:note:acceptance:on:)`` and
    /// ``stamp(_:at:on:)`` need first (``PostgresSession`` runs it once).
    static func prepareTables(on connection: PostgresConnection) async throws {
        for statement in store.createTables { try await run(statement, on: connection) }
        let tables = store.tables(from: try await run(store.tablesQuery, on: connection))
        for statement in store.ownTablesMigration(existing: tables) {
            try await run(statement, on: connection)
        }
    }

    static func recordEvent(_ event: HistoryEvent, on connection: PostgresConnection) async throws {
        try await run(store.createEvents, on: connection)
        try await run(store.record(event), on: connection)
    }

    static func record(_ migration: AppliedMigration, on connection: PostgresConnection)
        async throws
    {
        try await run(store.record(migration), on: connection)
    }

    static func updateHistory(
        id: String, checksum: String, note: String?, acceptance: AppliedMigration.Acceptance,
        on connection: PostgresConnection
    ) async throws {
        try await run(
            store.accept(id: id, checksum: checksum, note: note, acceptance: acceptance),
            on: connection)
    }

    static func deleteHistory(id: String, on connection: PostgresConnection) async throws {
        try await run(store.delete(id: id), on: connection)
    }

    /// Records the release, with the fingerprint of the history as it is
    /// now, in the transaction that wrote the history.
    static func stamp(_ release: Release, at date: Date, on connection: PostgresConnection)
        async throws
    {
        let history = try await run(store.fingerprintSourceQuery, on: connection)
        try await run(store.stamp(release, at: date, history: history), on: connection)
    }

    /// The recorded release and fingerprint, in one query; nil when the
    /// database has none or its history changed since (see
    /// ``HistoryStore/recordedFingerprintQuery``).
    static func recordedFingerprint(
        on connection: PostgresConnection
    ) async throws -> (release: Release, fingerprint: HistoryFingerprint)? {
        store.recordedFingerprint(
            from: try await run(store.recordedFingerprintQuery, on: connection))
    }

    /// The same on a connection that an application lent, whose database
    /// and `search_path` are its own: the one statement also says whether
    /// the connection is on `location`'s database and, when the location
    /// names a schema, in that schema. Not at the location, or without a
    /// fingerprint row to tell, the caller reads on its own connection.
    static func recordedFingerprint(
        on connection: PostgresConnection, at location: PostgresLocation
    ) async throws -> (
        isAtLocation: Bool, recorded: (release: Release, fingerprint: HistoryFingerprint)?
    ) {
        let query = store.recordedFingerprintQuery
        let placed = HistoryStatement(
            """
            SELECT recorded.*, current_database() = $1 AND ($2::text IS NULL OR current_schema() = $2)
            FROM (\(query.sql)) AS recorded (release, fingerprint, unchanged)
            """,
            arguments: [.text(location.database), location.schema.map(HistoryValue.text) ?? .null],
            columns: query.columns + [.boolean])
        let rows = try await run(placed, on: connection)
        guard let row = rows.first, row[3].boolean == true else { return (false, nil) }
        return (true, store.recordedFingerprint(from: [Array(row.prefix(3))]))
    }
}

/// PostgreSQL's spelling of Ferry's tables.
struct PostgresHistoryDialect: HistoryDialect {
    func placeholder(_ position: Int) -> String { "$\(position)" }
    var textType: String { "text" }
    var integerType: String { "integer" }
    var realType: String { "double precision" }
    var timestampType: String { "timestamptz" }
    var numberedKey: String { "bigserial PRIMARY KEY" }

    /// Through `to_regclass`, which finds a table as the statements do: in
    /// the first schema of the `search_path` that has it.
    func columnsQuery(of tables: [String]) -> String {
        let names = tables.map { "to_regclass('\($0)')" }.joined(separator: ", ")
        return """
            SELECT c.relname::text, a.attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE a.attrelid IN (\(names)) AND a.attnum > 0 AND NOT a.attisdropped
            """
    }

    /// The tables, views and sequences of the database's own schemas (not
    /// PostgreSQL's, and not those that belong to an extension), qualified
    /// with their schema; of the session's schema alone when it works in one
    /// (``PostgresLocation/schemaSetting``).
    var applicationTablesQuery: String {
        """
        SELECT format('%I.%I', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND coalesce(nullif(current_setting('\(PostgresLocation.schemaSetting)', true), ''), n.nspname) = n.nspname
          AND NOT EXISTS (
              SELECT 1 FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1
        """
    }
}
