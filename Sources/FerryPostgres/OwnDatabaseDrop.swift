import Ferry
import PostgresNIO

/// Drops a database that this run created itself: a scratch database, or
/// the live one when the first install that created it failed.
///
/// With FORCE: the sessions this run opened on it may not have ended on the
/// server yet (a busy server ends a closed session late), and a plain
/// `DROP DATABASE` gives up after five seconds, leaving the database behind.
/// Servers before PostgreSQL 13 do not know FORCE, and get the plain one.
enum OwnDatabaseDrop {
    /// Drops `name`, if it exists, from `connection` (a session on another database).
    static func drop(_ name: String, on connection: PostgresConnection) async throws {
        let quoted = SQLIdentifier.quoted(name)
        do {
            try await PostgresScriptRunner.runToTheEnd(
                sql: "DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)", on: connection)
        } catch {
            try await PostgresScriptRunner.runToTheEnd(
                sql: "DROP DATABASE IF EXISTS \(quoted)", on: connection)
        }
    }
}
