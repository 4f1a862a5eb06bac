import Ferry
import Foundation
import PostgresNIO

/// Backups, restores and rehearsal copies with PostgreSQL's own `pg_dump`,
/// `pg_restore` and `psql` (see ``PostgresTools``).
///
/// A native backup is `pg_dump --format=custom`: one consistent snapshot
/// taken while the application keeps writing, compressed, with a table of
/// contents that `pg_restore --list` reads. An SQL backup is
/// `pg_dump --format=plain`, which `psql` loads. Either is checked by
/// loading it whole into a scratch database on the same server and counting
/// its rows there, so a backup in the catalog is known to restore.
extension PostgresEngine {
    public var canMakeBackups: Bool { true }

    /// `dump` for PostgreSQL's custom format, `sql` for a plain dump.
    public func backupFileExtension(for format: BackupFormat) -> String {
        format == .native ? "dump" : "sql"
    }

    /// The database's size on the server: a compressed dump is smaller.
    public func backupSizeEstimate() async throws -> Int64 {
        try await connector("backup").withExistingDatabase { connection in
            let rows = try await connection.queryUnlessClosed(
                "SELECT pg_database_size(current_database())", logger: PostgresConnector.logger)
            var size: Int64 = 0
            for try await value in rows.decode(Int64.self) { size = value }
            return size
        }
    }

    /// Dumps the live database with `pg_dump` of the server's major version.
    ///
    /// A native dump is compressed at zlib's fastest level
    /// (``nativeCompression``): `pg_dump`'s default level spends about three
    /// times as long compressing, for a file about a fifth smaller, and a
    /// pre-upgrade backup is time the application waits for.
    @discardableResult
    public func writeBackup(to file: URL, format: BackupFormat) async throws -> String? {
        let tools = try await self.tools()
        let formatArguments =
            format == .native
            ? ["--format=custom", "--compress=\(Self.nativeCompression)"] : ["--format=plain"]
        // A schema's backup holds that schema alone, as its restore replaces it alone. Quoted, so
        // that pg_dump reads the name as it is rather than as a pattern folded to lower case.
        let schemaArguments = location.schema.map { ["--schema=\"\($0)\""] } ?? []
        // A table that another session holds locked makes pg_dump wait, without a word, for as
        // long as that session holds it: it waits as long as a restore does, then gives up.
        let lockWait = restoreLockTimeout.components
        let lockWaitMilliseconds = max(
            1, lockWait.seconds * 1000 + lockWait.attoseconds / 1_000_000_000_000_000)
        let dump = try tools.start(
            "pg_dump",
            formatArguments + schemaArguments + [
                "--file=\(file.path)", "--no-password",
                "--lock-wait-timeout=\(lockWaitMilliseconds)",
            ],
            location: location, applicationName: applicationName("backup"), withInput: false)
        // The bytes pg_dump has written so far, read off its file while it runs.
        let progress = ProgressReporter("dump", unit: .bytes)
        defer { progress.finish() }
        while progress.isReporting, dump.isRunning, !Task.isCancelled {
            progress.update(done: FileSafety.size(of: file.path))
            try? await Task.sleep(for: ProgressReporter.interval)
        }
        let output = await dump.finish()
        guard output.status == 0 else {
            if output.stderr.contains("statement timeout"),
                let range = output.stderr.range(of: "Query was: LOCK TABLE ")
            {
                let table = output.stderr[range.upperBound...].prefix { $0 != " " }
                let sessions = await sessionsInTransactions()
                throw FerryError(
                    .lockTimeout,
                    "pg_dump waited \(lockWait.seconds) s for \(table) and gave up: another session's transaction holds the table"
                        + (sessions.isEmpty ? "." : ": " + sessions.joined(separator: "; ") + "."),
                    changes: "Nothing was changed.",
                    advice:
                        "Let that transaction end (or end it: SELECT pg_terminate_backend(pid)), then run again.",
                    engineMessage: output.complaint)
            }
            let cause = PostgresFailureCause(programOutput: output.stderr)
            throw FerryError(
                cause?.code ?? .backupFailed,
                "pg_dump could not dump \(displayName)" + (cause.map { ": \($0.summary)." } ?? "."),
                changes: "Nothing was changed.",
                advice: cause?.advice
                    ?? "Read pg_dump's message below, fix the cause and try again.",
                engineMessage: output.complaint)
        }
        return nil
    }

