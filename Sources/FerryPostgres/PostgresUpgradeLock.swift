import Ferry
import Foundation
import PostgresNIO

/// The upgrade lock of a PostgreSQL database: a session-level advisory lock,
/// held on a connection of its own for as long as the upgrade runs.
///
/// The server keeps the lock for the session, so it excludes upgraders on
/// every machine, and frees it as soon as the session ends: when the
/// upgrader releases it, closes the connection, or dies (the kernel closes
/// its socket and the server ends the session). Nobody is judged by a pid.
/// Who holds it is read from `pg_locks` and `pg_stat_activity`.
enum PostgresUpgradeLock {
    /// The advisory lock's key: the bytes of `ferry` read as a number. Advisory
    /// locks belong to one database, so each database has its own upgrade lock.
    static let key: Int64 = 0x66_6572_7279

    /// The key of a schema's own upgrade lock (``PostgresLocation/schema``):
    /// the schema's name hashed (64-bit FNV-1a, which never changes between
    /// releases or machines), kept positive, and never the database's key.
    /// Advisory locks belong to one database, so the lock is keyed by
    /// database and schema.
    ///
    /// - Parameter schema: The schema, or nil for the database's lock.
    static func lockKey(schema: String?) -> Int64 {
        guard let schema else { return key }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "ferry schema \(schema)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let positive = Int64(bitPattern: hash & 0x3fff_ffff_ffff_ffff)
        return positive == key ? positive + 1 : positive
    }

    /// The key as `pg_locks` shows a one-`bigint` advisory lock: its high
    /// half in `classid`, its low half in `objid`, and `objsubid` 1.
    static func classID(_ key: Int64) -> Int64 { key >> 32 }
    static func objectID(_ key: Int64) -> Int64 { key & 0xffff_ffff }

    /// Tries once to take the lock on this session.
    static func tryLock(_ key: Int64, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.queryUnlessClosed(
            "SELECT pg_try_advisory_lock(\(key))", logger: PostgresConnector.logger)
        var isTaken = false
        for try await taken in rows.decode(Bool.self) { isTaken = taken }
        return isTaken
    }

    /// Takes the lock for the current transaction, if no other session holds
    /// it: on the session that holds it already, it is always taken. The
    /// server releases it when the transaction ends.
    static func tryTransactionLock(_ key: Int64, on connection: PostgresConnection) async throws
        -> Bool
    {
        let rows = try await connection.queryUnlessClosed(
            "SELECT pg_try_advisory_xact_lock(\(key))", logger: PostgresConnector.logger)
        var isTaken = false
        for try await taken in rows.decode(Bool.self) { isTaken = taken }
        return isTaken
    }

    /// Releases the lock held by this session.
    static func unlock(_ key: Int64, on connection: PostgresConnection) async throws {
        let rows = try await connection.queryUnlessClosed(
            "SELECT pg_advisory_unlock(\(key))", logger: PostgresConnector.logger)
        for try await _ in rows {}
    }

    /// Who holds the lock, as `pg_stat_activity` shows the session: its
    /// application name, client address and server process, and the time of
    /// its last query (the one that took the lock). Nil when nobody holds it.
    /// The database is named, not taken from the session: `pg_locks` shows
    /// the whole server's locks, so a session on another database of the
    /// server (an application's pool) sees the same holder.
    static func holder(_ key: Int64, in database: String, on connection: PostgresConnection)
        async throws -> LockHolder?
    {
        let rows = try await connection.queryUnlessClosed(
            """
            SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_hostname, host(a.client_addr)),
                   a.client_port, coalesce(a.query_start, a.backend_start, now()), a.usename::text
            FROM pg_locks AS l
            LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = \(database))
              AND l.classid = \(classID(key))::bigint::oid AND l.objid = \(objectID(key))::bigint::oid AND l.objsubid = 1
            """, logger: PostgresConnector.logger)
        var holder: LockHolder?
        for try await (pid, application, client, clientPort, since, user)
            in rows.decode((Int32?, String, String?, Int32?, Date, String?).self)
        where holder == nil {
            let host: String
            switch (client, clientPort) {
            case (let client?, _): host = client
            case (nil, -1): host = "a local Unix socket"
            default: host = "an address this role may not see"
            }
            var command = application.isEmpty ? "an application without a name" : application
            if let user { command += " (role \(user))" }
            holder = LockHolder(
                host: host, pid: nil, command: command, since: since, serverPID: pid)
        }
        return holder
    }
}
