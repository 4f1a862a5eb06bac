import Ferry
import PostgresNIO

/// PostgreSQL's answers to ``DatabaseInspection``, on one connection, for the
/// application's tables in the connection's current schema (Ferry's own
/// tables left out).
enum PostgresInspection {
    /// Ferry's own tables, left out of counts and schemas.
    static let bookkeepingTables: Set<String> = ["ferry_migrations", "ferry_state"]

    /// What stands for an integrity check on PostgreSQL, which has no
    /// `integrity_check`: indexes left invalid (a failed
    /// `CREATE INDEX CONCURRENTLY` leaves one behind) and, when thorough,
    /// constraints added `NOT VALID` and never validated, which the server
    /// does not check for existing rows.
    static func integrityProblems(on connection: PostgresConnection, thorough: Bool) async throws -> [String]
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
    static func foreignKeyViolations(on connection: PostgresConnection, inTransaction: Bool) async throws
        -> [String]
    {
        guard inTransaction else { return [] }
        try await PostgresScriptRunner.runToTheEnd(sql: "SAVEPOINT ferry_constraint_check", on: connection)
        do {
            try await PostgresScriptRunner.runToTheEnd(sql: "SET CONSTRAINTS ALL IMMEDIATE", on: connection)
            try await PostgresScriptRunner.runToTheEnd(
                sql: "RELEASE SAVEPOINT ferry_constraint_check", on: connection)
            return []
        } catch {
            try await PostgresScriptRunner.runToTheEnd(
                sql: "ROLLBACK TO SAVEPOINT ferry_constraint_check", on: connection)
            guard let said = PostgresServerMessage(error), said.sqlState.hasPrefix("23") else { throw error }
            let names = [said.table.map { "table \($0)" }, said.constraint.map { "constraint \($0)" }]
            let description = (names.compactMap { $0 } + [said.detail ?? said.message]).joined(
                separator: ", ")
            return ["deferred constraint (SET CONSTRAINTS ALL IMMEDIATE before commit): " + description]
        }
    }

    static func rowCounts(on connection: PostgresConnection) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in try await tables(on: connection) {
            let rows = try await connection.queryUnlessClosed(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(PostgresEngine.quoted(table))"),
                logger: PostgresConnector.logger)
            for try await count in rows.decode(Int.self) { counts[table] = count }
        }
        return counts
    }

    /// One line per column, constraint, index, view, trigger, function and
    /// enum type, as the server describes them, sorted. A column's position
    /// is its place among the table's live columns: `ordinal_position` keeps
    /// the gaps of dropped columns, so a column dropped and added again (a
    /// down script, then the migration again) would seem moved.
    static func schemaDescription(on connection: PostgresConnection) async throws -> [String] {
        let lines = try await texts(
            """
            SELECT 'table ' || table_name || ' column '
                   || row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) || ' ' || column_name || ' '
                   || upper(data_type) || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                   || coalesce(' DEFAULT ' || column_default, '')
                   || CASE WHEN is_identity = 'YES' THEN ' IDENTITY' ELSE '' END
              FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name NOT IN ('ferry_migrations', 'ferry_state')
            UNION ALL
            SELECT 'table ' || conrelid::regclass::text || ' constraint ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint
             WHERE connamespace = current_schema()::regnamespace AND contype <> 't'
               AND conrelid::regclass::text NOT IN ('ferry_migrations', 'ferry_state')
            UNION ALL
            SELECT 'index ' || indexdef FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename NOT IN ('ferry_migrations', 'ferry_state')
            UNION ALL
            SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = current_schema()
            UNION ALL
            SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger AS t
              JOIN pg_class AS c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'function ' || pg_get_functiondef(oid) FROM pg_proc
             WHERE pronamespace = current_schema()::regnamespace AND prokind IN ('f', 'p')
            UNION ALL
            SELECT 'type ' || t.typname || ' enum ' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
              FROM pg_type AS t JOIN pg_enum AS e ON e.enumtypid = t.oid
             WHERE t.typnamespace = current_schema()::regnamespace
             GROUP BY t.typname
            """, on: connection)
        return lines.sorted()
    }

    /// The server's version as `major.minor` (`15.18`), from
    /// `server_version_num`, so that requirements such as
    /// `engine = "postgresql >= 14"` compare it; `server_version` may carry
    /// a packager's suffix (`15.18 (Debian 15.18-0+deb12u1)`).
    static func engineVersion(on connection: PostgresConnection) async throws -> String {
        let number = try await texts("SELECT current_setting('server_version_num')", on: connection).first
        guard let number, let value = Int(number) else { return "unknown" }
        return "\(value / 10000).\(value % 10000)"
    }

    /// The application's tables in the current schema, by name.
    static func tables(on connection: PostgresConnection) async throws -> [String] {
        try await texts(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            on: connection
        )
        .filter { !bookkeepingTables.contains($0) }
    }

    /// The first column of every row of a query, as text.
    private static func texts(_ sql: String, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.queryUnlessClosed(PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
        var texts: [String] = []
        for try await text in rows.decode(String?.self) { texts.append(text ?? "") }
        return texts
    }
}
