import Ferry
import PostgresNIO

/// PostgreSQL's answers to ``DatabaseInspection``, on one connection, for the
/// application's tables in the connection's current schema (Ferry's own
/// tables left out).
enum PostgresInspection {
    /// What stands for an integrity check on PostgreSQL, which has no
    /// `integrity_check`: indexes left invalid (a failed
    /// `CREATE INDEX CONCURRENTLY` leaves one behind) and, when thorough,
    /// constraints added `NOT VALID` and never validated, which the server
    /// does not check for existing rows.
    static func integrityProblems(on connection: PostgresConnection, thorough: Bool) async throws
        -> [String]
    {
        var problems = try await texts(
            """
            SELECT 'index ' || c.relname || ' on ' || t.relname
                   || ' is invalid (left by a failed CREATE INDEX CONCURRENTLY?): drop it and build it again'
            FROM pg_index AS i
            JOIN pg_class AS c ON c.oid = i.indexrelid
            JOIN pg_class AS t ON t.oid = i.indrelid
            WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace
            ORDER BY 1
            """, on: connection)
        if thorough {
            problems += try await texts(
                """
                SELECT 'constraint ' || conname || ' on ' || conrelid::regclass::text
                       || ' is NOT VALID: existing rows were never checked (ALTER TABLE … VALIDATE CONSTRAINT)'
                FROM pg_constraint
                WHERE NOT convalidated AND connamespace = current_schema()::regnamespace
                ORDER BY 1
                """, on: connection)
        }
        return problems
    }

    /// PostgreSQL checks foreign keys as rows change, except deferred ones,
    /// which it checks at commit: inside a transaction they are checked now
    /// (`SET CONSTRAINTS ALL IMMEDIATE` in a savepoint, so that a violation
    /// leaves the transaction usable).
    static func foreignKeyViolations(on connection: PostgresConnection, inTransaction: Bool)
        async throws
        -> [String]
    {
        guard inTransaction else { return [] }
        try await PostgresScriptRunner.runToTheEnd(
            sql: "SAVEPOINT ferry_constraint_check", on: connection)
        do {
            try await PostgresScriptRunner.runToTheEnd(
                sql: "SET CONSTRAINTS ALL IMMEDIATE", on: connection)
            try await PostgresScriptRunner.runToTheEnd(
                sql: "RELEASE SAVEPOINT ferry_constraint_check", on: connection)
            return []
        } catch {
            try await PostgresScriptRunner.runToTheEnd(
                sql: "ROLLBACK TO SAVEPOINT ferry_constraint_check", on: connection)
            guard let said = PostgresServerMessage(error), said.sqlState.hasPrefix("23") else {
                throw error
            }
            let names = [
                said.table.map { "table \($0)" }, said.constraint.map { "constraint \($0)" },
            ]
            let description = (names.compactMap { $0 } + [said.detail ?? said.message]).joined(
                separator: ", ")
            return [
                "deferred constraint (SET CONSTRAINTS ALL IMMEDIATE before commit): " + description
            ]
        }
    }

    /// Rows per application table of the current schema.
    static func rowCounts(on connection: PostgresConnection) async throws -> [String: Int] {
        let tables = try await tables(on: connection)
        return try await rowCounts(
            of: tables.map { ($0, SQLIdentifier.quoted($0)) }, on: connection)
    }

