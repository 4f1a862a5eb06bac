import Foundation

/// Faults made to sessions of the test server, as an administrator or an
/// application would make them.
extension PostgresTestServer {
    /// Ends, as an administrator does (`pg_terminate_backend`), the sessions
    /// that match `condition` (a condition on `pg_stat_activity`) as soon as
    /// one appears, looking every 2 ms for at most 600 s (a loaded machine
    /// may take minutes to reach it); fails, saying `never`, when none
    /// appears.
    ///
    /// Run it in a task beside the work whose session it ends.
    ///
    /// - Parameter url: Another server's URL (its `postgres` database), when
    ///   not the test server.
    public static func terminateOnceSeen(where condition: String, never: String, url: String? = nil)
        async throws
    {
        try await psql(
            [
                "-c",
                """
                DO $$
                DECLARE started timestamptz := clock_timestamp();
                BEGIN
                    LOOP
                        PERFORM pg_stat_clear_snapshot();
                        PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE \(condition);
                        EXIT WHEN FOUND;
                        IF clock_timestamp() > started + interval '600 seconds' THEN
                            RAISE EXCEPTION '\(never)';
                        END IF;
                        PERFORM pg_sleep(0.002);
                    END LOOP;
                END $$
                """,
            ], database: "postgres", url: url)
    }

    /// Starts an application client (`application_name` `sensorhub-web`)
    /// that reads `table` (or, `locking`, locks it whole) in a transaction
    /// it keeps open for two minutes, and returns once that transaction is
    /// open; ``endApplication(in:)`` ends it.
    ///
    /// - Returns: The client's task, which ends when its session does.
    public static func holdOpenTransaction(
        reading table: String, locking: Bool = false, in database: String
    ) async throws -> Task<Void, Never> {
        let statement =
            locking
            ? "LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE" : "SELECT count(*) FROM \(table)"
        let application = Task {
            _ = try? await psql(
                [
                    "-c", "SET application_name = 'sensorhub-web'",
                    "-c", "BEGIN; \(statement); SELECT pg_sleep(120); COMMIT;",
                ], database: database)
        }
        let inTransaction = """
            SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'sensorhub-web' AND xact_start IS NOT NULL AND datname = current_database()
            """
        while try await psql(["-At", "-c", inTransaction], database: database) != "1\n" {
            try await Task.sleep(for: .milliseconds(20))
        }
        return application
    }

    /// Ends the application client of ``holdOpenTransaction(reading:in:)``.
    public static func endApplication(in database: String) async throws {
        try await psql(
            [
                "-c",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE application_name = 'sensorhub-web' AND datname = '\(database)'",
            ], database: "postgres")
    }
}
