import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// A restore on a PostgreSQL server whose application keeps working: clients
/// writing throughout, and a client's open transaction that the restore must
/// wait for. The clients are the real `psql`; what they committed is re-read
/// from the live database and from the pre-restore backup.
@Suite(
    "PostgreSQL restore under load",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresRestoreUnderLoadTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    func configuration(_ database: TestDatabase, restoreLockTimeout: Duration = .seconds(60)) throws
        -> Ferry.Configuration
    {
        var engine = try PostgresEngine(url: database.location, environment: [:])
        engine.restoreLockTimeout = restoreLockTimeout
        var configuration = Ferry.Configuration(
            appName: "test", engine: engine,
            migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    @Test func everyWriteCommittedDuringARestoreIsInThePreRestoreBackupOrInTheRestoredDatabase()
        async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                """
                CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100000) AS i;
                CREATE TABLE events (n int PRIMARY KEY);
                INSERT INTO events SELECT -i FROM generate_series(1, 10) AS i;
                """)
            let ferry = Ferry(try configuration(database))
            let backup = try await ferry.backup()
            // The application: one insert after another, each committed on its own, printing what committed.
            var script = ""
            for n in 1...1500 {
                script +=
                    "INSERT INTO events VALUES (\(n)) RETURNING 'ok ' || n;\nSELECT pg_sleep(0.004);\n"
            }
            let writer = try PsqlClient(script: script, database: database)
            #expect(
                await writer.waitForOutput(lines: 50), "the application writes before the restore")

            let report = try await ferry.restore(backup)
            let written = await writer.finish()

            let preRestore = try #require(
                try ferry.backups().first { $0.name == report.preRestoreBackup })
            let kept = try await rows(
                of: "SELECT n FROM events WHERE n > 0", inBackup: preRestore.file)
            let live = Set(
                try await database.psql(["-A", "-t", "-c", "SELECT n FROM events WHERE n > 0"])
                    .split(separator: "\n").compactMap { Int($0) })
            let committed = Set(
                written.lines.compactMap { $0.hasPrefix("ok ") ? Int($0.dropFirst(3)) : nil })
            let lost = committed.subtracting(kept).subtracting(live)
            #expect(committed.count > 100, "the application kept writing: \(written.stderr)")
            #expect(
                lost.isEmpty,
                "\(lost.count) of \(committed.count) committed writes are in neither database: \(lost.sorted().prefix(20))"
            )
            #expect(kept.isDisjoint(with: live), "a write is either before the restore or after it")
            #expect(try await database.scalar("SELECT count(*) FROM items") == "100000")
            #expect(try await database.scalar("SELECT count(*) FROM events WHERE n < 0") == "10")
        }
    }

    @Test func aRestoreWaitingForAnOpenTransactionNeverQueuesOtherClientsBehindIt() async throws {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                """
                CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 1000) AS i;
                """)
            let ferry = Ferry(try configuration(database, restoreLockTimeout: .seconds(8)))
            let backup = try await ferry.backup()
            try await database.load("DELETE FROM items WHERE id > 5")
            let before = try await database.snapshot()
            let name = try #require(database.postgresDatabase)
            // One client holds an open transaction that has read the table.
            let holder = try await PostgresTestServer.holdOpenTransaction(
                reading: "items", in: name)
            // Another keeps reading, and prints how long each read waited for its lock.
            var script = ""
            for _ in 1...600 {
                script +=
                    "SELECT 'waited ' || extract(epoch FROM clock_timestamp() - statement_timestamp()) "
                    + "FROM (SELECT count(*) FROM items) AS c;\nSELECT pg_sleep(0.02);\n"
            }
            let reader = try PsqlClient(script: script, database: database)
            #expect(await reader.waitForOutput(lines: 5))

            let clock = ContinuousClock()
            let started = clock.now
            let error = try await #require(throws: FerryError.self) {
                try await ferry.restore(backup)
            }
            let waited = clock.now - started
            let read = await reader.finish()
            try await PostgresTestServer.endApplication(in: name)
            _ = await holder.value

            let waits = read.lines.compactMap {
                $0.hasPrefix("waited ") ? Double($0.dropFirst(7)) : nil
            }
            #expect(waits.count > 100, "the reader kept reading throughout: \(read.stderr)")
            #expect(
                (waits.max() ?? 99) < 5,
                "no read waited behind the restore for long: longest \(waits.max() ?? -1) s")
            #expect(waited >= .seconds(8), "the restore waited its whole timeout")
            #expect(error.code == .restoreFailed)
            #expect(error.message.contains("sensorhub-web"), "\(error)")
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await database.snapshot() == before)
            #expect(
                try ferry.backups().count == 1,
                "no pre-restore backup of an unchanged database is kept")
        }
    }

    @Test func aRestoreWhoseTransactionWaitsForThePreRestoreBackupOutlivesAnIdleTransactionTimeout()
        async throws
    {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                """
                CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 200000) AS i;
                """)
            let ferry = Ferry(try configuration(database))
            let backup = try await ferry.backup()
            try await database.load("UPDATE items SET name = 'changed' WHERE id = 1")
            let name = try #require(database.postgresDatabase)
            // Shorter than the pre-restore backup of 200,000 rows, while the restore's transaction waits idle.
            try await PostgresTestServer.psql(
                ["-c", "ALTER DATABASE \(name) SET idle_in_transaction_session_timeout = '200ms'"],
                database: "postgres")

            let report = try await ferry.restore(backup)

            #expect(report.preRestoreBackup != nil)
            #expect(try await database.scalar("SELECT name FROM items WHERE id = 1") == "item 1")
            #expect(try await database.scalar("SELECT count(*) FROM items") == "200000")
        }
    }

    /// The values of a query on a backup, loaded into a database of its own by the real `pg_restore`.
    func rows(of query: String, inBackup file: URL) async throws -> Set<Int> {
        let name = try await PostgresTestServer.createDatabase()
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "pg_restore", "--no-owner", "-d", try PostgresTestServer.url(database: name),
                file.path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            let output = try await PostgresTestServer.psql(
                ["-A", "-t", "-c", query], database: name)
            await PostgresTestServer.dropDatabase(name)
            return Set(output.split(separator: "\n").compactMap { Int($0) })
        } catch {
            await PostgresTestServer.dropDatabase(name)
            throw error
        }
    }
}

/// A client of the application: the real `psql` running a script, each
/// statement in its own transaction, going on after errors.
final class PsqlClient: @unchecked Sendable {
    let process = Process()
    let output: URL
    let errors: URL

    init(script: String, database: TestDatabase) throws {
        let file = database.folder.url.appendingPathComponent("client-\(UUID().uuidString).sql")
        try Data(script.utf8).write(to: file)
        output = database.folder.url.appendingPathComponent("client-\(UUID().uuidString).out")
        errors = database.folder.url.appendingPathComponent("client-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-A", "-t", database.location, "-f", file.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var lines: [String] {
        ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(
            String.init)
    }

    /// Waits until the client has printed some lines.
    func waitForOutput(lines count: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && process.isRunning {
            if lines.count >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return lines.count >= count
    }

    /// Waits for the script's end; returns what it printed.
    func finish() async -> (lines: [String], stderr: String) {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return (lines, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }
}
