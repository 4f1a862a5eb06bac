import Ferry
import Foundation
import PostgresNIO

/// The scratch databases Ferry makes on a server (`ferry_check_…` to check
/// a backup, `ferry_rehearsal_…` to rehearse an upgrade, `ferry_scratch_…`
/// for upgrade paths), and how a run proves that one was left by a dead run.
///
/// Each is marked by an advisory lock whose key is a hash of its name,
/// taken in the maintenance database by the session that creates it, before
/// it creates it, and held until it is dropped. The server frees the lock
/// when that session ends, also when its process is killed, so a scratch
/// database whose lock can be taken has no living maker: the next run drops
/// it. A live one is never touched (its lock is held), and one that still
/// has sessions connected is left for a later run (`DROP DATABASE` without
/// `FORCE` refuses it). No pid or host is trusted.
enum ScratchDatabases {
    /// The name of a new scratch database for a purpose (`check`,
    /// `rehearsal`, `scratch`, `drift`): `ferry_<purpose>_lock_<uuid>`, where `lock`
    /// says that its maker marks it with a lock.
    static func newName(purpose: String) -> String {
        "ferry_\(purpose)_lock_"
            + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The names of marked scratch databases, as a `LIKE` pattern each. Only
    /// these are ever dropped: a scratch database without the marker (made
    /// by an older Ferry, perhaps running now) cannot be proven dead.
    static let patterns = [
        "ferry\\_check\\_lock\\_%", "ferry\\_rehearsal\\_lock\\_%", "ferry\\_scratch\\_lock\\_%",
        "ferry\\_drift\\_lock\\_%",
    ]

    /// The seed of the lock keys' hash, so that they do not meet other
    /// applications' advisory locks on the maintenance database.
    static let seed: Int64 = 0x66_6572_7279

    /// Takes the lock that marks `name` as alive, on its maker's session.
    static func mark(_ name: String, on maker: PostgresConnection) async throws {
        let rows = try await maker.queryUnlessClosed(
            "SELECT pg_advisory_lock(hashtextextended(\(name), \(seed)))",
            logger: PostgresConnector.logger)
        for try await _ in rows {}
    }

    /// Drops the scratch databases of dead runs, and returns their names.
    /// Failures are ignored: a database that cannot be dropped now (a
    /// session still connected to it, another role's) is tried again by the
    /// next run.
    @discardableResult
    static func removeLeftovers(on connection: PostgresConnection) async -> [String] {
        var removed: [String] = []
        let names = (try? await leftoverCandidates(on: connection)) ?? []
        for name in names {
            guard (try? await tryLock(name, on: connection)) == true else { continue }
            do {
                try await PostgresScriptRunner.runToTheEnd(
                    sql: "DROP DATABASE IF EXISTS \(SQLIdentifier.quoted(name))", on: connection)
                removed.append(name)
            } catch {}
            try? await unlock(name, on: connection)
        }
        return removed
    }

    private static func leftoverCandidates(on connection: PostgresConnection) async throws
        -> [String]
    {
        let rows = try await connection.queryUnlessClosed(
            """
            SELECT datname::text FROM pg_database
             WHERE datname LIKE \(patterns[0]) OR datname LIKE \(patterns[1]) OR datname LIKE \(patterns[2])
                OR datname LIKE \(patterns[3])
             ORDER BY 1
            """, logger: PostgresConnector.logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    private static func tryLock(_ name: String, on connection: PostgresConnection) async throws
        -> Bool
    {
        let rows = try await connection.queryUnlessClosed(
            "SELECT pg_try_advisory_lock(hashtextextended(\(name), \(seed)))",
            logger: PostgresConnector.logger)
        var isTaken = false
        for try await taken in rows.decode(Bool.self) { isTaken = taken }
        return isTaken
    }

    private static func unlock(_ name: String, on connection: PostgresConnection) async throws {
        let rows = try await connection.queryUnlessClosed(
            "SELECT pg_advisory_unlock(hashtextextended(\(name), \(seed)))",
            logger: PostgresConnector.logger)
        for try await _ in rows {}
    }
}
