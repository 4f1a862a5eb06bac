import Ferry
import Foundation
import PostgresNIO

/// One scratch database and the maker's session that holds its mark
/// (``ScratchDatabases``).
struct PostgresScratch: Sendable {
    /// The database's name, `ferry_<purpose>_lock_<uuid>`.
    let name: String
    /// The session that created it and holds its lock.
    let maker: PostgresConnection
    /// Keeps the maker's session alive while the scratch database is used.
    let watch: PostgresSessionWatch

    /// Whether the maker's session still holds the mark: a session ended by
    /// the server (`idle_session_timeout`) freed it, and another run may
    /// have dropped the database since.
    func isAlive() async -> Bool {
        do {
            // Bounded: a session left idle may have lost its connection without a word.
            try await watch.bounded {
                try await PostgresScriptRunner.runToTheEnd(sql: "SELECT 1", on: maker)
            }
            return true
        } catch {
            try? await maker.close()
            return false
        }
    }

    /// Empties the database for the next use: drops every schema but the
    /// server's own (with whatever lives in them, extensions too) and makes
    /// `public` again; then checks that nothing is left that a schema does
    /// not hold (an extension in the server's schemas, a large object, a
    /// publication, an event trigger).
    ///
    /// - Returns: Whether it is empty now; when not, it is to be dropped.
    func empty(connector: PostgresConnector) async -> Bool {
        do {
            try await connector.withConnection(to: name) { connection in
                try await PostgresScriptRunner.runToTheEnd(
                    sql: """
                        DO $ferry$
                        DECLARE
                            schema_name text;
                        BEGIN
                            FOR schema_name IN
                                SELECT nspname FROM pg_namespace
                                 WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'
                            LOOP
                                EXECUTE format('DROP SCHEMA %I CASCADE', schema_name);
                            END LOOP;
                            CREATE SCHEMA public;
                            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname <> 'plpgsql')
                               OR EXISTS (SELECT 1 FROM pg_largeobject_metadata)
                               OR EXISTS (SELECT 1 FROM pg_publication)
                               OR EXISTS (SELECT 1 FROM pg_event_trigger) THEN
                                RAISE EXCEPTION 'not empty';
                            END IF;
                        END
                        $ferry$
                        """, on: connection)
            }
            return true
        } catch {
            return false
        }
    }

    /// Drops the database and ends the maker's session, which frees its
    /// mark. A failure leaves it to the next run, which proves it dead by
    /// its mark.
    func drop() async {
        _ = try? await watch.during { try await OwnDatabaseDrop.drop(name, on: maker) }
        // Closing the session frees the scratch database's lock.
        try? await maker.close()
    }
}

/// The scratch databases of one purpose made for the schemas of one live
/// database during a fleet run (``ScratchReuse``): the schemas take turns
/// with them, one at a time each, emptied between two
/// (``PostgresScratch/empty(connector:)``). Only schemas of the same live
/// database share, because a scratch database carries its live database's
/// settings.
actor PostgresScratchPool: ScratchPool {
    private var idle: [PostgresScratch] = []

    /// The key of the pool for scratch databases of `purpose` made for `location`.
    static func key(for location: PostgresLocation, purpose: String) -> String {
        "postgres \(location.server) \(location.user) \(location.database) \(purpose)"
    }

    /// A kept scratch database, if one is free.
    func take() -> PostgresScratch? { idle.popLast() }

    /// Keeps an emptied scratch database for the next use.
    func keep(_ scratch: PostgresScratch) { idle.append(scratch) }

    func drain() async {
        let all = idle
        idle = []
        for scratch in all { await scratch.drop() }
    }
}
