import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Backups, dumps and restores through the built binary and the real `sqlite3` shell.
@Suite struct BackupCommandTests {
    /// A database with every kind of value a dump must carry.
    static func makeEveryKindOfValue(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    PRAGMA user_version = 42;
                    CREATE TABLE "odd ""quoted"" name" (id INTEGER PRIMARY KEY AUTOINCREMENT, t TEXT, r REAL, b BLOB, i INTEGER, n);
                    CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) WITHOUT ROWID;
                    CREATE TABLE boxes (
                        w REAL NOT NULL, h REAL NOT NULL,
                        area REAL GENERATED ALWAYS AS (w * h) STORED,
                        label TEXT GENERATED ALWAYS AS ('box ' || w || 'x' || h) VIRTUAL);
                    CREATE TABLE plain (a, b);
                    CREATE INDEX plain_a ON plain (a);
                    CREATE UNIQUE INDEX kv_v ON kv (v);
                    CREATE VIEW big_boxes AS SELECT * FROM boxes WHERE area > 10;
                    CREATE TRIGGER boxes_log AFTER INSERT ON boxes BEGIN
                        INSERT INTO plain (a, b) VALUES ('box added; area', new.area);
                    END;
                    """)
            let texts = [
                "O'Brien said \"hi\"", "line one\nline two\r\nline three", "Küche 🌡️ 温度 שלום", "",
                "tab\there", "a;b;--c/*d*/",
                "\u{0}starts with NUL", "ends with NUL\u{0}",
            ]
            let reals: [Double] = [
                0.1, 1.0 / 3.0, -0.0, 1e300, -2.5e-300, 5e-324, .greatestFiniteMagnitude, 21.5, 3.0,
                .infinity, -.infinity, 123456789.123456789,
            ]
            for index in 0..<200 {
                let text: DatabaseValueConvertible? =
                    index % 17 == 0
                    ? nil : texts[index % texts.count] + (index < texts.count ? "" : " #\(index)")
                let real: DatabaseValueConvertible? =
                    index % 13 == 0 ? nil : reals[index % reals.count]
                let blob: DatabaseValueConvertible? =
                    index % 11 == 0
                    ? nil : Data((0..<(index % 40)).map { UInt8(($0 * 37 + index) % 256) })
                try db.execute(
                    sql:
                        #"INSERT INTO "odd ""quoted"" name" (t, r, b, i, n) VALUES (?, ?, ?, ?, ?)"#,
                    arguments: [
                        text, real, blob,
                        index % 7 == 0 ? Int64.min + Int64(index) : Int64(index * 1_000_003),
                        index % 2 == 0 ? "text" : 2.5,
                    ])
            }
            // sqlite_sequence stays ahead of max(id).
            try db.execute(sql: #"DELETE FROM "odd ""quoted"" name" WHERE id > 190"#)
            try db.execute(
                sql:
                    "INSERT INTO kv VALUES ('a', 1), ('b', 2.5), ('c', 'three'), ('d', x'00ff'), ('e', NULL)"
            )
            try db.execute(sql: "INSERT INTO boxes (w, h) VALUES (2, 3), (4.5, 4), (0.1, 0.2)")
        }
        try queue.close()
    }

    @Test func theFormatSqliteIsStillAcceptedAsNative() async throws {
        let folder = try TemporaryFolder()
        let source = folder.url.appendingPathComponent("source.db").path
        try Self.makeEveryKindOfValue(at: source)

        for name in ["sqlite", "native"] {
            let output = try await FerryProcess.run(
                ["backup", "--format", name, "--database", source, "--json"], in: folder.url)
            #expect(output.status == 0, "\(output)")
            let result = try #require(try output.jsonLines().last)
            #expect((result["path"] as? String)?.hasSuffix(".sqlite") == true)
            #expect((result["manifest"] as? [String: Any])?["format"] as? String == "native")
        }
        let wrong = try await FerryProcess.run(
            ["backup", "--format", "tar", "--database", source], in: folder.url)
        #expect(wrong.status == 2, "\(wrong)")
    }

    @Test func theBackupCheckLevelComesFromTheFlagOrTheEnvironment() async throws {
        let folder = try TemporaryFolder()
        let source = folder.url.appendingPathComponent("source.db").path
        try Self.makeEveryKindOfValue(at: source)

        let quick = try await FerryProcess.run(
            ["backup", "--backup-check", "quick", "--database", source, "--json"], in: folder.url)
        #expect(quick.status == 0, "\(quick)")
        let manifest = try #require(try quick.jsonLines().last?["manifest"] as? [String: Any])
        #expect(manifest["check"] as? String == "quick")
        #expect(manifest["rowCounts"] is NSNull)

        let full = try await FerryProcess.run(
            ["backup", "--database", source, "--json"], in: folder.url,
            environment: ["FERRY_BACKUPS_CHECK": "full"])
        #expect(full.status == 0, "\(full)")
        let counted = try #require(try full.jsonLines().last?["manifest"] as? [String: Any])
        #expect(counted["check"] as? String == "full")
        #expect((counted["rowCounts"] as? [String: Any])?["kv"] as? Int == 5)

        let wrong = try await FerryProcess.run(
            ["backup", "--backup-check", "fast", "--database", source], in: folder.url)
        #expect(wrong.status == 2, "\(wrong)")
        #expect(
            (wrong.stderr + wrong.stdout).contains(
                "The value 'fast' is invalid for '--backup-check <level>'. Please provide one of 'full' and 'quick'."
            ), "\(wrong)")
        #expect(
            try FileManager.default.contentsOfDirectory(
                atPath: folder.url.appendingPathComponent("backups").path
            ).count == 4,
            "two backups, each with its manifest; the refused command wrote nothing")
    }

    @Test func aSQLDumpLoadsIntoAnEqualDatabaseWithTheRealShellAndWithFerry() async throws {
        let folder = try TemporaryFolder()
        let source = folder.url.appendingPathComponent("source.db").path
        try Self.makeEveryKindOfValue(at: source)
        let original = try TableContents(path: source)

        let output = try await FerryProcess.run(
            ["backup", "--format", "sql", "--database", source, "--json"], in: folder.url)
        #expect(output.status == 0, "\(output)")
        let result = try #require(try output.jsonLines().last)
        let dump = URL(fileURLWithPath: try #require(result["path"] as? String))
        #expect(dump.pathExtension == "sql")

        // The real sqlite3 shell loads it into an equal database.
        let loaded = folder.url.appendingPathComponent("loaded.db").path
        let shell = try sqlite3Shell(loaded, input: dump)
        #expect(shell.status == 0, "sqlite3 said: \(shell.stderr)")
        let fromShell = try TableContents(path: loaded)
        #expect(fromShell.schema == original.schema)
        #expect(fromShell.userVersion == 42)
        for (table, rows) in original.tables {
            let loadedRows = fromShell.tables[table] ?? []
            #expect(
                loadedRows == rows,
                "table \(table): only in the source \(Set(rows).subtracting(loadedRows)), only in the load \(Set(loadedRows).subtracting(rows))"
            )
        }
        #expect(fromShell == original)

        // Ferry's own restore of the dump gives the same database.
        try FileManager.default.removeItem(atPath: source)
        try FileManager.default.copyItem(atPath: loaded, toPath: source)
        let restore = try await FerryProcess.run(
            ["restore", "--latest", "--yes", "--database", source], in: folder.url)
        #expect(restore.status == 0, "\(restore)")
        #expect(try TableContents(path: source) == original)
    }

    @Test func aBackupTakenWhileAnotherProcessWritesIsConsistent() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("busy.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(
                sql: """
                    CREATE TABLE ballast (id INTEGER PRIMARY KEY, data BLOB);
                    INSERT INTO ballast (data) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                        SELECT randomblob(16000) FROM n;
                    CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
                    """)
        }
        try queue.close()

        // A second process commits one row at a time, in order, for as long as the test runs.
        let script = folder.url.appendingPathComponent("writer.sql")
        try Data(
            (1...200_000).map {
                "INSERT INTO events (id, payload) VALUES (\($0), 'event \($0)');\n"
            }
            .joined().utf8
        ).write(to: script)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["sqlite3", "-cmd", "PRAGMA busy_timeout = 10000", path]
        writer.standardInput = try FileHandle(forReadingFrom: script)
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        defer { if writer.isRunning { writer.terminate() } }
        while (try? scalar("SELECT count(*) FROM events", in: path)).flatMap({ Int($0!) }) ?? 0
            < 200
        {
            try await Task.sleep(for: .milliseconds(20))
        }

        let output = try await FerryProcess.run(
            ["backup", "--database", path, "--json"], in: folder.url)
        // On a machine loaded enough, the writer may finish its rows before the backup's moment.
        let writerOutlastedTheBackup = writer.isRunning
        #expect(output.status == 0, "\(output)")
        let backupPath = try #require(try output.jsonLines().last?["path"] as? String)
        try await Task.sleep(for: .milliseconds(200))
        let liveCount = Int(try #require(try scalar("SELECT count(*) FROM events", in: path))) ?? 0
        writer.terminate()

        #expect(try integrityCheck(backupPath) == "ok")
        let count =
            Int(try #require(try scalar("SELECT count(*) FROM events", in: backupPath))) ?? 0
        let highest =
            Int(try #require(try scalar("SELECT coalesce(max(id), 0) FROM events", in: backupPath)))
            ?? -1
        #expect(count > 0)
        #expect(count == highest, "every row committed before the backup's moment is there: no gap")
        if writerOutlastedTheBackup {
            #expect(liveCount > count, "the writer went on while the backup was made")
        }
        #expect(try scalar("SELECT count(*) FROM ballast", in: backupPath) == "3000")
        #expect(!FileManager.default.fileExists(atPath: backupPath + "-wal"))
    }

    @Test func aKilledRestoreLeavesTheLiveDatabaseAsItWas() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("big.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    CREATE TABLE ballast (id INTEGER PRIMARY KEY, data BLOB);
                    INSERT INTO ballast (data) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
                        SELECT randomblob(16000) FROM n;
                    """)
        }
        #expect(
            try await FerryProcess.run(["backup", "--database", path], in: folder.url).status == 0)
        try await queue.write { db in
            try db.execute(
                sql:
                    "DELETE FROM ballast WHERE id % 3 = 0; CREATE TABLE after_backup (x); INSERT INTO after_backup VALUES (1)"
            )
        }
        try queue.close()
        let before = try DatabaseSnapshot(path: path)

        // Killed as kill -9 would, half-way through copying the backup into the live file.
        let restore = try await FerryProcess.run(
            ["restore", "--latest", "--yes", "--database", path], in: folder.url,
            environment: [CrashPoint.variable: "restore.copying"])
        #expect(restore.status == SIGKILL, "the restore was killed while copying: \(restore)")
        // The copy had written into the live file: its rollback journal holds the pages it replaced.
        let journal = try FileManager.default.attributesOfItem(atPath: path + "-journal")
        #expect(
            (journal[.size] as? Int ?? 0) > 0, "the restore was caught writing the live database")

        // Ferry is the first to open the database again: a new backup of it, which rolls the journal back.
        let backup = try await FerryProcess.run(["backup", "--database", path], in: folder.url)
        #expect(backup.status == 0, "\(backup)")
        #expect(
            !FileManager.default.fileExists(atPath: path + "-journal"),
            "the journal was rolled back")
        #expect(try integrityCheck(path) == "ok")
        let after = try DatabaseSnapshot(path: path)
        #expect(after.rows == before.rows)
        #expect(after.schema == before.schema)
    }

    @Test func backupsListsTheCatalogAsJSONAndRestoreNeedsConfirmation() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let arguments = ["--database", path, "--migrations", ExampleApplication.migrations.path]
        #expect(try await FerryProcess.run(["upgrade"] + arguments).status == 0)
        #expect(
            try await FerryProcess.run(["backup", "--note", "by hand"] + arguments).status == 0)

        let list = try await FerryProcess.run(["backups", "--json"] + arguments)
        #expect(list.status == 0)
        let object = try #require(try list.jsonLines().only)
        let backups = try #require(object["backups"] as? [[String: Any]])
        #expect(backups.count == 2)
        #expect(backups.map { $0["kind"] as? String } == ["manual", "pre-upgrade"])
        #expect(backups[0]["note"] as? String == "by hand")
        #expect(backups[1]["release"] as? String == "0.3.0")
        #expect(backups[1]["upgradeTo"] as? String == "0.5.0")
        #expect((backups[1]["sha256"] as? String)?.count == 64)

        let unconfirmed = try await FerryProcess.run(["restore", "--latest"] + arguments)
        #expect(unconfirmed.status == 3)
        #expect(unconfirmed.stderr.contains("pass --yes"))
        let missing = try await FerryProcess.run(["restore", "nope.sqlite", "--yes"] + arguments)
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("There is no backup named nope.sqlite"))
        let both = try await FerryProcess.run(["restore", "--latest", "nope.sqlite"] + arguments)
        #expect(both.status == 2)

        let restored = try await FerryProcess.run(
            ["restore", "--before-upgrade-to", "0.5.0", "--yes"] + arguments)
        #expect(restored.status == 0, "\(restored)")
        #expect(restored.stdout.contains("The database is now at release 0.3.0"))
        #expect(restored.stdout.contains("To upgrade it again to 0.5.0, run 'ferry upgrade'"))
        let latest = try await FerryProcess.run(
            ["restore", "--latest", "--yes", "--json"] + arguments)
        #expect(latest.status == 0)
        // The newest pre-upgrade or manual backup is the manual one, at 0.5.0: never the copy the restore kept.
        #expect(
            (try latest.jsonLines().last?["report"] as? [String: Any])?["release"] as? String
                == "0.5.0")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small file system needs root"))
    func aBackupFolderWithoutSpaceIsRefusedBeforeAnythingChanges() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        let small = folder.url.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mount.arguments = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.path]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "tmpfs mounted")
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            unmount.arguments = ["umount", small.path]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let before = try DatabaseSnapshot(path: path)

        let output = try await FerryProcess.run([
            "upgrade", "--database", path, "--migrations", ExampleApplication.migrations.path,
            "--backups", small.path,
        ])

        #expect(output.status == 3, "\(output)")
        // Preflight counts what the backup itself would need (one computation), so it refuses first.
        #expect(
            output.stderr.contains("blocker: free space: 1.0 MB free at \(small.path); needs"),
            "\(output)")
        #expect(output.stderr.contains("Nothing was changed"))
        #expect(output.lines.last == "[END UPGRADE ERROR]")
        #expect(try DatabaseSnapshot(path: path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path).isEmpty)
    }
}
