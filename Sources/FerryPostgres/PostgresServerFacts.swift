import Ferry
import Foundation
import PostgresNIO

/// What preflight and `status` need to know of a PostgreSQL server, read in
/// one query: whether it is a hot standby (and its primary, when the role
/// may see it), whether the role may create databases, where its data folder
/// is (when the role may see it) and how large the database is.
struct PostgresServerFacts: Sendable {
    /// Whether the server is in recovery: a hot standby, read-only.
    var isStandby: Bool
    /// The primary a standby streams from (`host:port` from
    /// `pg_stat_wal_receiver`), when the role may see it.
    var primary: String?
    /// Whether the role may create databases (`CREATEDB`, or a superuser).
    var mayCreateDatabases: Bool
    /// The server's data folder, when the role may see it (superusers and
    /// members of `pg_read_all_settings`).
    var dataDirectory: String?
    /// The server's version number, such as 150018.
    var versionNumber: Int
    /// The role's name.
    var role: String
    /// The database's size in bytes; 0 when it does not exist yet.
    var databaseSize: Int64

    /// Reads the facts on a connection to the database, or to the
    /// maintenance database when `isLiveDatabase` is false.
    static func read(on connection: PostgresConnection, isLiveDatabase: Bool) async throws
        -> PostgresServerFacts
    {
        let rows = try await connection.queryUnlessClosed(
            PostgresQuery(
                unsafeSQL: """
                    SELECT pg_is_in_recovery(),
                           (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1),
                           coalesce((SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user), false),
                           (SELECT setting FROM pg_settings WHERE name = 'data_directory'),
                           current_setting('server_version_num')::int, current_user::text,
                           \(isLiveDatabase ? "pg_database_size(current_database())" : "0::bigint")
                    """), logger: PostgresConnector.logger)
        var facts: PostgresServerFacts?
        for try await (standby, primary, mayCreate, folder, version, role, size) in rows.decode(
            (Bool, String?, Bool, String?, Int, String, Int64).self)
        {
            facts = PostgresServerFacts(
                isStandby: standby, primary: primary, mayCreateDatabases: mayCreate,
                dataDirectory: folder,
                versionNumber: version, role: role, databaseSize: size)
        }
        guard let facts else {
            throw FerryError(.databaseUnavailable, "The server answered nothing about itself.")
        }
        return facts
    }

    /// The server's major version, such as 15.
    var major: Int { versionNumber / 10000 }

    /// What a standby is, for messages: `… is a hot standby (…); its primary is host:port`.
    func standbyDescription(_ displayName: String) -> String {
        "\(displayName) is a hot standby: the server is in recovery and read-only"
            + (primary.map { "; its primary is \($0)" } ?? "")
    }

    /// Where the command that changes the database must run, for advice.
    var primaryAdvice: String {
        "Run it against the primary" + (primary.map { " (\($0))" } ?? "")
            + " with \(.database) or [database] url"
    }
}

extension PostgresEngine {
    /// The server's facts, read on the database, or on the maintenance
    /// database when the database does not exist yet.
    func serverFacts() async throws -> PostgresServerFacts {
        do {
            return try await connector("check").withConnection { connection in
                try await PostgresServerFacts.read(on: connection, isLiveDatabase: true)
            }
        } catch PostgresConnector.Failure.databaseMissing {
            return try await connector("check").withConnection(to: Self.maintenanceDatabase) {
                connection in
                try await PostgresServerFacts.read(on: connection, isLiveDatabase: false)
            }
        } catch let failure as PostgresConnector.Failure {
            throw failure.error
        }
    }

    /// A hot standby refuses every change: names it and its primary.
    public func readOnlyReason() async -> String? {
        guard let facts = try? await serverFacts(), facts.isStandby else { return nil }
        return facts.standbyDescription(displayName)
            + ". Upgrades, restores and downgrades run on the primary."
    }

    /// The refusal of a change (an upgrade, a restore, a downgrade) on a hot
    /// standby, before anything is done; nil on a primary or when the server
    /// cannot be asked (the work then meets that error itself).
    func refusalOnStandby() async -> FerryError? {
        guard let facts = try? await serverFacts(), facts.isStandby else { return nil }
        return FerryError(
            .databaseReadOnly,
            facts.standbyDescription(displayName)
                + ". Upgrades, restores and downgrades change the database, so they run on the primary.",
            changes: "Nothing was changed; no backup was taken.",
            advice: facts.primaryAdvice
                + ". Backups may be taken here (with \(.backupCheck, .given("quick", swift: ".quick")): the full check needs a scratch "
                + "database, which a standby cannot create).")
    }

