import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// `ferry export` and `ferry import` as operators run them, with the faults
/// made from outside: a damaged or incomplete export, a killed import, an
/// application that keeps writing during the export.
@Suite("Export and import commands") struct ExportImportCommandTests {
    /// A source database with every kind of value, its export, and a target
    /// at the same release that holds one row of its own.
    struct Exported {
        let source: TestDatabase
        let target: TestDatabase
        let migrations: URL
        let folder: URL

        func arguments(_ database: TestDatabase) -> [String] {
            ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
        }

        static func make(_ source: TestDatabase, _ target: TestDatabase) async throws -> Exported {
            let migrations = try ExportFixtures.migrations(for: source.kind, in: source.folder.url)
            try await Ferry(ExportFixtures.configuration(source, migrations: migrations)).upgrade()
            try await ExportFixtures.fill(source)
            try await Ferry(ExportFixtures.configuration(target, migrations: migrations)).upgrade()
            try await target.load("INSERT INTO kinds (id, t) VALUES (1000, 'mine');")
            let exported = Exported(
                source: source, target: target, migrations: migrations,
                folder: source.folder.url.appendingPathComponent("export"))
            // Parts of a few hundred bytes, so that a table spans several.
            _ = try await Ferry(ExportFixtures.configuration(source, migrations: migrations))
                .export(to: exported.folder, options: ExportOptions(partBytes: 400))
            return exported
        }
    }

    /// The ways an export is damaged after it was written.
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case flippedByteInAPart, flippedByteInTheManifest, missingPart, truncatedPart,
            missingManifest, addedPart
        var description: String { rawValue }

        func apply(to folder: URL) throws {
            let part = folder.appendingPathComponent("data/kinds/0002.jsonl")
            let manifest = folder.appendingPathComponent(ExportManifest.fileName)
            switch self {
            case .flippedByteInAPart: try Self.flipByte(in: part)
            case .flippedByteInTheManifest: try Self.flipByte(in: manifest)
            case .missingPart: try FileManager.default.removeItem(at: part)
            case .truncatedPart:
                let data = try Data(contentsOf: part)
                try data.prefix(data.count - 7).write(to: part)
            case .missingManifest: try FileManager.default.removeItem(at: manifest)
            case .addedPart:
                // Rows of another part, as if added by hand: the manifest does not list them.
                try FileManager.default.copyItem(
                    at: part, to: folder.appendingPathComponent("data/kinds/0099.jsonl"))
            }
        }

        /// What the refusal says.
        var expected: String {
            switch self {
            case .flippedByteInAPart: return "does not match its SHA-256"
            case .flippedByteInTheManifest: return "manifest"
            case .missingPart: return "is missing"
            case .truncatedPart: return "truncated"
            case .missingManifest: return "This export is incomplete"
            case .addedPart: return "data/kinds/0099.jsonl is in the export"
            }
        }