    /// Checks a backup without touching the live database.
    ///
    /// At both levels `pg_restore --list` reads a native dump's table of
    /// contents. At level `full` the backup is then loaded whole into a
    /// scratch database (`ferry_check_<uuid>`, dropped afterwards), whose
    /// rows and history are read. At level `quick` nothing is loaded and the
    /// copy's history is unknown (``BackupCheck/state`` has no release); a
    /// restore of it still loads it whole in its own transaction and counts
    /// its rows before it commits (see ``checksBackupWhileRestoring``).
    /// Refuses a schema's backup restored into another schema or the whole
    /// database, and a whole database's backup restored into one schema: the
    /// restore empties what it replaces, and the backup would not refill it.
    ///
    /// - Parameter database: Where the backup was made, as its manifest says.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming both.
    public func checkRestoreScope(ofBackupFrom database: String) throws {
        let query = database.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        let backupSchema = query.split(separator: "&").first { $0.hasPrefix("schema=") }
            .map { String($0.dropFirst("schema=".count)) }
        guard backupSchema != location.schema else { return }
        func scope(_ schema: String?) -> String {
            schema.map { "the schema \($0) alone" } ?? "the whole database"
        }
        throw FerryError(
            .invalidConfiguration,
            "The backup holds \(scope(backupSchema)) (made from \(database)), but \(displayName) is \(scope(location.schema)).",
            changes: "Nothing was changed.",
            advice:
                "Restore it into what it was made from: name the database"
                + (backupSchema.map { " with ?schema=\($0)" } ?? " without ?schema=") + ".")
    }

    public func withBackup<Result: Sendable>(
        at file: URL, format: BackupFormat, level: BackupCheckLevel,
        _ body: (any BackupCopy) async throws -> Result
    ) async throws -> Result {
        let tools = try await self.tools()
        if format == .native {
            let list = try await tools.run(
                "pg_restore", ["--list", file.path], location: location,
                applicationName: applicationName("check"))
            guard list.status == 0 else { throw corrupt(file, list.complaint) }
        }
        guard level.isThorough else {
            let unknown = DatabaseState.unread
            return try await body(
                PostgresBackupCopy(
                    live: self, tools: tools, file: file, format: format,
                    check: BackupCheck(rowCounts: nil, state: unknown)))
        }
        return try await withScratchPostgres(purpose: "check") { scratch in
            try await scratch.load(file, format: format, tools: tools, keepingOwners: false)
            let check = try await connector("check").withConnection(to: scratch.location.database) {
                connection in
                BackupCheck(
                    rowCounts: try await Self.backupRowCounts(on: connection),
                    state: try await PostgresHistory.readState(on: connection))
            }
            return try await body(
                PostgresBackupCopy(
                    live: self, tools: tools, file: file, format: format, check: check))
        }
    }

    /// A restore loads the backup whole into the live database in one
    /// transaction and counts its rows there before it commits: that load is
    /// the full check, so a restore opens the backup with the quick one.
    public var checksBackupWhileRestoring: Bool { true }

    /// The problems of a full check of the live database.
    public func integrityProblems(thorough: Bool) async throws -> [String] {
        try await connector("check").withExistingDatabase { connection in
            try await PostgresInspection.integrityProblems(on: connection, thorough: thorough)
        }
    }

