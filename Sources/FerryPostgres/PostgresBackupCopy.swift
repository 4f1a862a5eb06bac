import Ferry
import Foundation
import PostgresNIO

/// A checked PostgreSQL backup that can replace the live database's content.
///
/// The replacement is one transaction on the live database, run by the real
/// `psql`: every schema but PostgreSQL's own is dropped, `public` is made
/// again with its owner and privileges, and the backup's script is loaded.
/// PostgreSQL's DDL is transactional, so until the commit the application
/// sees the old data (its queries on the tables wait for the commit), and a
/// failure anywhere, or a lost connection, rolls everything back: the live
/// data is never gone before the new data is in. The database itself is
/// never dropped or renamed, so its owner, settings and grants stay, the
/// application's sessions stay connected, and the upgrade lock (an advisory
/// lock on a session of its own) is held throughout.
///
/// Renaming a restored copy into place (`ALTER DATABASE … RENAME`) was not
/// chosen: it needs every session of the live database closed, the upgrade
/// lock's own included, and loses the database's settings and grants.
struct PostgresBackupCopy: BackupCopy {
    let live: PostgresEngine
    let tools: PostgresTools
    let file: URL
    let format: BackupFormat
    let check: BackupCheck

    /// How long the restore waits for the application's transactions to let
    /// go of its tables before it gives up, changing nothing.
    var lockTimeout: Duration { live.restoreLockTimeout }

    func replaceLiveDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let script: URL
        switch format {
        case .native:
            // The archive as a script (owners and privileges kept), so that it joins the transaction.
            script = folder.appendingPathComponent("restore.sql")
            let output = try await tools.run(
                "pg_restore", ["--file=\(script.path)", file.path], location: live.location,
                applicationName: live.applicationName("restore"))
            guard output.status == 0 else {
                throw FerryError(
                    .restoreFailed, "pg_restore could not read \(file.lastPathComponent).",
                    engineMessage: output.complaint)
            }
        case .sql:
            script = file
        }
        let prelude = folder.appendingPathComponent("prelude.sql")
        let recreatesPublic = !(try Self.createsPublicSchema(script))
        try Data(Self.prelude(recreatingPublic: recreatesPublic, lockTimeout: lockTimeout).utf8).write(
            to: prelude)
        let output = try await tools.run(
            "psql",
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--no-password", "-f",
                prelude.path,
                "-f", script.path,
            ],
            location: live.location, applicationName: live.applicationName("restore"))
        guard output.status == 0 else {
            guard output.stderr.contains("lock timeout") else {
                throw FerryError(
                    .restoreFailed,
                    "psql could not load the backup into \(live.displayName); its transaction was rolled back.",
                    advice: "Read psql's message below, fix the cause and restore again.",
                    engineMessage: output.complaint)
            }
            let sessions = await sessionsInTransactions()
            throw FerryError(
                .restoreFailed,
                "Other sessions kept transactions open on the tables of \(live.displayName) for "
                    + "\(lockTimeout.text), so the restore gave up and rolled back"
                    + (sessions.isEmpty ? "." : ": " + sessions.joined(separator: "; ") + "."),
                advice: "Stop the application (or let those transactions end) and restore again; "
                    + "sessions that are connected but idle do not hold the restore up and stay connected.",
                engineMessage: output.complaint)
        }
    }

    /// The sessions of the live database that are inside a transaction, for
    /// a message: pid, application, client address, state, since when.
    private func sessionsInTransactions() async -> [String] {
        let sessions = try? await live.connector("restore").withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT pid, coalesce(nullif(application_name, ''), 'no application name'),
                       coalesce(host(client_addr), 'a local socket'), coalesce(state, 'unknown'),
                       to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                  FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
                 ORDER BY xact_start
                """, logger: PostgresConnector.logger)
            var sessions: [String] = []
            for try await (pid, name, address, state, since) in rows.decode(
                (Int32, String, String, String, String).self)
            {
                sessions.append(
                    "pid \(pid) (\(name), from \(address), \(state) in a transaction since \(since))")
            }
            return sessions
        }
        return sessions ?? []
    }

    /// Whether a dump creates the `public` schema itself (when its owner or
    /// privileges were not the defaults).
    static func createsPublicSchema(_ script: URL) throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: script) else { return false }
        defer { try? handle.close() }
        var carried = ""
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            let text = carried + String(decoding: chunk, as: UTF8.self)
            if text.contains("\nCREATE SCHEMA public;") { return true }
            carried = String(text.suffix(32))
        }
        return false
    }

    /// The statements that run first in the restore's transaction: drop
    /// every schema but PostgreSQL's own (and what lives in them), then make
    /// `public` again with the owner and privileges it had.
    static func prelude(recreatingPublic: Bool, lockTimeout: Duration) -> String {
        """
        SET client_min_messages = warning;
        SET lock_timeout = '\(lockTimeout.milliseconds)ms';
        DO $ferry$
        DECLARE
            schema_name text;
            public_owner text;
            public_acl aclitem[];
            granted record;
        BEGIN
            SELECT nspowner::regrole::text, nspacl INTO public_owner, public_acl
              FROM pg_namespace WHERE nspname = 'public';
            FOR schema_name IN
                SELECT nspname FROM pg_namespace
                 WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                   AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
            LOOP
                EXECUTE format('DROP SCHEMA %I CASCADE', schema_name);
            END LOOP;
            IF \(recreatingPublic) AND public_owner IS NOT NULL THEN
                EXECUTE format('CREATE SCHEMA public AUTHORIZATION %s', public_owner);
                FOR granted IN SELECT grantee, privilege_type FROM aclexplode(public_acl) LOOP
                    EXECUTE format('GRANT %s ON SCHEMA public TO %s', granted.privilege_type,
                        CASE WHEN granted.grantee = 0 THEN 'PUBLIC' ELSE granted.grantee::regrole::text END);
                END LOOP;
            END IF;
        END
        $ferry$;

        """
    }
}