    /// Rows per table of `tables`, each counted through its SQL name (quoted,
    /// qualified when it needs to be) and listed under its key.
    static func rowCounts(
        of tables: [(key: String, sqlName: String)], on connection: PostgresConnection
    ) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in tables {
            let rows = try await connection.queryUnlessClosed(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.sqlName)"),
                logger: PostgresConnector.logger)
            for try await count in rows.decode(Int.self) { counts[table.key] = count }
        }
        return counts
    }

    /// Every table, column, constraint, index, view, trigger, function and
    /// enum type of the current schema, as the server describes them
    /// (Ferry's own tables, the columns of views and the members of
    /// extensions left out). A column's position is its place among the
    /// table's live columns: `ordinal_position` keeps the gaps of dropped
    /// columns, so a column dropped and added again would seem moved.
    ///
    /// Reading definitions waits for the locks that other sessions hold on
    /// the tables (an application's `LOCK TABLE`, a long `ALTER TABLE`):
    /// it waits five seconds at most, then throws, so that an advisory check
    /// never stalls the command that runs it.
    static func schemaObjects(on connection: PostgresConnection) async throws -> [SchemaObject] {
        let previous =
            try await texts("SELECT current_setting('lock_timeout')", on: connection).first ?? "0"
        func setLockTimeout(_ value: String) async throws {
            _ = try await connection.queryUnlessClosed(
                "SELECT set_config('lock_timeout', \(value), false)",
                logger: PostgresConnector.logger)
        }
        try await setLockTimeout("5s")
        do {
            let objects = try await readSchemaObjects(on: connection)
            try await setLockTimeout(previous)
            return objects
        } catch {
            try? await setLockTimeout(previous)
            throw error
        }
    }

    private static func readSchemaObjects(on connection: PostgresConnection) async throws
        -> [SchemaObject]
    {
        let own = HistoryStore.ownTables.sorted().map { "'\($0)'" }.joined(separator: ", ")
        let sql = """
            SELECT 'table', NULL, tablename::text, '', 'table ' || tablename FROM pg_tables
             WHERE schemaname = current_schema() AND tablename NOT IN (\(own))
            UNION ALL
            SELECT 'column', table_name, column_name, definition,
                   'table ' || table_name || ' column ' || ordinal_position || ' ' || column_name || ' ' || definition
              FROM (SELECT table_name::text, column_name::text,
                           row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) AS ordinal_position,
                           upper(data_type) || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                           || coalesce(' DEFAULT ' || column_default, '')
                           || CASE WHEN is_identity = 'YES' THEN ' IDENTITY' ELSE '' END AS definition
                      FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name NOT IN (\(own))
                       AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = current_schema())) AS c
            UNION ALL
            SELECT 'constraint', conrelid::regclass::text, conname::text, pg_get_constraintdef(oid),
                   'table ' || conrelid::regclass::text || ' constraint ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint
             WHERE connamespace = current_schema()::regnamespace AND contype <> 't' AND conrelid <> 0
               AND conrelid::regclass::text NOT IN (\(own))
            UNION ALL
            SELECT 'index', tablename::text, indexname::text, indexdef, 'index ' || indexdef FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename NOT IN (\(own))
            UNION ALL
            SELECT 'view', NULL, viewname::text, definition, 'view ' || viewname || ' ' || definition
              FROM pg_views WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'trigger', c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid), 'trigger ' || pg_get_triggerdef(t.oid)
              FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'function', NULL, p.oid::regprocedure::text, pg_get_functiondef(p.oid),
                   'function ' || pg_get_functiondef(p.oid)
              FROM pg_proc AS p
             WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'p')
               AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.objid = p.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'type', NULL, typname::text, definition, 'type ' || typname || ' ' || definition
              FROM (SELECT t.typname, 'enum ' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS definition
                      FROM pg_type AS t JOIN pg_enum AS e ON e.enumtypid = t.oid
                     WHERE t.typnamespace = current_schema()::regnamespace
                       AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.objid = t.oid AND d.deptype = 'e')
                     GROUP BY t.typname) AS enums
            """
        let rows = try await connection.queryUnlessClosed(
            PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
        var objects: [SchemaObject] = []
        for try await (kind, table, name, definition, line) in rows.decode(
            (String, String?, String, String?, String?).self)
        {
            guard let kind = SchemaObject.Kind(rawValue: kind) else { continue }
            objects.append(
                SchemaObject(
                    kind: kind, table: table, name: name, definition: definition ?? "",
                    line: line ?? "\(kind) \(name)"))
        }
        return objects
    }

    /// The server's version as `major.minor` (`15.18`), from
    /// `server_version_num`, so that requirements such as
    /// `engine = "postgresql >= 14"` compare it; `server_version` may carry
    /// a packager's suffix (`15.18 (Debian 15.18-0+deb12u1)`).
    static func engineVersion(on connection: PostgresConnection) async throws -> String {
        let number = try await texts("SELECT current_setting('server_version_num')", on: connection)
            .first
        guard let number, let value = Int(number) else { return "unknown" }
        return "\(value / 10000).\(value % 10000)"
    }

    /// The application's tables in the current schema, by name.
    static func tables(on connection: PostgresConnection) async throws -> [String] {
        try await texts(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            on: connection
        )
        .filter { !HistoryStore.ownTables.contains($0) }
    }

    /// The first column of every row of a query, as text.
    private static func texts(_ sql: String, on connection: PostgresConnection) async throws
        -> [String]
    {
        let rows = try await connection.queryUnlessClosed(
            PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
        var texts: [String] = []
        for try await text in rows.decode(String?.self) { texts.append(text ?? "") }
        return texts
    }
}
