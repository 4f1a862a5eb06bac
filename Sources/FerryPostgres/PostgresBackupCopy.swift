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
/// Before the commit the rows of every table are counted and the recorded
/// release read, inside the same transaction, and handed to the caller, which
/// compares them with the manifest: the one load is the backup's full check,
/// so a restore does not first load the backup into a scratch database.
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

    func replaceLiveDatabase() async throws -> LiveReplacement {
        try await replaceLiveDatabase(keepingCurrent: {}, accepting: { _ in })
    }

    func replaceLiveDatabase(accepting accept: @Sendable (BackupCheck) async throws -> Void)
        async throws
        -> LiveReplacement
    {
        try await replaceLiveDatabase(keepingCurrent: {}, accepting: accept)
    }

    /// Keeps the application's writes out, calls `keep` (which backs the
    /// database up as it is now), loads the backup in the same transaction,
    /// counts the rows and reads the release it loaded, hands them to
    /// `accept`, and commits only when `accept` returns.
    ///
    /// The transaction runs in `psql`, driven through its standard input:
    /// first `BEGIN` and a lock on every table in `EXCLUSIVE` mode, which
    /// lets the application read but makes its writes wait; then, once
    /// `keep` has backed up that state, the prelude (the tables locked
    /// `ACCESS EXCLUSIVE`, the schemas dropped), the backup's script and the
    /// counting script, included as files; then one last command, `COMMIT`
    /// or `ROLLBACK`. So a write committed before the restore is in the
    /// pre-restore backup, and one that waited lands in the restored database
    /// after the commit: none is in neither. Each lock is asked for with a
    /// short `lock_timeout` and asked again after a pause, until
    /// ``lockTimeout``, so that while the restore waits for a client's open
    /// transaction no other client queues behind it. Until the commit
    /// nothing is visible to the application; if Ferry dies meanwhile,
    /// `psql` reads the end of its input and leaves, and the server rolls
    /// the transaction back.
    ///
    /// A native backup's script is streamed: `pg_restore` writes it into a
    /// named pipe that `psql` reads, so it is never written to disk and the
    /// two programs work side by side. `pg_restore` must have ended well
    /// before the commit, or the transaction is rolled back.
    func replaceLiveDatabase(
        keepingCurrent keep: @Sendable () async throws -> Void,
        accepting accept: @Sendable (BackupCheck) async throws -> Void
    ) async throws -> LiveReplacement {
        // A work folder: the next run deletes the scripts of a restore that was killed.
        let work = try WorkFolder.make("restore", in: FileManager.default.temporaryDirectory)
        defer { work.remove() }
        let folder = work.url
        let script: URL
        let schema: URL
        switch format {
        case .native:
            // The schemas, types and tables alone (no rows): whether the dump creates `public`.
            schema = folder.appendingPathComponent("schema.sql")
            let output = try await tools.run(
                "pg_restore", ["--section=pre-data", "--file=\(schema.path)", file.path],
                location: live.location, applicationName: live.applicationName("restore"))
            guard output.status == 0 else { throw damaged(output) }
            script = folder.appendingPathComponent("restore.sql")
            guard mkfifo(script.path, 0o600) == 0 else {
                throw FerryError(
                    .fileSystem, "Cannot make a named pipe in \(folder.path) (errno \(errno)).",
                    changes: "Nothing was changed.",
                    advice: "Set TMPDIR to a local folder where Ferry may write.")
            }
        case .sql:
            script = file
            schema = file
        }
        // A schema's backup makes its own schema again; `public` and the other schemas are not its.
        let schemaName = live.location.schema
        let recreatesPublic = try schemaName == nil && !Self.createsPublicSchema(schema)
        let locked = folder.appendingPathComponent("locked.txt")
        let locking = folder.appendingPathComponent("lock.sql")
        try Data(
            Self.lockingScript(
                reportingTo: locked, lockTimeout: lockTimeout, schema: schemaName
            ).utf8
        ).write(
            to: locking)
        let prelude = folder.appendingPathComponent("prelude.sql")
        try Data(
            Self.prelude(
                recreatingPublic: recreatesPublic, lockTimeout: lockTimeout, schema: schemaName
            ).utf8
        )
        .write(to: prelude)
        let report = folder.appendingPathComponent("loaded.txt")
        let counting = folder.appendingPathComponent("count.sql")
        try Data(Self.countingScript(reportingTo: report, schema: schemaName).utf8).write(
            to: counting)
        // SIGPIPE would end Ferry if psql died between the last file and its decision.
        signal(SIGPIPE, SIG_IGN)
        let psql = try tools.start(
            "psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
                "--no-password", "-f", "-",
            ],
            location: live.location, applicationName: live.applicationName("restore"),
            withInput: true)
        psql.send("\\i \(Self.psqlQuoted(locking.path))\n")
        // Writers are kept out once the lock script has reported.
        while !(((try? String(contentsOf: locked, encoding: .utf8)) ?? "").hasSuffix(
            Self.lockedMarker + "\n"))
        {
            guard psql.isRunning else { throw await failure(await psql.finish()) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        do {
            try await keep()
        } catch {
            psql.send("ROLLBACK;\n")
            _ = await psql.finish()
            throw error
        }
        var writer: PostgresTools.RunningProgram?
        if format == .native {
            do {
                // The archive as a script (owners and privileges kept), so that it joins the transaction.
                writer = try tools.start(
                    "pg_restore", ["--file=\(script.path)", file.path], location: live.location,
                    applicationName: live.applicationName("restore"), withInput: false)
            } catch {
                psql.kill()
                _ = await psql.finish()
                throw error
            }
        }
        psql.send(
            [prelude, script, counting].map { "\\i \(Self.psqlQuoted($0.path))\n" }.joined())
        // The backup's bytes read so far, by pg_restore (a native backup) or psql (a script).
        let progress = ProgressReporter(
            "restore", unit: .bytes, total: FileSafety.size(of: file.path))
        defer { progress.finish() }
        var position = ProgramReadPosition(
            of: (writer ?? psql).child.processIdentifier, reading: file)
        var nextLook = ContinuousClock.now
        var loaded: String?
        var written: PostgresTools.Output?
        while loaded == nil {
            if progress.isReporting, ContinuousClock.now >= nextLook {
                if let offset = position.offset() { progress.update(done: offset) }
                nextLook = ContinuousClock.now.advanced(by: ProgressReporter.interval)
            }
            let text = (try? String(contentsOf: report, encoding: .utf8)) ?? ""
            if text.hasSuffix(Self.loadedMarker + "\n") {
                loaded = text
            } else if !psql.isRunning {
                // A pg_restore still waiting for psql is ended; one that failed on its own says why.
                let loading = await psql.finish()
                if let writer, written == nil {
                    writer.kill()
                    written = await writer.finish()
                }
                if let written, Self.failedOnItsOwn(written) { throw damaged(written) }
                throw await failure(loading)
            } else if let writer, written == nil, !writer.isRunning {
                written = await writer.finish()
                if let written, Self.failedOnItsOwn(written) {
                    // pg_restore gave up, perhaps before psql could open the pipe: psql waits no longer.
                    psql.kill()
                    _ = await psql.finish()
                    throw damaged(written)
                }
            } else {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        do {
            if let writer, written == nil {
                // psql read the whole pipe, so pg_restore has closed it: it ends now.
                written = await writer.finish()
            }
            if let written, written.status != 0 { throw damaged(written) }
            try await accept(try Self.loadedCheck(from: loaded ?? ""))
        } catch {
            psql.send("ROLLBACK;\n")
            _ = await psql.finish()
            throw error
        }
        if let lost = await lostUpgradeLock() {
            psql.send("ROLLBACK;\n")
            _ = await psql.finish()
            throw lost
        }
        CrashPoint.reach("restore.loaded-before-commit")
        psql.send("COMMIT;\n")
        let output = await psql.finish()
        guard output.status == 0 else { throw await failure(output) }
        return .copied
    }

    /// A path as a quoted argument of a psql backslash command.
    static func psqlQuoted(_ path: String) -> String {
        "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The line the locking script writes once the application's writes are kept out.
    static let lockedMarker = "ferry:writers-kept-out"

    /// The statements that open the restore's transaction and keep the
    /// application's writes out (every table locked `EXCLUSIVE`: reads go
    /// on), then report ``lockedMarker`` to `report`.
    static func lockingScript(reportingTo report: URL, lockTimeout: Duration, schema: String?)
        -> String
    {
        """
        SET client_min_messages = warning;
        -- The transaction waits, idle, while the pre-restore backup is taken: a database's
        -- idle_in_transaction_session_timeout must not end it then.
        SET idle_in_transaction_session_timeout = 0;
        BEGIN;
        \(lockAllTables(mode: "EXCLUSIVE", lockTimeout: lockTimeout, schema: schema))
        \\o \(psqlQuoted(report.path))
        \\qecho \(lockedMarker)
        \\o

        """
    }

    /// How long one try to lock the tables waits before it lets go and
    /// pauses, so that other clients never queue behind the restore for longer.
    static let lockTry: Duration = .milliseconds(200)

    /// A statement that locks every table and view of the database but
    /// PostgreSQL's own, in one try of at most ``lockTry``, tried again
    /// after a pause until `lockTimeout` has passed, then failing with
    /// PostgreSQL's own words for a lock timeout. A try that times out
    /// rolls back its locks (a subtransaction), so that while the restore
    /// waits for a client's open transaction, other clients' queries are
    /// never queued behind its request for longer than one try.
    static func lockAllTables(mode: String, lockTimeout: Duration, schema: String?) -> String {
        """
        DO $ferry$
        DECLARE
            deadline timestamptz := clock_timestamp() + interval '\(lockTimeout.milliseconds) milliseconds';
            relations text;
        BEGIN
            SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY n.nspname, c.relname)
              INTO relations
              FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v') AND \(restored("n.nspname", schema: schema));
            IF relations IS NULL THEN
                RETURN;
            END IF;
            PERFORM set_config('lock_timeout', '\(lockTry.milliseconds)ms', true);
            LOOP
                BEGIN
                    EXECUTE format('LOCK TABLE %s IN \(mode) MODE', relations);
                    EXIT;
                EXCEPTION WHEN lock_not_available THEN
                    IF clock_timestamp() >= deadline THEN
                        RAISE EXCEPTION 'canceling statement due to lock timeout (waited \(lockTimeout.text) in tries of \(lockTry.milliseconds) ms)'
                            USING ERRCODE = 'lock_not_available';
                    END IF;
                END;
                PERFORM pg_sleep(\(Double(lockTry.milliseconds) / 1000));
            END LOOP;
            PERFORM set_config('lock_timeout', '\(lockTimeout.milliseconds)ms', true);
        END
        $ferry$;
        """
    }

    /// The error to give when the upgrade lock that this task holds on the
    /// live database was lost during the load (its session ended), so that
    /// the restore does not commit without it; nil while it is held.
    private func lostUpgradeLock() async -> FerryError? {
        guard let held = PostgresEngine.heldLock, held.location == live.location.description else {
            return nil
        }
        do {
            try await held.watch.bounded {
                try await PostgresScriptRunner.runToTheEnd(sql: "SELECT 1", on: held.connection)
            }
            return nil
        } catch {
            let gone =
                held.watch.lost ?? PostgresSessionLoss(error)
                ?? PostgresSessionLoss(reason: "it did not answer")
            var lost = gone.error(
                "The session holding the upgrade lock of \(live.displayName) was lost during the restore",
                holdsLock: true)
            lost.changes =
                "Nothing was changed: the restore's transaction was rolled back before its commit."
            lost.advice =
                "Check that no other upgrade or restore runs (\(run: .status)), then restore again."
            return lost
        }
    }

    /// Whether `pg_restore` failed reading the backup, rather than because
    /// psql stopped reading its pipe (a broken pipe) or Ferry ended it.
    static func failedOnItsOwn(_ output: PostgresTools.Output) -> Bool {
        output.status != 0 && !output.stderr.isEmpty && !output.stderr.contains("Broken pipe")
    }

    /// The error of a `pg_restore` that could not read the whole backup.
    private func damaged(_ output: PostgresTools.Output) -> FerryError {
        .damagedBackup(file, "pg_restore cannot read it whole", detail: output.complaint)
    }

    /// The error of a psql that ended before the restore could commit.
    private func failure(_ output: PostgresTools.Output) async -> FerryError {
        if let cause = PostgresFailureCause(programOutput: output.stderr) {
            return FerryError(
                cause == .readOnly ? .databaseReadOnly : .restoreFailed,
                "psql could not load the backup into \(live.displayName): \(cause.summary). Its transaction was "
                    + "rolled back; the backup itself was not judged.",
                advice: cause.advice, engineMessage: output.complaint)
        }
        guard output.stderr.contains("lock timeout") else {
            return FerryError(
                .restoreFailed,
                "psql could not load the backup into \(live.displayName); its transaction was rolled back.",
                advice: "Read psql's message below, fix the cause and restore again.",
                engineMessage: output.complaint)
        }
        let sessions = await live.sessionsInTransactions()
        return FerryError(
            .restoreFailed,
            "Other sessions kept transactions open on the tables of \(live.displayName) for "
                + "\(lockTimeout.text), so the restore gave up and rolled back"
                + (sessions.isEmpty ? "." : ": " + sessions.joined(separator: "; ") + "."),
            advice: "Stop the application (or let those transactions end) and restore again; "
                + "sessions that are connected but idle do not hold the restore up and stay connected.",
            engineMessage: output.complaint)
    }

    /// The last line the counting script writes, once everything is loaded and counted.
    static let loadedMarker = "ferry:loaded"

    /// The statements that run in the restore's transaction after the
    /// backup's script: one line per table with its rows (`ferry:count ROWS
    /// t|f ["schema","table"]`, `t` for a table of the current schema), the
    /// release recorded in `ferry_state` (`ferry:release R`), then
    /// ``loadedMarker``, all written to `report` (closed, so flushed, at the end).
    static func countingScript(reportingTo report: URL, schema: String?) -> String {
        let path = report.path.replacingOccurrences(of: "'", with: "''")
        return """
            RESET search_path;
            \\o '\(path)'
            SELECT format('SELECT %L || count(*) || %L FROM %I.%I', 'ferry:count ',
                          ' ' || CASE WHEN schemaname = current_schema() THEN 't' ELSE 'f' END || ' '
                              || jsonb_build_array(schemaname, tablename)::text,
                          schemaname, tablename)
              FROM pg_tables WHERE \(restored("schemaname", schema: schema))
             ORDER BY schemaname, tablename
            \\gexec
            SELECT to_regclass('ferry_state') IS NOT NULL AS ferry_has_state \\gset
            \\if :ferry_has_state
            SELECT 'ferry:release ' || release FROM ferry_state WHERE id = 1;
            \\endif
            \\qecho \(loadedMarker)
            \\o

            """
    }

    /// What the counting script reported.
    static func loadedCheck(from report: String) throws -> BackupCheck {
        var counts: [String: Int] = [:]
        var release: String?
        for line in report.split(separator: "\n") {
            if line.hasPrefix("ferry:count ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count == 4, let rows = Int(parts[1]),
                    let names = try? JSONDecoder().decode([String].self, from: Data(parts[3].utf8)),
                    names.count == 2
                else {
                    throw FerryError(
                        .restoreFailed, "Ferry could not read the rows it counted: \(line)")
                }
                counts[parts[2] == "t" ? names[1] : "\(names[0]).\(names[1])"] = rows
            } else if line.hasPrefix("ferry:release ") {
                release = String(line.dropFirst("ferry:release ".count))
            }
        }
        return BackupCheck(
            rowCounts: counts,
            state: DatabaseState(
                exists: true, release: release.flatMap(Release.init), recordedRelease: release,
                updatedAt: nil,
                applied: []))
    }

    /// The condition on a schema's name (`column`) that picks the schemas a
    /// restore replaces: only the location's own schema when it names one
    /// (a schema's backup holds it alone), else every schema but
    /// PostgreSQL's own.
    static func restored(_ column: String, schema: String?) -> String {
        if let schema { return "\(column) = \(SQLLiteral.quoted(schema))" }
        return """
            \(column) NOT IN ('pg_catalog', 'information_schema') AND \(column) NOT LIKE 'pg\\_toast%' \
            AND \(column) NOT LIKE 'pg\\_temp\\_%'
            """
    }

    /// How many tables, views, columns, constraints, triggers and functions
    /// live in the schemas whose name satisfies `condition` (`<> 'tenant'`):
    /// the same before and after a schema's drop when nothing else depended on it.
    static func objectsOutside(_ condition: String) -> String {
        """
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname \(condition)) \
        + (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
          JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname \(condition) AND a.attnum > 0 AND NOT a.attisdropped) \
        + (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
          WHERE n.nspname \(condition)) \
        + (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname \(condition)) \
        + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
          WHERE n.nspname \(condition))
        """
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
    /// `public` again with the owner and privileges it had. A schema's
    /// restore drops that schema alone, and refuses (rolling everything
    /// back) when the drop would take with it something of another schema
    /// that depends on it — a view, a foreign key, a column of its type —
    /// which the schema's backup does not hold.
    static func prelude(recreatingPublic: Bool, lockTimeout: Duration, schema: String?) -> String {
        // A table's TOAST table lives in pg_toast and goes with it: it is not another's.
        let outside =
            schema.map { "<> \(SQLLiteral.quoted($0)) AND n.nspname NOT LIKE 'pg\\_toast%'" }
            ?? "IS NULL"
        return """
            \(lockAllTables(mode: "ACCESS EXCLUSIVE", lockTimeout: lockTimeout, schema: schema))
            DO $ferry$
            DECLARE
                schema_name text;
                public_owner text;
                public_acl aclitem[];
                granted record;
                outside_before bigint;
                outside_after bigint;
            BEGIN
                SELECT nspowner::regrole::text, nspacl INTO public_owner, public_acl
                  FROM pg_namespace WHERE nspname = 'public';
                SELECT \(objectsOutside(outside)) INTO outside_before;
                FOR schema_name IN
                    SELECT nspname FROM pg_namespace WHERE \(restored("nspname", schema: schema))
                LOOP
                    EXECUTE format('DROP SCHEMA %I CASCADE', schema_name);
                END LOOP;
                SELECT \(objectsOutside(outside)) INTO outside_after;
                IF outside_after <> outside_before THEN
                    RAISE EXCEPTION 'ferry: dropping the schema to restore it would also drop % objects of other schemas that depend on it (views, foreign keys, columns of its types)',
                        outside_before - outside_after;
                END IF;
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