    /// Copies the live database as a backup does (`pg_dump`, one snapshot,
    /// the application keeps working) into a scratch database on the same
    /// server (`ferry_rehearsal_<uuid>`), lends an engine on it, and drops it afterwards. A database
    /// cannot be the template of a copy while anyone is connected to it, so
    /// `CREATE DATABASE … TEMPLATE` is not used.
    public func withRehearsalCopy<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        guard try await readState().exists else {
            return try await withScratchPostgres(purpose: "rehearsal") { try await body($0) }
        }
        let tools = try await self.tools()
        // A work folder: the next run deletes the dump of a run that was killed.
        let work = try WorkFolder.make("rehearsal", in: FileManager.default.temporaryDirectory)
        defer { work.remove() }
        let folder = work.url
        let dump = folder.appendingPathComponent("copy.dump")
        try await writeBackup(to: dump, format: .native)
        return try await withScratchPostgres(purpose: "rehearsal") { scratch in
            try await scratch.load(dump, format: .native, tools: tools, keepingOwners: false)
            return try await body(scratch)
        }
    }

    /// The sessions of the live database that are inside a transaction, for
    /// a message: pid, application, client address, state, since when.
    func sessionsInTransactions() async -> [String] {
        let sessions = try? await connector("restore").withConnection { connection in
            let rows = try await connection.queryUnlessClosed(
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
                    "pid \(pid) (\(name), from \(address), \(state), its transaction open since \(since))"
                )
            }
            return sessions
        }
        return sessions ?? []
    }

    /// The zlib level of native backups: 1, the fastest.
    static let nativeCompression = 1

    // MARK: Helpers

    /// The client programs for this server.
    func tools() async throws -> PostgresTools {
        try await connector("backup").withExistingDatabase { connection in
            try await tools(on: connection)
        }
    }

    /// The client programs for the server that `connection` reaches.
    func tools(on connection: PostgresConnection) async throws -> PostgresTools {
        let version = try await PostgresInspection.engineVersion(on: connection)
        let major = Int(version.split(separator: ".").first ?? "") ?? 0
        return try await PostgresTools.find(
            configured: toolsFolder, serverMajor: major,
            environment: ProcessInfo.processInfo.environment)
    }

    /// Loads a backup into this (empty) database in one transaction.
    ///
    /// - Parameter keepingOwners: Whether objects get their owners and
    ///   privileges from the dump; a scratch copy leaves them out, so that
    ///   any role that may create databases can check a backup.
    /// - Throws: ``FerryError`` (code `backupCorrupt`) with the program's message.
    func load(_ file: URL, format: BackupFormat, tools: PostgresTools, keepingOwners: Bool)
        async throws
    {
        let output: PostgresTools.Output
        switch format {
        case .native:
            output = try await tools.run(
                "pg_restore",
                [
                    "--exit-on-error", "--single-transaction", "--no-password",
                    "--dbname=\(location.database)",
                ]
                    + (keepingOwners ? [] : ["--no-owner", "--no-privileges"]) + [file.path],
                location: location, applicationName: applicationName("check"),
                reporting: "backup load", reading: file)
        case .sql:
            output = try await tools.run(
                "psql",
                [
                    "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
                    "--single-transaction",
                    "--no-password", "-f",
                    file.path,
                ],
                location: location, applicationName: applicationName("check"),
                reporting: "backup load", reading: file)
        }
        guard output.status == 0 else {
            if let cause = PostgresFailureCause(programOutput: output.stderr) {
                throw FerryError(
                    cause.code,
                    "Loading the backup \(file.lastPathComponent) into \(location.database) stopped: \(cause.summary). "
                        + "The backup itself was not judged.",
                    changes: "Nothing was changed: the load was one transaction, rolled back.",
                    advice: cause.advice,
                    engineMessage: output.complaint)
            }
            throw corrupt(file, output.complaint)
        }
    }

    /// Rows per table, Ferry's own tables included, in every schema but
    /// PostgreSQL's own: `table` in the current schema, `schema.table` elsewhere.
    static func backupRowCounts(on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.queryUnlessClosed(
            """
            SELECT schemaname::text, tablename::text, schemaname = current_schema() FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
            """, logger: PostgresConnector.logger)
        var tables: [(key: String, sqlName: String)] = []
        for try await (schema, table, isCurrent) in rows.decode((String, String, Bool).self) {
            let key = isCurrent ? table : "\(schema).\(table)"
            tables.append((key, SQLIdentifier.quoted(schema) + "." + SQLIdentifier.quoted(table)))
        }
        return try await PostgresInspection.rowCounts(of: tables, on: connection)
    }

    private func corrupt(_ file: URL, _ detail: String) -> FerryError {
        .damagedBackup(file, "PostgreSQL cannot load it whole", detail: detail)
    }
}
