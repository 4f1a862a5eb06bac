import Ferry
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `ferry` on PostgreSQL while faults happen from outside: its
/// sessions ended by the server (`pg_terminate_backend`,
/// `idle_session_timeout`), the upgrade lock's session lost while a second
/// upgrader waits, and `kill -9` in the middle of a backup or a check. Each
/// test checks the exit code and the message, then reads the database (and
/// the server, and the temporary folder) again.
@Suite(
    "ferry on PostgreSQL under faults",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresFaultTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// The example at 0.5.0 with its sample data, and a release 0.6.0 whose
    /// migration sleeps `pause` seconds before it creates a type and a table
    /// (so that two runs of it fail on the duplicate type).
    func makeDatabaseWithRelease060(
        _ database: TestDatabase, pauseSeconds: Int
    ) async throws -> URL {
        let migrations = try ExampleApplication.copyMigrations(
            for: .postgres, to: database.folder.url)
        try await ExampleApplication.makeDatabase(at: "0.5.0", in: database, migrations: migrations)
        try database.folder.write(
            "migrations/0.6.0/001_moods.sql",
            """
            SELECT pg_sleep(\(pauseSeconds));
            CREATE TYPE mood AS ENUM ('calm', 'busy');
            CREATE TABLE moods (id serial PRIMARY KEY, device_id integer REFERENCES devices (id), mood mood);
            """)
        return migrations
    }

    /// The server pids of the sessions whose application name starts with
    /// `ferry PURPOSE, pid PID ` (what Ferry and the programs it runs show).
    func sessions(
        _ purpose: String, of process: FerryProcess.Running, waitingForALock: Bool = false
    ) async throws -> [String] {
        let pattern = "ferry \(purpose), pid \(process.process.processIdentifier) %"
        let waiting = waitingForALock ? " AND wait_event_type = 'Lock'" : ""
        let output = try await PostgresTestServer.psql(
            [
                "-At", "-c",
                "SELECT pid FROM pg_stat_activity WHERE application_name LIKE '\(pattern)'\(waiting)",
            ],
            database: "postgres")
        return output.split(separator: "\n").map(String.init)
    }

    /// Waits until such a session exists, and returns its pids.
    func waitForSessions(
        _ purpose: String, of process: FerryProcess.Running, waitingForALock: Bool = false,
        timeout: Duration = .seconds(60)
    ) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && process.process.isRunning {
            let found = try await sessions(purpose, of: process, waitingForALock: waitingForALock)
            if !found.isEmpty { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    /// Ends sessions as an administrator does.
    func terminate(_ pids: [String]) async throws {
        for pid in pids {
            try await PostgresTestServer.psql(
                ["-At", "-c", "SELECT pg_terminate_backend(\(pid))"], database: "postgres")
        }
    }

    /// Waits for a process to end, at most `timeout`; a process still running
    /// then is killed and recorded as an issue: Ferry hung.
    func finish(
        _ process: FerryProcess.Running, within timeout: Duration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> FerryProcess.Output {
        let deadline = ContinuousClock.now + timeout
        while process.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.process.isRunning {
            Issue.record(
                "ferry did not end within \(timeout): it hung", sourceLocation: sourceLocation)
            process.kill(SIGKILL)
        }
        return await process.finish()
    }

    /// A client that holds a lock on a table for some seconds, in a
    /// transaction of its own, through the real `psql`.
    func holdLock(
        on database: TestDatabase, _ statement: String, seconds: Int
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "psql", "-X", "-q", try PostgresTestServer.url(database: database.postgresDatabase!),
            "-c",
            "BEGIN; \(statement); SELECT pg_sleep(\(seconds)); COMMIT;",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Ends the session of the clients started by ``holdLock(on:_:seconds:)``
    /// on the server, which then releases their locks at once.
    func endClients(of database: TestDatabase) async throws {
        try await PostgresTestServer.psql(
            [
                "-At", "-c",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database.postgresDatabase!)' "
                    + "AND query LIKE 'BEGIN; %pg_sleep%'",
            ], database: "postgres")
    }

    /// Waits until a client's lock request is granted (its session waits in pg_sleep).
    func waitUntilHeld(_ database: TestDatabase) async throws {
        let query = """
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'BEGIN; %pg_sleep%' AND wait_event = 'PgSleep'
            """
        for _ in 0..<500 {
            if try await database.scalar(query) == "1" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestServerError("the client never took its lock")
    }

    // MARK: The upgrade lock

    @Test func anUpgraderWhoseLockSessionEndsCommitsNothingAndTheNextOneUpgradesOnce() async throws
    {
        try await withTestDatabase(.postgres) { database in
            let migrations = try await makeDatabaseWithRelease060(database, pauseSeconds: 3)
            let before = try await database.snapshot()
            let arguments = [
                "upgrade", "--no-backup", "--database", database.location, "--migrations",
                migrations.path,
            ]

            // The first stops itself with its work done and not committed, however busy the machine is.
            let first = try FerryProcess.start(
                arguments, environment: [CrashPoint.stopVariable: "upgrade.before-commit"])
            #expect(await first.waitUntilStopped(), "the first upgrader stopped before its commit")
            let lock = try await waitForSessions("upgrade lock", of: first)
            #expect(lock.count == 1, "the upgrade lock is held on one session: \(lock)")
            let second = try FerryProcess.start(arguments)
            #expect(await second.waitForOutput(containing: "Waiting up to"))
            try await terminate(lock)
            first.kill(SIGCONT)

            let lost = await finish(first, within: .seconds(60))
            #expect(lost.status == 1, "\(lost)")
            #expect(lost.lines.last == "[END UPGRADE ERROR]", "\(lost)")
            #expect(lost.stderr.contains("was lost"), "\(lost)")
            // Ended while idle (the process stopped before its commit), the session may close without the
            // server's 57P01 reaching the client: either is the truth.
            #expect(
                lost.stderr.contains("57P01") || lost.stderr.contains("its connection closed"),
                "\(lost)")
            #expect(
                lost.stderr.contains("Nothing was changed: the database is still at release 0.5.0"),
                "\(lost)")
            #expect(!lost.stderr.contains("Fix the migration"), "\(lost)")

            let won = await finish(second, within: .seconds(60))
            #expect(won.status == 0, "\(won)")
            #expect(won.lines.last == "[END UPGRADE SUCCESS]", "\(won)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.6.0")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE id LIKE '0.6.0/%'") == "1")
            let after = try await database.snapshot()
            for (table, count) in before.counts where !table.hasPrefix("ferry_") {
                #expect(after.counts[table] == count, "\(table)")
            }
            print("The first upgrader said:\n\(lost)")
        }
    }

    @Test func aLockSessionEndedDuringTheBackupStopsTheUpgradeWithItsEndMarker() async throws {
        try await withTestDatabase(.postgres) { database in
            let migrations = try await makeDatabaseWithRelease060(database, pauseSeconds: 0)
            let before = try await database.snapshot()
            // pg_dump waits for this client's lock: the upgrade's lock session is idle meanwhile.
            let client = try holdLock(
                on: database, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE", seconds: 60)
            defer { if client.isRunning { client.terminate() } }
            try await waitUntilHeld(database)
            let upgrade = try FerryProcess.start(
                ["upgrade", "--database", database.location, "--migrations", migrations.path]
                    + database.backupArguments)
            #expect(try await !waitForSessions("backup", of: upgrade).isEmpty, "pg_dump runs")
            try await terminate(try await sessions("upgrade lock", of: upgrade))
            try await Task.sleep(for: .seconds(2))
            try await endClients(of: database)

            let output = await finish(upgrade, within: .seconds(90))
            #expect(output.status == 1, "\(output)")
            #expect(output.lines.last == "[END UPGRADE ERROR]", "\(output)")
            #expect(output.stderr.contains("was lost"), "\(output)")
            #expect(output.stderr.contains("upgrade lock"), "\(output)")
            #expect(
                output.stderr.contains(
                    "Nothing was changed: the database is still at release 0.5.0"), "\(output)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
            #expect(try await database.scalar("SELECT to_regclass('moods') IS NULL") == "t")
            let after = try await database.snapshot()
            #expect(after.rows == before.rows)
        }
    }

    @Test func idleSessionTimeoutDoesNotEndTheSessionsOfAnUpgrade() async throws {
        try await withTestDatabase(.postgres) { database in
            let migrations = try await makeDatabaseWithRelease060(database, pauseSeconds: 0)
            try await PostgresTestServer.psql(
                [
                    "-c",
                    "ALTER DATABASE \(database.postgresDatabase!) SET idle_session_timeout = '2s'",
                ],
                database: "postgres")
            // The lock session waits for pg_dump, which waits for this client, longer than the timeout.
            let client = try holdLock(
                on: database, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE", seconds: 6)
            defer { if client.isRunning { client.terminate() } }
            try await waitUntilHeld(database)
            let upgrade = try FerryProcess.start(
                ["upgrade", "--database", database.location, "--migrations", migrations.path]
                    + database.backupArguments)
            let output = await finish(upgrade, within: .seconds(90))
            #expect(output.status == 0, "\(output)")
            #expect(output.lines.last == "[END UPGRADE SUCCESS]", "\(output)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.6.0")
            #expect(try await database.scalar("SELECT count(*) FROM moods") == "0")

            // The same for a restore, whose lock session waits while the load waits for a reader.
            try await endClients(of: database)
            let reader = try holdLock(on: database, "SELECT count(*) FROM devices", seconds: 5)
            defer { if reader.isRunning { reader.terminate() } }
            try await waitUntilHeld(database)
            let restore = try FerryProcess.start(
                [
                    "restore", "--before-upgrade-to", "0.6.0", "--yes", "--database",
                    database.location, "--migrations",
                    migrations.path,
                ] + database.backupArguments)
            let restored = await finish(restore, within: .seconds(90))
            #expect(restored.status == 0, "\(restored)")
            #expect(restored.stdout.contains("The database is now at release 0.5.0"), "\(restored)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test func aRestoreWhoseLockSessionEndsRollsBackAndSaysSo() async throws {
        try await withTestDatabase(.postgres) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: .postgres, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.5.0", in: database, migrations: migrations)
            let arguments =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let backup = try await FerryProcess.run(["backup", "--json"] + arguments)
            #expect(backup.status == 0, "\(backup)")
            let name = try #require(
                try backup.jsonLines().last?["backup"] as? String)
            try await database.psql([
                "-c",
                "INSERT INTO devices (name, kind) VALUES ('written after the backup', 'lamp')",
            ])
            let before = try await database.snapshot()

            // The restore's transaction waits for this client's reader; meanwhile its lock session ends.
            let client = try holdLock(on: database, "SELECT count(*) FROM devices", seconds: 60)
            defer { if client.isRunning { client.terminate() } }
            try await waitUntilHeld(database)
            let restore = try FerryProcess.start(["restore", name, "--yes"] + arguments)
            #expect(try await !waitForSessions("restore", of: restore).isEmpty, "psql runs")
            try await terminate(try await sessions("upgrade lock", of: restore))
            // The load goes on once the reader is gone; the lock is checked before the commit.
            try await endClients(of: database)

            let output = await finish(restore, within: .seconds(90))
            #expect(output.status == 1, "\(output)")
            #expect(output.stderr.contains("was lost during the restore"), "\(output)")
            #expect(output.stderr.contains("Nothing was changed"), "\(output)")
            let after = try await database.snapshot()
            #expect(after.rows == before.rows, "the restore did not commit")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM devices WHERE name = 'written after the backup'") == "1")
        }
    }

    @Test func aBackupWhoseDumpSessionEndsSaysSoAndKeepsNothing() async throws {
        try await withTestDatabase(.postgres) { database in
            try await ExampleApplication.makeDatabase(at: "0.5.0", in: database)
            let catalog = contents(of: database.backupsFolder)
            let client = try holdLock(
                on: database, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE", seconds: 30)
            defer { if client.isRunning { client.terminate() } }
            try await waitUntilHeld(database)
            let backup = try FerryProcess.start(
                ["backup", "--database", database.location] + database.backupArguments)
            // pg_dump's session: the one that waits for the client's lock (Ferry's own are not).
            let dump = try await waitForSessions("backup", of: backup, waitingForALock: true)
            #expect(!dump.isEmpty, "pg_dump waits for the client's lock")
            try await terminate(dump)

            let output = await finish(backup, within: .seconds(60))
            try await endClients(of: database)
            #expect(output.status == 1, "\(output)")
            #expect(output.stderr.contains("pg_dump could not dump"), "\(output)")
            #expect(
                output.stderr.contains("terminating connection due to administrator command"),
                "\(output)")
            #expect(output.stderr.contains("no backup was kept"), "\(output)")
            #expect(
                contents(of: database.backupsFolder) == catalog, "no file was added to the catalog")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test func aServerThatCrashesDuringTheUpgradeEndsItWithItsEndMarker() async throws {
        let server = try await PrivatePostgresServer.start()
        defer { server.remove() }
        try await server.psql("CREATE DATABASE app")
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(for: .postgres, to: folder.url)
        let arguments = [
            "upgrade", "--no-backup", "--database", server.url(database: "app"), "--migrations",
            migrations.path,
        ]
        let first = try await FerryProcess.run(arguments)
        #expect(first.status == 0, "\(first)")
        // Long enough that the crash always lands inside it, however slow the machine.
        try folder.write(
            "migrations/0.6.0/001_slow.sql",
            "SELECT pg_sleep(120);\nCREATE TABLE moods (id integer);\n")

        let upgrade = try FerryProcess.start(arguments)
        #expect(await upgrade.waitForOutput(containing: "Applying 0.6.0/001_slow"))
        await server.crash()
        try await server.startServer()

        let output = await finish(upgrade, within: .seconds(60))
        #expect(output.status == 1, "\(output)")
        #expect(output.lines.last == "[END UPGRADE ERROR]", "\(output)")
        #expect(output.stderr.contains("was lost"), "\(output)")
        #expect(
            output.stderr.contains("Nothing was changed: the database is still at release 0.5.0"),
            "\(output)")
        #expect(
            try await server.psql("SELECT release FROM ferry_state", database: "app") == "0.5.0\n")
        #expect(
            try await server.psql("SELECT to_regclass('moods') IS NULL", database: "app") == "t\n")
    }

    // MARK: Leftovers of a killed run

    /// The pids of processes whose command line holds `text`.
    func processes(containing text: String) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name),
                let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
                String(decoding: data, as: UTF8.self).contains(text),
                // A zombie that nobody reaped yet has ended.
                let status = try? String(contentsOfFile: "/proc/\(name)/status", encoding: .utf8),
                !status.contains("State:\tZ")
            else { return nil }
            return pid
        }
    }

    /// Files and folders below a folder, by relative path.
    func contents(of folder: URL) -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String]) ?? []
    }

    @Test func pgDumpDiesWithAKilledFerryAndTheNextRunRemovesItsPasswordFile() async throws {
        try await withTestDatabase(.postgres) { database in
            try await ExampleApplication.makeDatabase(at: "0.5.0", in: database)
            let temporary = database.folder.url.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(
                at: temporary, withIntermediateDirectories: true)
            let environment = ["TMPDIR": temporary.path]
            let arguments = ["backup", "--database", database.location] + database.backupArguments

            let client = try holdLock(
                on: database, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE", seconds: 30)
            defer { if client.isRunning { client.terminate() } }
            try await waitUntilHeld(database)
            // Stopped once it has started pg_dump, which goes on without it and waits for the lock.
            let backup = try FerryProcess.start(
                arguments,
                environment: environment.merging([CrashPoint.stopVariable: "program.started"]) {
                    $1
                })
            #expect(await backup.waitUntilStopped(), "ferry stopped once pg_dump was started")
            let dumpSessions = try await waitForSessions("backup", of: backup)
            #expect(!dumpSessions.isEmpty, "pg_dump waits for the client's lock")
            let dumps = processes(containing: database.backupsFolder.path)
            #expect(!dumps.isEmpty, "pg_dump runs")
            #expect(
                contents(of: temporary).contains { $0.hasSuffix("/pgpass") },
                "its password file is there")

            backup.kill(SIGKILL)
            #expect(await backup.finish().status == SIGKILL)
            var alive = dumps
            for _ in 0..<250 where !alive.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                alive = processes(containing: database.backupsFolder.path)
            }
            #expect(alive.isEmpty, "pg_dump died with ferry: \(alive)")

            try await endClients(of: database)
            let next = try await FerryProcess.run(arguments, environment: environment)
            #expect(next.status == 0, "\(next)")
            #expect(
                !contents(of: temporary).contains { $0.hasSuffix("pgpass") },
                "\(contents(of: temporary))")
            #expect(
                !contents(of: temporary).contains { $0.hasPrefix(".ferry-work-") },
                "\(contents(of: temporary))")
        }
    }

    /// The scratch databases on the server whose names match a `LIKE` pattern.
    func scratchDatabases(_ pattern: String) async throws -> [String] {
        let output = try await PostgresTestServer.psql(
            ["-At", "-c", "SELECT datname FROM pg_database WHERE datname LIKE '\(pattern)'"],
            database: "postgres")
        return output.split(separator: "\n").map(String.init)
    }

    @Test(arguments: ["check", "rehearsal", "drift"])
    func aScratchDatabaseOfAKilledRunIsDroppedByALaterRun(_ purpose: String) async throws {
        try await withTestDatabase(.postgres) { database in
            let migrations = try await makeDatabaseWithRelease060(database, pauseSeconds: 0)
            // Enough rows for the copy to take a moment to load.
            try await database.psql([
                "-c",
                "CREATE TABLE bulk AS SELECT i AS id, md5(i::text) AS payload FROM generate_series(1, 300000) AS i",
            ])
            let arguments =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let command =
                purpose == "check"
                ? ["backup"] : purpose == "drift" ? ["verify"] : ["upgrade", "--rehearse"]
            let pattern = "ferry\\_\(purpose)\\_%"
            let others = Set(try await scratchDatabases(pattern))
            let temporary = database.folder.url.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(
                at: temporary, withIntermediateDirectories: true)
            // The rehearsal's preflight makes the drift check's scratch database first: left out there.
            let environment = [
                "TMPDIR": temporary.path, "FERRY_SCHEMA_DRIFT": purpose == "drift" ? "1" : "0",
            ]

            // Killed as kill -9 would, right after it made its scratch database.
            let dying = try FerryProcess.start(
                command + arguments,
                environment: environment.merging([CrashPoint.variable: "scratch.created"]) { $1 })
            let killed = await dying.finish()
            #expect(killed.status == SIGKILL, "\(killed)")
            // The server ends a killed client's sessions when it sees their sockets close, which a busy
            // machine may delay; until then the scratch database's mark is held and sessions are on it,
            // so it is (rightly) not yet dead. The next run starts once they are gone, as it would in an
            // operator's hands.
            let pid = dying.process.processIdentifier
            for _ in 0..<3000 {
                let left = try await PostgresTestServer.psql(
                    [
                        "-At", "-c",
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%, pid \(pid) on %'",
                    ],
                    database: "postgres")
                if left == "0\n" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            // Tests beside this one make scratch databases too; theirs are alive (their makers hold their
            // locks), and their runs may drop this dead one first: any run may, and the next one must.
            @Sendable func deadScratchDatabases() async throws -> [String] {
                var dead: [String] = []
                for name in try await scratchDatabases(pattern) where !others.contains(name) {
                    let free = try await PostgresTestServer.psql(
                        [
                            "-At", "-c",
                            "SELECT pg_try_advisory_lock(hashtextextended('\(name)', \(0x66_6572_7279)))",
                        ],
                        database: "postgres")
                    if free == "t\n" { dead.append(name) }
                }
                return dead
            }
            // The killed run's, and perhaps those of other killed runs beside this test.
            let made = try await deadScratchDatabases()
            // Sessions of the killed run's children (pg_restore) on the copy end the same way.
            for _ in 0..<1500 {
                let list = made.map { "'\($0)'" }.joined(separator: ", ")
                guard !made.isEmpty,
                    try await PostgresTestServer.psql(
                        [
                            "-At", "-c",
                            "SELECT count(*) FROM pg_stat_activity WHERE datname IN (\(list))",
                        ],
                        database: "postgres") != "0\n"
                else { break }
                try await Task.sleep(for: .milliseconds(20))
            }

            // A copy with a session still on it is left for a later run (DROP DATABASE without FORCE, as a
            // person may be looking at it): on a busy server the dead run's sessions can outlast the wait
            // above, so the promise checked is that a later run, at most the third, drops it.
            // Only the copies found dead before are checked: runs of the tests beside this one may leave
            // dead copies of their own meanwhile (a session they terminate on purpose).
            var runs = 0
            var left = made
            while runs < 3 && (runs == 0 || !left.isEmpty) {
                let next = try await FerryProcess.run(command + arguments, environment: environment)
                #expect(next.status == 0, "\(next)")
                runs += 1
                left = Set(try await scratchDatabases(pattern)).intersection(made).sorted()
            }
            #expect(
                left.isEmpty, "\(runs) later runs dropped the dead run's \(made), leaving \(left)")
            // And its temporary folders (the rehearsal's dump, the programs' password files).
            #expect(
                !contents(of: temporary).contains { $0.hasPrefix(".ferry-") },
                "\(contents(of: temporary))")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test func aScratchDatabaseTakesTheLiveSettingsButNotTheApplicationsSessionLimits() async throws
    {
        try await withTestDatabase(.postgres) { database in
            let migrations = try await makeDatabaseWithRelease060(database, pauseSeconds: 0)
            let name = try #require(database.postgresDatabase)
            // The live database ends every session of the application that is idle inside a transaction for
            // a millisecond, and carries a setting of the application's own.
            try await PostgresTestServer.psql(
                [
                    "-c", "ALTER DATABASE \(name) SET idle_in_transaction_session_timeout = '1ms'",
                    "-c", "ALTER DATABASE \(name) SET lock_timeout = '1ms'",
                    "-c", "ALTER DATABASE \(name) SET ferry_test.marker = 'kept'",
                ], database: "postgres")
            let others = Set(try await scratchDatabases("ferry\\_check\\_%"))
            let arguments =
                ["backup", "--database", database.location, "--migrations", migrations.path]
                + database.backupArguments

            // Stopped right after it made the scratch database that checks its backup.
            let backup = try FerryProcess.start(
                arguments, environment: [CrashPoint.stopVariable: "scratch.created"])
            #expect(
                await backup.waitUntilStopped(),
                "the backup stopped once its check's database was made")
            // Tests beside this one make check databases too: this run's is the one with the live one's setting.
            var made: [String: String] = [:]
            for scratch in Set(try await scratchDatabases("ferry\\_check\\_%")).subtracting(others)
            {
                made[scratch] = try await PostgresTestServer.psql(
                    [
                        "-At", "-c",
                        "SELECT array_to_string(setconfig, ' ') FROM pg_db_role_setting "
                            + "WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = '\(scratch)')",
                    ], database: "postgres")
            }
            made = made.filter { $0.value.contains("ferry_test.marker=kept") }
            #expect(
                made.count == 1,
                "the application's setting is copied to the check's database: \(made)")
            for (scratch, settings) in made {
                #expect(!settings.contains("timeout"), "the session limits are not: \(settings)")
                // The maker's session is alive and still marks the copy as in use.
                let free = try await PostgresTestServer.psql(
                    [
                        "-At", "-c",
                        "SELECT pg_try_advisory_lock(hashtextextended('\(scratch)', \(0x66_6572_7279)))",
                    ],
                    database: "postgres")
                #expect(free == "f\n", "the scratch database's mark is held")
            }
            backup.kill(SIGCONT)
            let finished = await finish(backup, within: .seconds(120))
            #expect(finished.status == 0, "\(finished)")
            #expect(finished.stdout.contains("written and checked"), "\(finished)")
            #expect(
                Set(try await scratchDatabases("ferry\\_check\\_%")).isDisjoint(with: made.keys),
                "the copy is dropped")
        }
    }

    // MARK: Smaller

    @Test func aPasswordFileOpenToOthersIsIgnoredWithAWarning() async throws {
        try await withTestDatabase(.postgres) { database in
            let passwordFile = try database.folder.write(".pgpass", "*:*:*:*:not-used\n")
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o644], ofItemAtPath: passwordFile.path)
            let arguments = [
                "status", "--database", database.location, "--migrations",
                ExampleApplication.migrations(for: .postgres).path,
            ]
            let output = try await FerryProcess.run(
                arguments, environment: ["PGPASSFILE": passwordFile.path])
            #expect(output.status == 0, "\(output)")
            #expect(
                output.stderr.contains(
                    "warning: The password file \(passwordFile.path) is ignored: it has group or world access (mode 644)"
                ),
                "\(output)")
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
            let keptPrivate = try await FerryProcess.run(
                arguments, environment: ["PGPASSFILE": passwordFile.path])
            #expect(!keptPrivate.stderr.contains("warning"), "\(keptPrivate)")
        }
    }

    @Test func theExamplesEngineRequirementAcceptsAFreshDatabase() async throws {
        let name =
            "ferry_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let folder = try TemporaryFolder()
        let config = ExampleApplication.folder.appendingPathComponent("postgres/ferry.toml").path
        let arguments = [
            "--config", config, "--database", try PostgresTestServer.url(database: name),
            "--backups",
            folder.url.appendingPathComponent("backups").path,
        ]
        try await withCleanup {
            let check = try await FerryProcess.run(["check", "--create"] + arguments)
            #expect(check.status == 0, "\(check)")
            #expect(check.stdout.contains("postgresql 15"), "\(check)")
            let upgrade = try await FerryProcess.run(["upgrade", "--create"] + arguments)
            #expect(upgrade.status == 0, "a fresh install needs no --force: \(upgrade)")
            #expect(
                try await PostgresTestServer.psql(
                    ["-At", "-c", "SELECT release FROM ferry_state"], database: name)
                    == "0.5.0\n")
        } cleanup: {
            await PostgresTestServer.dropDatabase(name)
        }
    }
}
