import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Two upgraders started together, and an upgrader interrupted in the middle.
/// (A second upgrader waiting for the first, and an upgrader killed with
/// SIGKILL, are in the behaviour suite, on every engine.)
@Suite struct ConcurrencyTests {
    /// The example at a release in a folder of its own, with a copy of its migrations and a slow release 0.6.0.
    struct SlowUpgrade {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL
        var arguments: [String] {
            ["upgrade", "--database", path, "--migrations", migrations.path]
        }

        init(from release: String, rows: Int) async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("sensorhub.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(
                at: release, path: path, migrations: migrations)
            try InterruptedUpgrade.writeSlowRelease(in: migrations, rows: rows)
        }
    }

    @Test func twoUpgradersStartedTogetherApplyEveryMigrationOnce() async throws {
        let upgrade = try await SlowUpgrade(from: "0.3.0", rows: 2_000_000)
        let (path, arguments) = (upgrade.path, upgrade.arguments)

        let first = try FerryProcess.start(arguments)
        let second = try FerryProcess.start(arguments)
        let outputs = [await first.finish(), await second.finish()]

        for output in outputs {
            #expect(output.status == 0, "\(output)")
            #expect(output.lines.last == "[END UPGRADE SUCCESS]")
        }
        #expect(
            outputs.filter { $0.stdout.contains("Upgrade to 0.6.0 completed successfully") }.count
                == 1)
        #expect(outputs.filter { $0.stdout.contains("up to date at 0.6.0") }.count == 1)
        #expect(try scalar("SELECT count(*) FROM ferry_migrations", in: path) == "16")
        #expect(try scalar("SELECT count(DISTINCT id) FROM ferry_migrations", in: path) == "16")
        #expect(try scalar("SELECT count(*) FROM sensor_archive", in: path) == "2000000")
    }

    @Test func anInterruptedUpgraderWritesTheErrorMarker() async throws {
        let upgrade = try await SlowUpgrade(from: "0.5.0", rows: 30_000_000)
        let (path, migrations) = (upgrade.path, upgrade.migrations)

        let upgrader = try FerryProcess.start([
            "upgrade", "--database", path, "--migrations", migrations.path,
        ])
        #expect(await upgrader.waitForOutput(containing: "Applying 0.6.0/001_slow_archive"))
        upgrader.kill(SIGTERM)
        let output = await upgrader.finish()
        #expect(output.status == 128 + SIGTERM)
        #expect(output.lines.last == "[END UPGRADE ERROR]")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "0.5.0")
        #expect(try integrityCheck(path) == "ok")
    }

    /// An application that keeps writing while `ferry restore` replaces its
    /// SQLite database (another process, a row every few milliseconds, each
    /// waiting for the lock as an application does): every row it was told
    /// was committed is in the pre-restore backup or in the restored
    /// database, in either journal mode. (The restore kept the writes out
    /// only from its copy on, and a row committed between the pre-restore
    /// backup and the copy was in neither.)
    @Test(arguments: ["delete", "wal"])
    func aWriteDuringARestoreIsNeverLost(journalMode: String) async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        let backups = folder.url.appendingPathComponent("backups")
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path, migrations: migrations)
        // A few megabytes, so that the pre-restore backup and its check take a while.
        let setup = try DatabaseQueue(path: path)
        try await setup.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = \(journalMode)")
            try db.inTransaction {
                try db.execute(
                    sql: """
                        CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT);
                        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
                        INSERT INTO filler SELECT i, printf('%0100d', i) FROM n;
                        """)
                return .commit
            }
        }
        try setup.close()
        let common = [
            "--database", path, "--backups", backups.path, "--migrations", migrations.path,
        ]
        let backup = try await FerryProcess.run(["backup", "--json"] + common)
        #expect(backup.status == 0, "\(backup)")
        let name = try #require(try backup.jsonLines().last?["backup"] as? String, "\(backup)")

        let committed = folder.url.appendingPathComponent("committed.txt").path
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/bash")
        writer.arguments = [
            "-c",
            """
            for i in $(seq 1 400); do
              sqlite3 -cmd '.timeout 60000' "$0" "INSERT INTO rooms(name) VALUES ('w$i')" >/dev/null 2>&1 \
                && echo "w$i" >> "$1"
              sleep 0.005
            done
            """, path, committed,
        ]
        try writer.run()
        defer { if writer.isRunning { writer.terminate() } }
        try await Task.sleep(for: .milliseconds(300))
        let restore = try await FerryProcess.run(["restore", name, "--yes"] + common)
        #expect(restore.status == 0, "\(restore)")
        while writer.isRunning { try await Task.sleep(for: .milliseconds(50)) }

        let written = Set(
            ((try? String(contentsOfFile: committed, encoding: .utf8)) ?? "").split(
                separator: "\n"
            ).map(String.init))
        #expect(written.count > 50, "\(written.count)")
        func rooms(_ file: String) throws -> Set<String> {
            try DatabaseQueue(path: file).read { db in
                Set(try String.fetchAll(db, sql: "SELECT name FROM rooms"))
            }
        }
        let preRestore = try #require(
            try FileManager.default.contentsOfDirectory(atPath: backups.path).first {
                $0.contains("pre-restore") && $0.hasSuffix(".sqlite")
            })
        let kept = try rooms(path).union(rooms(backups.appendingPathComponent(preRestore).path))
        #expect(written.subtracting(kept).isEmpty, "lost: \(written.subtracting(kept).sorted())")
    }

    /// The application writes in the instant the restore lets go of the
    /// live database to copy the backup in (the restore stopped exactly
    /// there): a commit at once, or a write transaction held past the
    /// restore's busy timeout (30 s). That attempt changes nothing, and the
    /// restore starts again by itself with a new pre-restore backup that
    /// holds the write; the catalog keeps that one only.
    @Test(arguments: [
        ("in the switch", "sqlite3 \"$0\" \"INSERT INTO rooms(name) VALUES ('in the switch')\""),
        (
            "held",
            "(echo 'BEGIN IMMEDIATE;'; echo \"INSERT INTO rooms(name) VALUES ('held');\"; echo \"SELECT 'held';\"; sleep 35; echo 'COMMIT;') | sqlite3 -bail \"$0\""
        ),
    ])
    func theApplicationInTheInstantOfTheSwitchStartsTheRestoreAgain(
        room: String, application: String
    ) async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        let backups = folder.url.appendingPathComponent("backups")
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path, migrations: migrations)
        let common = [
            "--database", path, "--backups", backups.path, "--migrations", migrations.path,
        ]
        let backup = try await FerryProcess.run(["backup", "--json"] + common)
        let name = try #require(try backup.jsonLines().last?["backup"] as? String, "\(backup)")

        let restore = try FerryProcess.start(
            ["restore", name, "--yes"] + common,
            environment: ["FERRY_TEST_STOP_AT": "restore.guard-released"])
        #expect(await restore.waitUntilStopped(), "the restore stopped between its two locks")
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", application, path]
        let said = Pipe()
        writer.standardOutput = said
        try writer.run()
        defer { if writer.isRunning { writer.terminate() } }
        // Until it committed (its output ends), or until it says it holds its transaction.
        _ = said.read(until: "held")
        restore.kill(SIGCONT)
        let output = await restore.finish()
        #expect(output.status == 0, "\(output)")
        #expect(
            output.stderr.contains("Trying again with a new pre-restore backup (attempt 2 of 3)"),
            "\(output)")

        let preRestores = try FileManager.default.contentsOfDirectory(atPath: backups.path)
            .filter { $0.contains("pre-restore") && $0.hasSuffix(".sqlite") }
        #expect(preRestores.count == 1, "\(preRestores)")
        let preRestore = try #require(preRestores.first)
        let written = "SELECT count(*) FROM rooms WHERE name = '\(room)'"
        #expect(try scalar(written, in: backups.appendingPathComponent(preRestore).path) == "1")
        #expect(try scalar(written, in: path) == "0")
    }
}