        static func flipByte(in file: URL) throws {
            var bytes = [UInt8](try Data(contentsOf: file))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: file)
        }
    }

    /// A damaged or incomplete export is refused (exit 3, `exportCorrupt`)
    /// before anything is written: no pre-import backup, no row.
    @Test(arguments: TestEngine.underTest, Damage.allCases)
    func aDamagedExportIsRefusedBeforeAnythingIsWritten(engine: TestEngine, damage: Damage)
        async throws
    {
        try await withTestDatabase(engine) { source in
            try await withTestDatabase(engine) { target in
                let exported = try await Exported.make(source, target)
                try damage.apply(to: exported.folder)
                let before = try await ExportFixtures.rows(of: "kinds", in: target)

                let output = try await FerryProcess.run(
                    ["import", exported.folder.path, "--mode", "merge", "--yes", "--json"]
                        + exported.arguments(target))

                #expect(output.status == 3, "\(output)")
                let result = try #require(try output.jsonLines().last)
                let error = try #require(result["error"] as? [String: Any])
                #expect(error["code"] as? String == "exportCorrupt", "\(output)")
                #expect(
                    (error["message"] as? String)?.contains(damage.expected) == true, "\(output)")
                #expect((error["changes"] as? String)?.hasPrefix("Nothing was changed") == true)
                #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)
                let backups =
                    (try? FileManager.default.contentsOfDirectory(
                        atPath: target.backupsFolder.path)) ?? []
                #expect(!backups.contains { $0.contains("pre-import") }, "\(backups)")
            }
        }
    }

    /// `kill -9` of `ferry import` inside its transaction leaves the target
    /// as it was (after the next Ferry command, which rolls SQLite's journal
    /// back); the same import run again succeeds.
    @Test(arguments: TestEngine.underTest)
    func aKilledImportLeavesTheTargetAsItWasAndARerunSucceeds(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            try await withTestDatabase(engine) { target in
                let exported = try await Exported.make(source, target)
                let before = try await ExportFixtures.rows(of: "kinds", in: target)
                let arguments =
                    ["import", exported.folder.path, "--mode", "merge", "--yes"]
                    + exported.arguments(target)

                let killed = try await FerryProcess.run(
                    arguments, environment: [CrashPoint.variable: "import.beforeCommit"])
                #expect(killed.status == SIGKILL, "\(killed)")

                let status = try await FerryProcess.run(["status"] + exported.arguments(target))
                #expect(status.status == 0, "\(status)")
                #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)

                let rerun = try await FerryProcess.run(arguments)
                #expect(rerun.status == 0, "\(rerun)")
                let expected = try await ExportFixtures.rows(of: "kinds", in: source)
                let after = try await ExportFixtures.rows(of: "kinds", in: target)
                #expect(after.count == expected.count + 1)
                #expect(Set(expected).isSubset(of: Set(after)))
            }
        }
    }

    /// `kill -9` of `ferry import` into a new database, after the
    /// migrations that make the export's release and the load, before they
    /// commit together, leaves no release, no table and no row; run again,
    /// the import makes the database whole.
    @Test(arguments: TestEngine.underTest)
    func aKilledImportIntoANewDatabaseLeavesItEmpty(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            try await withTestDatabase(engine) { target in
                let exported = try await Exported.make(source, target)
                try await withTestDatabase(engine) { fresh in
                    let arguments =
                        ["import", exported.folder.path, "--yes"] + exported.arguments(fresh)
                    let killed = try await FerryProcess.run(
                        arguments, environment: [CrashPoint.variable: "import.beforeCommit"])
                    #expect(killed.status == SIGKILL, "\(killed)")

                    let status = try await FerryProcess.run(
                        ["status", "--json"] + exported.arguments(fresh))
                    #expect(status.status == 0, "\(status)")
                    let state = try await fresh.engine.readState()
                    #expect(state.release == nil)
                    #expect(state.applied.isEmpty)
                    #expect(state.unmanagedTables.isEmpty, "\(state.unmanagedTables)")

                    let rerun = try await FerryProcess.run(arguments)
                    #expect(rerun.status == 0, "\(rerun)")
                    #expect(
                        try await ExportFixtures.rows(of: "kinds", in: fresh)
                            == ExportFixtures.rows(of: "kinds", in: source))
                }
            }
        }
    }

    /// `kill -9` of `ferry export` just before its manifest leaves a folder
    /// that an import refuses as incomplete (exit 3) with nothing written;
    /// the same export run again knows the folder for a dead run's (its mark
    /// is no longer locked), starts over and makes it whole.
    @Test(arguments: TestEngine.underTest)
    func aKilledExportIsIncompleteAndARerunMakesItWhole(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            try await withTestDatabase(engine) { target in
                let exported = try await Exported.make(source, target)
                let folder = source.folder.url.appendingPathComponent("killed")
                let export = ["export", folder.path] + exported.arguments(source)
                let killed = try await FerryProcess.run(
                    export, environment: [CrashPoint.variable: "export.beforeManifest"])
                #expect(killed.status == SIGKILL, "\(killed)")
                #expect(
                    FileManager.default.fileExists(
                        atPath: folder.appendingPathComponent("data").path))
                let before = try await ExportFixtures.rows(of: "kinds", in: target)

                let imported = try await FerryProcess.run(
                    ["import", folder.path, "--mode", "merge", "--yes"] + exported.arguments(target)
                )
                #expect(imported.status == 3, "\(imported)")
                #expect(imported.stderr.contains("This export is incomplete"), "\(imported)")
                #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)

                let again = try await FerryProcess.run(export)
                #expect(again.status == 0, "\(again)")
                let manifest = try ExportFolder(url: folder).checked()
                #expect(
                    manifest.tables.map(\.rowCount)
                        == (try ExportFolder(url: exported.folder).checked()).tables.map(\.rowCount)
                )
                let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                #expect(!entries.contains { $0.hasPrefix(WorkFolder.prefix) }, "\(entries)")

                let whole = try await FerryProcess.run(export)
                #expect(whole.status == 3, "\(whole)")
                #expect(whole.stderr.contains("already holds an export (taken at"), "\(whole)")
                #expect(try ExportFolder(url: folder).checked().digest == manifest.digest)
            }
        }
    }

    /// A secret column that names no column of the database (misspelt) is
    /// warned about, not silently passed over; a redacted column that cannot
    /// be NULL is warned about too, since no import will take its rows.
    @Test func aSecretColumnThatNamesNothingIsWarnedAbout() async throws {
        let folder = try TemporaryFolder()
        _ = try ExampleApplication.copyMigrations(to: folder.url)
        _ = try folder.write(
            "ferry.toml",
            """
            [app]
            name = "sensorhub"
            [database]
            url = "app.db"
            migrations = "migrations"
            [export]
            secret_columns = ["devices.nmae", "devices.name"]
            """)
        let upgrade = try await FerryProcess.run(
            ["upgrade", "--create", "--no-backup"], in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        let export = try await FerryProcess.run(["export", "out", "--redact"], in: folder.url)
        #expect(export.status == 0, "\(export)")
        #expect(
            export.stderr.contains(
                "secret_columns names devices.nmae, which is no column of"), "\(export)")
        #expect(export.stderr.contains("devices.name cannot be NULL"), "\(export)")
    }

    /// A merge tells rows apart by their keys: into a table without a
    /// primary key that holds rows, the exported rows are added beside them
    /// and the import says so, naming the table, instead of reporting a
    /// clean merge while every row it held is now there twice.
    @Test func aMergeIntoATableWithoutAKeyThatHoldsRowsSaysSo() async throws {
        let folder = try TemporaryFolder()
        _ = try folder.write(
            "migrations/1.0.0/001_log.sql",
            """
            CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE log (at TEXT NOT NULL, message TEXT);
            """)
        let common = ["--database", "app.db", "--migrations", "migrations"]
        let upgrade = try await FerryProcess.run(
            ["upgrade", "--create", "--no-backup"] + common, in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        let app = folder.url.appendingPathComponent("app.db").path
        let written = try sqlite3Shell(
            app,
            sql:
                "INSERT INTO kinds VALUES (1, 'a'); INSERT INTO log VALUES ('2024-01-01', 'x'), ('2024-01-02', 'y');"
        )
        #expect(written.status == 0, "\(written.stderr)")
        let export = try await FerryProcess.run(["export", "out"] + common, in: folder.url)
        #expect(export.status == 0, "\(export)")
        let merge = try await FerryProcess.run(
            ["import", "out", "--mode", "merge", "--yes"] + common, in: folder.url)
        #expect(merge.status == 0, "\(merge)")
        #expect(
            merge.stderr.contains(
                "log has no primary key: its 2 exported rows were added beside the 2 it held"),
            "\(merge)")
        #expect(!merge.stderr.contains("kinds has no primary key"), "\(merge)")
        #expect(try scalar("SELECT count(*) FROM log", in: app) == "4")
        #expect(try scalar("SELECT count(*) FROM kinds", in: app) == "1")
    }

    /// A dry run that finds values the target would refuse lists them and
    /// exits non-zero (3), as the import itself would: a script learns from
    /// the status that the import would fail.
    @Test func aDryRunThatFindsRefusedValuesExitsNonZero() async throws {
        let folder = try TemporaryFolder()
        _ = try folder.write(
            "source/1.0.0/001_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT);")
        _ = try folder.write(
            "target/1.0.0/001_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);")
        let upgrade = try await FerryProcess.run(
            ["upgrade", "--create", "--no-backup", "--database", "a.db", "--migrations", "source"],
            in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        let written = try sqlite3Shell(
            folder.url.appendingPathComponent("a.db").path,
            sql: "INSERT INTO t VALUES (1, '7'), (2, 'abc');")
        #expect(written.status == 0, "\(written.stderr)")
        let export = try await FerryProcess.run(
            ["export", "out", "--database", "a.db", "--migrations", "source"], in: folder.url)
        #expect(export.status == 0, "\(export)")
        let dryRun = try await FerryProcess.run(
            ["import", "out", "--dry-run", "--database", "b.db", "--migrations", "target"],
            in: folder.url)
        #expect(dryRun.status == 3, "\(dryRun)")
        #expect(dryRun.stdout.contains("t id=2: n = 'abc' is not an integer"), "\(dryRun)")
        #expect(dryRun.stderr.contains("1 row holds a value the target would refuse"), "\(dryRun)")
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("b.db").path))
        // The same with --json: the result says so (ok false, the refusal), and the status too.
        let json = try await FerryProcess.run(
            [
                "import", "out", "--dry-run", "--json", "--database", "b.db", "--migrations",
                "target",
            ],
            in: folder.url)
        #expect(json.status == 3, "\(json)")
        let result = try #require(try json.jsonLines().last, "\(json)")
        #expect(result["ok"] as? Bool == false, "\(result)")
        #expect((result["error"] as? [String: Any])?["code"] as? String == "invalidExport")
        #expect(
            ((result["import"] as? [String: Any])?["tables"] as? [[String: Any]])?.first?["refused"]
                as? Int == 1, "\(result)")
    }

    /// A second export into the folder that a running export is writing is
    /// refused, and the first one is not disturbed; a folder with an export's
    /// files but no mark of a Ferry run (copied, or half deleted by hand) is
    /// not Ferry's to remove, and is refused.
    @Test func anExportBeingWrittenOrAFolderOfUnknownOriginIsNotTouched() async throws {
        try await withTestDatabase(.sqlite) { source in
            try await withTestDatabase(.sqlite) { target in
                let exported = try await Exported.make(source, target)
                let folder = source.folder.url.appendingPathComponent("busy")
                let export = ["export", folder.path] + exported.arguments(source)
                let first = try FerryProcess.start(
                    export, environment: [CrashPoint.stopVariable: "export.table-written"])
                #expect(await first.waitUntilStopped(), "the first export did not stop")
                let second = try await FerryProcess.run(export)
                #expect(second.status == 3, "\(second)")
                #expect(second.stderr.contains("Another export is writing into"), "\(second)")
                first.kill(SIGCONT)
                let finished = await first.finish()
                #expect(finished.status == 0, "\(finished)")
                _ = try ExportFolder(url: folder).checked()

                let copied = source.folder.url.appendingPathComponent("copied")
                try FileManager.default.copyItem(at: folder, to: copied)
                try FileManager.default.removeItem(
                    at: copied.appendingPathComponent(ExportManifest.fileName))
                let refused = try await FerryProcess.run(
                    ["export", copied.path] + exported.arguments(source))
                #expect(refused.status == 3, "\(refused)")
                #expect(refused.stderr.contains("holds an unfinished export"), "\(refused)")
                #expect(
                    FileManager.default.fileExists(
                        atPath: copied.appendingPathComponent("data").path))
            }
        }
    }

    /// Into a new database an import commits the export's release with its
    /// rows, then upgrades to the program's release. Killed between the two,
    /// the database holds the export's rows at the export's release; the same
    /// import run again knows its rows by the export's digest in the history,
    /// only upgrades, and a third run changes nothing and says so (exit 0).
    @Test(arguments: TestEngine.underTest)
    func anImportKilledBeforeItsUpgradeIsFinishedByTheRerun(engine: TestEngine) async throws {
        try await withExample(at: "0.2.0", on: engine) { source in
            let folder = source.folder.url.appendingPathComponent("export")
            try await source.ferry.export(to: folder)
            let exported = try await ExportFixtures.rows(of: "readings", in: source.database)
            try await withTestDatabase(engine) { fresh in
                let arguments =
                    [
                        "import", folder.path, "--yes", "--database", fresh.location,
                        "--migrations",
                        source.migrations.path,
                    ] + fresh.backupArguments
                let killed = try await FerryProcess.run(
                    arguments, environment: [CrashPoint.variable: "event.upgradeCompleted"])
                #expect(killed.status == SIGKILL, "\(killed)")
                #expect(try await fresh.scalar("SELECT release FROM ferry_state") == "0.2.0")
                #expect(try await ExportFixtures.rows(of: "readings", in: fresh) == exported)

                let rerun = try await FerryProcess.run(arguments + ["--json"])
                #expect(rerun.status == 0, "\(rerun)")
                let result = try #require(rerun.jsonLines().last?["import"] as? [String: Any])
                #expect(result["earlierRun"] is String, "\(result)")
                #expect(result["from"] as? String == "0.2.0")
                #expect(result["release"] as? String == ExampleApplication.newestRelease)
                #expect(
                    try await fresh.scalar("SELECT release FROM ferry_state")
                        == ExampleApplication.newestRelease)
                // 0.3.0 renames readings to sensor_history.
                let upgraded = try await ExportFixtures.rows(of: "sensor_history", in: fresh)
                #expect(upgraded.count == exported.count)

                let third = try await FerryProcess.run(arguments)
                #expect(third.status == 0, "\(third)")
                #expect(third.stdout.contains("Nothing was changed"), "\(third)")
                #expect(try await ExportFixtures.rows(of: "sensor_history", in: fresh) == upgraded)
            }
        }
    }

    /// An export taken while another process moves money between accounts,
    /// one move per transaction, holds one moment: the balances add up and
    /// every move counted on an account is in the moves table.
    @Test(arguments: TestEngine.underTest)
    func anExportTakenWhileAnotherProcessWritesIsConsistent(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = source.folder.url.appendingPathComponent("bank")
            let release = migrations.appendingPathComponent("0.1.0")
            try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
            let key = engine == .sqlite ? "INTEGER PRIMARY KEY" : "bigserial PRIMARY KEY"
            try """
            CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, moves bigint NOT NULL);
            CREATE TABLE moves (id \(key), from_id bigint NOT NULL REFERENCES accounts(id),
                                to_id bigint NOT NULL REFERENCES accounts(id));
            """.write(
                to: release.appendingPathComponent("001_bank.sql"), atomically: true,
                encoding: .utf8)
            let ferry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await ferry.upgrade()
            let accounts = (1...50).map { "(\($0), 1000, 0)" }.joined(separator: ", ")
            try await source.load("INSERT INTO accounts VALUES \(accounts);")
            if engine == .sqlite {
                // An application that writes while others read runs in WAL mode.
                let queue = try DatabaseQueue(path: source.location)
                try await queue.writeWithoutTransaction {
                    try $0.execute(sql: "PRAGMA journal_mode = WAL")
                }
                try queue.close()
            }
            let moves = 6000
            var script = engine == .sqlite ? ".timeout 20000\n" : ""
            for move in 0..<moves {
                let from = move % 50 + 1
                let to = (move * 7 + 3) % 50 + 1
                script += """
                    BEGIN;
                    UPDATE accounts SET balance = balance - 1, moves = moves + 1 WHERE id = \(from);
                    UPDATE accounts SET balance = balance + 1 WHERE id = \(to);
                    INSERT INTO moves (from_id, to_id) VALUES (\(from), \(to));
                    COMMIT;

                    """
            }
            let scriptFile = source.folder.url.appendingPathComponent("writer.sql")
            try script.write(to: scriptFile, atomically: true, encoding: .utf8)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            writer.arguments =
                engine == .sqlite
                ? ["sqlite3", source.location, ".read \(scriptFile.path)"]
                : [
                    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", source.location, "-f",
                    scriptFile.path,
                ]
            writer.standardOutput = FileHandle.nullDevice
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            defer { if writer.isRunning { writer.terminate() } }
            // Export once the writer is under way.
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while try await source.scalar("SELECT count(*) FROM moves") == "0", clock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            let folder = source.folder.url.appendingPathComponent("export")
            let report = try await ferry.export(to: folder)
            let exportedMoves = report.tables.first { $0.name == "moves" }?.rows ?? 0
            while writer.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            #expect(writer.terminationStatus == 0)
            #expect(exportedMoves > 0)

            try await withTestDatabase(engine) { copy in
                try await Ferry(ExportFixtures.configuration(copy, migrations: migrations))
                    .import(from: folder)
                #expect(try await copy.scalar("SELECT sum(balance) FROM accounts") == "50000")
                #expect(
                    try await copy.scalar("SELECT sum(moves) FROM accounts")
                        == String(exportedMoves))
                #expect(
                    try await copy.scalar("SELECT count(*) FROM moves") == String(exportedMoves))
            }
            #expect(try await source.scalar("SELECT count(*) FROM moves") == String(moves))
        }
    }

    /// A large table is read in pieces, one connection per core, each a
    /// range of its rowids: the pieces' parts are numbered in the rows'
    /// order and, taken while another process commits (in WAL mode, and in
    /// rollback-journal mode, where its commits wait), every piece holds the
    /// same moment: each commit changes a row of the first piece's rowids
    /// and one of the last's, and the two always agree.
    @Test(arguments: ["wal", "delete"])
    func aLargeTableReadInPiecesHoldsOneMoment(journalMode: String) async throws {
        try await withTestDatabase(.sqlite) { source in
            let migrations = source.folder.url.appendingPathComponent("pairs")
            let release = migrations.appendingPathComponent("0.1.0")
            try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
            try "CREATE TABLE pairs (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, note TEXT);"
                .write(
                    to: release.appendingPathComponent("001_pairs.sql"), atomically: true,
                    encoding: .utf8)
            let ferry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await ferry.upgrade()
            // Rowids spanning a million: a table the export reads in pieces.
            try await source.load(
                """
                WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
                INSERT INTO pairs SELECT x, 0, 'row ' || x FROM c;
                INSERT INTO pairs SELECT id + 1000000, 0, note FROM pairs;
                """)
            let queue = try DatabaseQueue(path: source.location)
            try await queue.writeWithoutTransaction {
                try $0.execute(sql: "PRAGMA journal_mode = \(journalMode)")
            }
            try queue.close()
            var script = ".timeout 20000\nPRAGMA synchronous = OFF;\n"
            for _ in 0..<100_000 {
                script += "BEGIN; UPDATE pairs SET n = n + 1 WHERE id IN (1, 1002000); COMMIT;\n"
            }
            let scriptFile = source.folder.url.appendingPathComponent("writer.sql")
            try script.write(to: scriptFile, atomically: true, encoding: .utf8)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            writer.arguments = ["sqlite3", source.location, ".read \(scriptFile.path)"]
            writer.standardOutput = FileHandle.nullDevice
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            defer { if writer.isRunning { writer.terminate() } }
            // Waiting for the writer's locks (in rollback-journal mode it holds them in turn).
            var waiting = Configuration()
            waiting.busyMode = .timeout(20)
            let reader = try DatabaseQueue(path: source.location, configuration: waiting)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while try await reader.read({
                try Int.fetchOne($0, sql: "SELECT n FROM pairs WHERE id = 1")
            })
                == 0, clock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            try reader.close()

            /// The export's rows of `pairs`, in the order of its parts, and how many parts.
            func exported(_ name: String) async throws -> (rows: [[Any]], parts: [String]) {
                let folder = source.folder.url.appendingPathComponent(name)
                _ = try await ferry.export(to: folder, options: ExportOptions(partBytes: 8192))
                let manifest = try ExportFolder(url: folder).checked()
                let files = manifest.tables.first { $0.table.name == "pairs" }?.files ?? []
                var rows: [[Any]] = []
                for file in files {
                    let text = try String(
                        contentsOf: folder.appendingPathComponent(file.path), encoding: .utf8)
                    for line in text.split(separator: "\n") {
                        rows.append(
                            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any] ?? [])
                    }
                }
                return (rows, files.map(\.path))
            }
            var moments: Set<Int> = []
            for round in 0..<15 where writer.isRunning {
                let (rows, parts) = try await exported("export-\(round)")
                let ids = rows.compactMap { $0.first as? Int }
                #expect(ids.count == 4000 && ids == ids.sorted(), "round \(round)")
                #expect(
                    parts == parts.indices.map { String(format: "data/pairs/%04d.jsonl", $0 + 1) })
                let first = rows.first { ($0.first as? Int) == 1 }?[1] as? Int
                let last = rows.first { ($0.first as? Int) == 1_002_000 }?[1] as? Int
                #expect(
                    first != nil && first == last,
                    "round \(round): \(first ?? -1) and \(last ?? -1)")
                if let first { moments.insert(first) }
            }
            #expect(moments.count > 1, "the writer committed between the exports")
            writer.terminate()
            writer.waitUntilExit()

            // Once nobody writes, the table is read in pieces (on two cores or more), whose parts
            // follow each other: a piece's last part, before the next piece's first, is not full.
            let (rows, _) = try await exported("export-quiet")
            #expect(rows.count == 4000)
            let sizes = try ExportFolder(
                url: source.folder.url.appendingPathComponent("export-quiet")
            ).checked().tables[0].files.map(\.bytes)
            #expect(
                sizes.dropLast().contains { $0 < 8192 }
                    == (ProcessInfo.processInfo.activeProcessorCount > 1), "\(sizes)")
            try await withTestDatabase(.sqlite) { copy in
                try await Ferry(ExportFixtures.configuration(copy, migrations: migrations))
                    .import(from: source.folder.url.appendingPathComponent("export-quiet"))
                #expect(
                    try await copy.scalar(
                        "SELECT count(*) || ' ' || sum(id) || ' ' || sum(n) FROM pairs")
                        == source.scalar(
                            "SELECT count(*) || ' ' || sum(id) || ' ' || sum(n) FROM pairs"))
            }
        }
    }
}