    /// The server's preflight checks: whether it is a hot standby, whether
    /// the role may create the databases the upgrade needs, the client
    /// programs for the backup, and the free space of the server's disk.
    public func serverChecks(for needs: ServerNeeds) async -> [PreflightCheck] {
        let facts: PostgresServerFacts
        do {
            facts = try await serverFacts()
        } catch {
            let said = (error as? FerryError).map {
                [$0.message, $0.engineMessage].compactMap { $0 }.joined(separator: " ")
            }
            return [
                PreflightCheck(
                    name: "server", status: .warning,
                    detail: "cannot be asked: \(said ?? "\(error)")")
            ]
        }
        var checks: [PreflightCheck] = []
        checks.append(
            facts.isStandby
                ? PreflightCheck(
                    name: "server", status: .blocker,
                    detail: "a hot standby (in recovery, read-only)"
                        + (facts.primary.map { " of the primary \($0)" } ?? "")
                        + ": upgrades, restores and downgrades run on the primary")
                : PreflightCheck(
                    name: "server", status: .ok,
                    detail:
                        "PostgreSQL \(facts.major).\(facts.versionNumber % 10000), a primary (not in recovery)"
                ))

        let fullCheck = needs.takesBackup && needs.backupCheck.isThorough
        if facts.mayCreateDatabases {
            checks.append(
                PreflightCheck(
                    name: "role", status: .ok,
                    detail:
                        "\(facts.role) may create databases (full backup checks and rehearsals use scratch databases)"
                ))
        } else if !needs.databaseExists || fullCheck {
            let why =
                !needs.databaseExists
                ? "the database does not exist yet and the upgrade creates it"
                : "the full check of the pre-upgrade backup loads it into a scratch database"
            checks.append(
                PreflightCheck(
                    name: "role", status: .blocker,
                    detail:
                        "\(facts.role) lacks CREATEDB, and \(why): ALTER ROLE \(facts.role) CREATEDB"
                        + (needs.databaseExists
                            ? ", or use \(.backupCheck, .given("quick", swift: ".quick"))"
                            : ", or create the database first")))
        } else {
            checks.append(
                PreflightCheck(
                    name: "role", status: .ok,
                    detail:
                        "\(facts.role) lacks CREATEDB: this upgrade needs none, but full backup checks and "
                        + "rehearsals do (they load into scratch databases)"))
        }

        do {
            let tools = try await PostgresTools.find(
                configured: toolsFolder, serverMajor: facts.major,
                environment: ProcessInfo.processInfo.environment)
            checks.append(
                PreflightCheck(
                    name: "PostgreSQL programs", status: .ok,
                    detail:
                        "pg_dump, pg_restore and psql \(tools.major) in \(tools.folder.path) (server: \(facts.major))"
                ))
        } catch let error as FerryError {
            checks.append(
                PreflightCheck(
                    name: "PostgreSQL programs", status: needs.takesBackup ? .blocker : .ok,
                    detail: error.markedMessage
                        + (needs.takesBackup
                            ? "" : " Not needed by this upgrade, which takes no backup.")))
        } catch {
            checks.append(
                PreflightCheck(name: "PostgreSQL programs", status: .warning, detail: "\(error)"))
        }

        checks.append(
            freeSpaceCheck(facts, fullCheck: fullCheck, keepFreeBytes: needs.keepFreeBytes))
        return checks
    }

    /// The free space of the server's data folder, measured when the server
    /// runs on this machine and the role may see where its data is: the
    /// upgrade needs room for about the database's size (rewritten tables,
    /// WAL), and a full backup check as much again for its scratch copy.
    ///
    /// What cannot be measured (a server elsewhere, a role that may not see
    /// `data_directory`) is said with the figure needed, as ok rather than a
    /// warning: a warning refuses the upgrade without `--force`, and that
    /// would refuse every upgrade of a remote server or by an ordinary role.
    private func freeSpaceCheck(_ facts: PostgresServerFacts, fullCheck: Bool, keepFreeBytes: Int64)
        -> PreflightCheck
    {
        let size = facts.databaseSize
        var parts = ["upgrade \(FileSafety.formatBytes(size))"]
        var required = size + keepFreeBytes
        if fullCheck {
            required += size
            parts.append("scratch copy for the backup check \(FileSafety.formatBytes(size))")
        }
        if keepFreeBytes > 0 { parts.append("keep free \(FileSafety.formatBytes(keepFreeBytes))") }
        let needed =
            "needs \(FileSafety.formatBytes(required)) (" + parts.joined(separator: ", ") + ")"
        let isLocal =
            location.isUnixSocket
            || ["127.0.0.1", "localhost", "::1"].contains(location.host.lowercased())
        guard isLocal else {
            return PreflightCheck(
                name: "server free space", status: .ok,
                detail:
                    "cannot be measured: the server \(location.server) is not on this machine; \(needed)"
            )
        }
        guard let folder = facts.dataDirectory else {
            return PreflightCheck(
                name: "server free space", status: .ok,
                detail:
                    "cannot be measured: role \(facts.role) may not see the server's data_directory "
                    + "(GRANT pg_read_all_settings TO \(facts.role)); \(needed)")
        }
        guard let free = FileSafety.freeSpace(at: URL(fileURLWithPath: folder)) else {
            return PreflightCheck(
                name: "server free space", status: .ok,
                detail: "cannot be measured: \(folder) cannot be read from here; \(needed)")
        }
        let status: PreflightCheck.Status =
            free < required ? .blocker : free < 2 * required ? .warning : .ok
        return PreflightCheck(
            name: "server free space", status: status,
            detail: "\(FileSafety.formatBytes(free)) free at \(folder); \(needed)")
    }
}
