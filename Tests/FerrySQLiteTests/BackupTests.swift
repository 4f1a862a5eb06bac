import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Backups, the catalog, restore and downgrade on real SQLite files.
@Suite struct BackupTests {
    @Test func anUpgradeTakesACheckedPrivateBackupFirst() async throws {
        try await withExample(at: "0.3.0") { scenario in
            let before = try TableContents(path: scenario.path)
            let report = try await scenario.ferry.upgrade()

            let backup = try #require(try scenario.ferry.backups().first)
            #expect(report.backup == backup.name)
            #expect(backup.name.hasPrefix("sensorhub-0.3.0-to-0.5.0-"))
            #expect(backup.name.hasSuffix("Z.sqlite"))
            #expect(backup.manifest.kind == .preUpgrade)
            #expect(backup.manifest.release == "0.3.0")
            #expect(backup.manifest.upgradeTo == "0.5.0")
            #expect(backup.manifest.appliedMigrations.count == 10)
            #expect(backup.manifest.rowCounts?["sensor_history"] == 2000)
            #expect(backup.manifest.verified != nil)
            #expect(backup.manifest.sha256 == Checksum.sha256(try Data(contentsOf: backup.file)))
            #expect(try TableContents(path: backup.file.path) == before)
            let attributes = try FileManager.default.attributesOfItem(atPath: backup.file.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let folderAttributes = try FileManager.default.attributesOfItem(
                atPath: scenario.backupsFolder.path)
            #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            #expect(!FileManager.default.fileExists(atPath: backup.file.path + "-wal"))
        }
    }

    @Test func aBackupIsTheLiveFileByteForByteWhileAnotherProcessHoldsAWriteUncommitted()
        async throws
    {
        try await withExample(at: "0.5.0") { scenario in
            let live = try Data(contentsOf: URL(fileURLWithPath: scenario.path))
            // Another process writes, and has not committed, while the backup copies: the copy is
            // the committed file, its checksum that of its bytes. The shell waits for a lock rather
            // than failing (`.timeout`), stops at an error (`-bail`) and says once it holds its
            // write: nothing here depends on timing.
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            writer.arguments = ["sqlite3", "-bail", scenario.path]
            let input = Pipe()
            let output = Pipe()
            writer.standardInput = input
            writer.standardOutput = output
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            defer { if writer.isRunning { writer.terminate() } }
            input.fileHandleForWriting.write(
                Data(
                    """
                    .timeout 60000
                    BEGIN IMMEDIATE;
                    INSERT INTO rooms (name) VALUES ('Attic');
                    SELECT 'held';

                    """.utf8))
            let said = output.read(until: "held")
            try #require(said.contains("held"), "the writer ended before its insert: \(said)")
            let probe = try DatabaseQueue(path: scenario.path)
            let took = try? await probe.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE; ROLLBACK")
            }
            try probe.close()
            try #require(took == nil, "the writer holds its reserved lock")

            let backup = try await scenario.ferry.backup()
            input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
            try input.fileHandleForWriting.close()
            writer.waitUntilExit()

            let copy = try Data(contentsOf: backup.file)
            #expect(copy == live, "the copy is the committed file, byte for byte")
            #expect(backup.manifest.sha256 == Checksum.sha256(copy))
            let rooms = try await DatabaseQueue(path: scenario.path).read {
                try String.fetchAll($0, sql: "SELECT name FROM rooms")
            }
            #expect(rooms.contains("Attic"), "the writer committed after the copy")
            let copied = try await DatabaseQueue(path: backup.file.path).read {
                try String.fetchAll($0, sql: "SELECT name FROM rooms")
            }
            #expect(!copied.contains("Attic"))
        }
    }

    @Test func aBackupOfAWALDatabaseHoldsWhatOnlyTheWALHoldsAndNeedsNoWAL() async throws {
        try await withExample(at: "0.5.0") { scenario in
            // An open connection keeps the WAL: its rows are not in the database file yet.
            let application = try DatabaseQueue(path: scenario.path)
            try await application.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0")
                try db.execute(sql: "INSERT INTO rooms (name) VALUES ('Attic')")
            }
            let backup = try await scenario.ferry.backup()
            try application.close()

            #expect(backup.manifest.sha256 == Checksum.sha256(try Data(contentsOf: backup.file)))
            let copied = try await DatabaseQueue(path: backup.file.path).read { db in
                (
                    try String.fetchAll(db, sql: "SELECT name FROM rooms"),
                    try String.fetchOne(db, sql: "PRAGMA journal_mode")
                )
            }
            #expect(copied.0.contains("Attic"))
            #expect(copied.1 == "delete")
            #expect(!FileManager.default.fileExists(atPath: backup.file.path + "-wal"))
        }
    }

    @Test func noBackupIsRecordedInTheHistory() async throws {
        try await withExample(at: "0.3.0") { scenario in
            let report = try await scenario.ferry.upgrade(UpgradeOptions(skipBackup: true))
            #expect(try scenario.ferry.backups().isEmpty)
            // The rows of this upgrade (0.4.0's and 0.5.0's) say so; those applied before it do not.
            #expect(report.applied.count == 4)
            let history = try await scenario.ferry.history()
            let applied = history.filter { report.applied.contains($0.id) }
            #expect(applied.map(\.id) == report.applied)
            for row in applied {
                #expect(
                    row.note?.contains("without a pre-upgrade backup (--no-backup)") == true,
                    "\(row.id)")
            }
            let earlier = history.filter { !report.applied.contains($0.id) }
            #expect(earlier.count == 10)
            #expect(earlier.allSatisfy { $0.note == nil }, "\(earlier.map(\.note))")
        }
    }

    @Test func restoreReplacesTheDataExactlyAndKeepsAPreRestoreCopy() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try await scenario.ferry.upgrade()
            let upgraded = try TableContents(path: scenario.path)
            let manual = try await scenario.ferry.backup(note: "before the cleanup")
            #expect(manual.name.contains("-0.5.0-manual-"))
            try scenario.execute(
                "DELETE FROM sensor_history WHERE id % 2 = 0; INSERT INTO rooms (name) VALUES ('Attic');"
            )
            let changed = try TableContents(path: scenario.path)

            let report = try await scenario.ferry.restore(
                try scenario.ferry.findBackup(.named(manual.name)))

            #expect(try TableContents(path: scenario.path) == upgraded)
            #expect(try integrityCheck(scenario.path) == "ok")
            let preRestore = try scenario.ferry.findBackup(
                .named(try #require(report.preRestoreBackup)))
            #expect(preRestore.manifest.kind == .preRestore)
            #expect(try TableContents(path: preRestore.file.path) == changed)

            // Back before the upgrade: the database is at 0.3.0 again, and upgrades again.
            let back = try await scenario.ferry.restore(
                try scenario.ferry.findBackup(.beforeUpgrade(to: Release(0, 5, 0))))
            #expect(back.release == "0.3.0")
            #expect(try await scenario.ferry.status().pending.count == 4)
            try await scenario.ferry.upgrade()
            #expect(try TableContents(path: scenario.path).tables["sensor_history"]?.count == 2000)
        }
    }

    @Test func theQuickCheckRecordsItsLevelCountsNoRowsAndRestoresExactly() async throws {
        try await withExample(at: "0.3.0") { scenario in
            var scenario = scenario
            scenario.check = .quick
            try await scenario.ferry.upgrade()
            let upgraded = try TableContents(path: scenario.path)
            let backups = try scenario.ferry.backups()
            #expect(backups.map(\.manifest.check) == [.quick])
            #expect(backups.first?.manifest.rowCounts == nil)
            // Its checksum, read back as the copy was written, is that of the file.
            let file = try #require(backups.first?.file)
            #expect(backups.first?.manifest.sha256 == Checksum.sha256(try Data(contentsOf: file)))
            let manual = try await scenario.ferry.backup(format: .sql)
            #expect(manual.manifest.check == .quick)
            try scenario.execute("DELETE FROM sensor_history WHERE id % 3 = 0")

            try await scenario.ferry.restore(manual)

            #expect(try TableContents(path: scenario.path) == upgraded)
            #expect(try integrityCheck(scenario.path) == "ok")
        }
    }

    @Test func theQuickCheckOfANewDumpLoadsNothingButRefusesOneThatIsNotWhole() async throws {
        try await withExample(at: "0.5.0") { scenario in
            var scenario = scenario
            scenario.check = .quick
            let dump = try await scenario.ferry.backup(format: .sql)
            // The checksum computed as the dump was written is that of the file.
            #expect(dump.manifest.sha256 == Checksum.sha256(try Data(contentsOf: dump.file)))
            let engine = SQLiteEngine(path: scenario.path)
            let check = try await engine.checkNewBackup(at: dump.file, format: .sql, level: .quick)
            #expect(check.rowCounts == nil)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: scenario.backupsFolder.path)
                    .allSatisfy { !$0.hasSuffix(".loading") }, "nothing was loaded beside it")

            let cut = scenario.folder.url.appendingPathComponent("cut.sql")
            let whole = try Data(contentsOf: dump.file)
            try whole.prefix(whole.count - 20).write(to: cut)
            let error = try await #require(throws: FerryError.self) {
                try await engine.checkNewBackup(at: cut, format: .sql, level: .quick)
            }
            #expect(error.code == .backupCorrupt)
            #expect(error.engineMessage?.contains("not whole") == true)
            // The full check of the same cut dump loads it and finds the statement it ends in.
            await #expect(throws: FerryError.self) {
                try await engine.checkNewBackup(at: cut, format: .sql, level: .full)
            }
        }
    }

    /// A dump loads into a new file in one transaction, so the full check
    /// does not compare its indexes with their tables again (SQLite made
    /// them from the rows); but a dump that names `writable_schema` can make
    /// an index's definition say what its entries do not, and then every
    /// index is compared and the damage found.
    @Test func aDumpThatEditsTheSchemaHasEveryIndexComparedWithItsTable() async throws {
        let folder = try TemporaryFolder()
        let dump = """
            CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, parent TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
                INSERT INTO t (a, parent) SELECT i % 97, printf('%.100c', 'x') || i FROM n;
            CREATE INDEX t_a ON t (a);

            """
        let engine = SQLiteEngine(path: folder.url.appendingPathComponent("app.db").path)
        try folder.write("clean.sql", dump)
        let clean = try await engine.checkNewBackup(
            at: folder.url.appendingPathComponent("clean.sql"), format: .sql, level: .full)
        #expect(clean.rowCounts?["t"] == 60000)

        try folder.write(
            "edited.sql",
            dump + """
                PRAGMA writable_schema = ON;
                UPDATE sqlite_schema SET sql = 'CREATE INDEX t_a ON t (parent)' WHERE name = 't_a';
                PRAGMA writable_schema = OFF;

                """)
        let error = try await #require(throws: FerryError.self) {
            try await engine.checkNewBackup(
                at: folder.url.appendingPathComponent("edited.sql"), format: .sql, level: .full)
        }
        #expect(error.code == .backupCorrupt, "\(error)")
        #expect(error.engineMessage?.contains("t_a") == true, "\(error)")
    }

    /// The full check of a new SQL backup compiles the indexes any rows
    /// build without building them, and builds the ones that can refuse a
    /// row: the live database's index definitions are edited from outside
    /// (the real `sqlite3` shell, `writable_schema`) under rows they do not
    /// fit, and the backup is refused with nothing kept. Its restore builds
    /// every index. (That a compiled definition still fails where it names
    /// what is not there: ``DumpLoaderTests``.)
    @Test(arguments: [
        "CREATE INDEX u_k ON u (k)", "CREATE UNIQUE INDEX u_k ON u (k)",
        "CREATE INDEX u_k ON u (json_extract(doc, '$.a'))",
    ])
    func theCheckOfANewSQLBackupBuildsTheIndexesThatCanRefuseARow(definition: String)
        async throws
    {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.execute(
                """
                CREATE TABLE u (id INTEGER PRIMARY KEY, k INTEGER, doc TEXT);
                INSERT INTO u (k, doc) VALUES (1, '{"a": 1}'), (1, 'not json'), (2, NULL);
                CREATE INDEX u_k ON u (k);
                """)
            let edit = try sqlite3Shell(
                scenario.path,
                sql: "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = "
                    + "\(SQLLiteral.quoted(definition)) WHERE name = 'u_k';")
            #expect(edit.status == 0, "\(edit.stderr)")
            guard definition == "CREATE INDEX u_k ON u (k)" else {
                let error = try await #require(throws: FerryError.self) {
                    try await scenario.ferry.backup(format: .sql)
                }
                #expect(error.changes?.contains("no backup was kept") == true, "\(error)")
                #expect(try scenario.ferry.backups().isEmpty)
                return
            }
            let before = try TableContents(path: scenario.path)
            let dump = try await scenario.ferry.backup(format: .sql)
            #expect(dump.manifest.rowCounts?["u"] == 3)
            try scenario.execute("DROP INDEX u_k")
            try await scenario.ferry.restore(dump)
            #expect(try TableContents(path: scenario.path) == before)
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_schema WHERE name = 'u_k'", in: scenario.path)
                    == "1")
            #expect(try integrityCheck(scenario.path) == "ok")
        }
    }

    @Test(arguments: BackupCheckLevel.allCases)
    func anSQLBackupRestoresIntoADatabaseThatDoesNotExistYet(check: BackupCheckLevel) async throws {
        try await withExample(at: "0.5.0") { scenario in
            var scenario = scenario
            scenario.check = check
            let original = try TableContents(path: scenario.path)
            let dump = try await scenario.ferry.backup(format: .sql)
            let elsewhere = scenario.folder.url.appendingPathComponent("elsewhere/new.db").path
            try FileManager.default.createDirectory(
                atPath: (elsewhere as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            var configuration = ExampleApplication.configuration(
                database: elsewhere, migrations: scenario.migrations)
            configuration.backupsDirectory = scenario.backupsFolder
            configuration.backupCheck = check

            let report = try await Ferry(configuration).restore(dump)

            #expect(report.preRestoreBackup == nil)
            #expect(try TableContents(path: elsewhere) == original)
            #expect(try integrityCheck(elsewhere) == "ok")
            let left = try FileManager.default.contentsOfDirectory(
                atPath: scenario.backupsFolder.path)
            #expect(
                left.sorted()
                    == [dump.file.lastPathComponent, dump.manifestFile.lastPathComponent].sorted(),
                "the loaded copy became the database; nothing else is left beside the backup")
            #expect(try await Ferry(configuration).status().databaseRelease == "0.5.0")
        }
    }

    @Test(arguments: ["flip", "truncate"], BackupCheckLevel.allCases)
    func aDamagedBackupIsRefusedBeforeTheLiveDatabaseIsTouched(
        damage: String, check: BackupCheckLevel
    ) async throws {
        try await withExample(at: "0.5.0") { scenario in
            var scenario = scenario
            scenario.check = check
            let backup = try await scenario.ferry.backup()
            let handle = try FileHandle(forUpdating: backup.file)
            if damage == "flip" {
                try handle.seek(toOffset: UInt64(backup.manifest.size / 2))
                let byte = try #require(try handle.read(upToCount: 1)?.first)
                try handle.seek(toOffset: UInt64(backup.manifest.size / 2))
                try handle.write(contentsOf: [byte ^ 0x20])
            } else {
                try handle.truncate(atOffset: UInt64(backup.manifest.size - 4096))
            }
            try handle.close()
            try scenario.execute("INSERT INTO rooms (name) VALUES ('Cellar')")
            let live = try DatabaseSnapshot(path: scenario.path)
            let backupsBefore = try scenario.ferry.backups().count

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.restore(backup)
            }

            #expect(error.code == .backupCorrupt)
            #expect(error.category == .refused)
            #expect(error.message.contains("does not match its manifest"))
            #expect(error.changes == "Nothing was changed.")
            #expect(try DatabaseSnapshot(path: scenario.path) == live)
            #expect(
                try scenario.ferry.backups().count == backupsBefore,
                "no pre-restore backup was taken")
        }
    }

    @Test func aBackupFromANewerReleaseIsRefused() async throws {
        try await withExample(at: "0.5.0") { scenario in
            let backup = try await scenario.ferry.backup()
            var configuration = ExampleApplication.configuration(
                database: scenario.path, migrations: scenario.migrations)
            configuration.release = Release(0, 4, 0)
            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).restore(backup)
            }
            #expect(error.code == .databaseIsNewer)
            #expect(error.message.contains("release 0.5.0, newer than this program (0.4.0)"))
        }
    }

    @Test func aRestoreBlockedByAWriterFailsAndChangesNothing() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.execute("PRAGMA journal_mode = WAL")
            let backup = try await scenario.ferry.backup()
            try scenario.execute("INSERT INTO rooms (name) VALUES ('Cellar')")
            let before = try TableContents(path: scenario.path)
            var configuration = ExampleApplication.configuration(
                database: scenario.path, migrations: scenario.migrations)
            configuration.engine = SQLiteEngine(path: scenario.path, busyTimeout: 0.3)
            let impatient = configuration

            // Another connection holds the write lock for the whole restore.
            let writer = try DatabaseQueue(path: scenario.path)
            let error = try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE; INSERT INTO rooms (name) VALUES ('Loft')")
                defer { try? db.execute(sql: "ROLLBACK") }
                return try #require(throws: FerryError.self) {
                    try awaitBlocking { try await Ferry(impatient).restore(backup) }
                }
            }
            try writer.close()

            #expect(error.code == .restoreFailed)
            #expect(error.message.contains("The restore failed"))
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(error.advice?.contains("holds the database") == true)
            #expect(try TableContents(path: scenario.path) == before)
            #expect(try integrityCheck(scenario.path) == "ok")
        }
    }

    @Test func retentionGoesByManifestTimeNotByName() async throws {
        try await withExample(at: "0.5.0") { scenario in
            let catalog = try scenario.ferry.backupCatalog()
            try FileSafety.createPrivateFolder(catalog.folder)
            // Three upgrades over time: 0.9.0 → 0.9.1 → 0.15.0 → 0.15.1. By name, "0.15…" sorts before "0.9…".
            let upgrades = [("0.9.0", "0.9.1"), ("0.9.1", "0.15.0"), ("0.15.0", "0.15.1")]
            for (offset, (from, to)) in upgrades.enumerated() {
                let created = Date(timeIntervalSinceNow: Double(offset - 10) * 86400)
                let name = catalog.newName(
                    app: "sensorhub", kind: .preUpgrade, release: from, upgradeTo: to, at: created)
                try Data("not a real database".utf8).write(
                    to: catalog.folder.appendingPathComponent(name + ".sqlite"))
                _ = try catalog.writeManifest(
                    BackupManifest(
                        formatVersion: 1, producer: "test", app: "sensorhub", kind: .preUpgrade,
                        format: .native, engine: "sqlite",
                        database: scenario.path, release: from, upgradeTo: to,
                        appliedMigrations: [], file: name + ".sqlite", size: 19,
                        sha256: "", rowCounts: [:], created: created, verified: created, note: nil),
                    name: name)
            }
            // keep counts the pre-upgrade backups only: manual ones are kept apart (keep_manual, unlimited here).
            var scenarioKeepingTwo = scenario
            scenarioKeepingTwo.keep = 2
            let manual = try await scenarioKeepingTwo.ferry.backup()

            let names = try scenario.ferry.backups().map(\.name)
            #expect(names.count == 3)
            #expect(names[0] == manual.name)
            #expect(names[1].contains("0.15.0-to-0.15.1"))
            #expect(names[2].contains("0.9.1-to-0.15.0"))

            // keep = 1 still keeps the pre-upgrade backup of the most recent upgrade, and every manual one.
            var scenarioKeepingOne = scenario
            scenarioKeepingOne.keep = 1
            let newest = try await scenarioKeepingOne.ferry.backup()
            let kept = try scenario.ferry.backups().map(\.name)
            #expect(kept.count == 3)
            #expect(kept[0] == newest.name)
            #expect(kept[1] == manual.name)
            #expect(kept[2].contains("0.15.0-to-0.15.1"))
        }
    }

    @Test func aDowngradeByDownScriptsKeepsRowsWrittenAfterTheUpgrade() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try await scenario.ferry.upgrade()
            try scenario.execute(
                """
                INSERT INTO sensor_history (sensor_id, taken_at, value, quality, source)
                VALUES (1, '2030-01-01T00:00:00Z', 42.5, 'ok', 'after the upgrade')
                """)

            let plan = try await scenario.ferry.downgradePlan(to: Release(0, 3, 0))
            guard case .downScripts(let migrations) = plan.method else {
                Issue.record("expected down scripts, got \(plan.method)")
                return
            }
            #expect(migrations.map(\.id).first == "0.5.0/003_sync_room_from_location")
            let report = try await scenario.ferry.downgrade(plan)

            #expect(report.release == Release(0, 3, 0))
            #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.3.0")
            #expect(
                try scalar(
                    "SELECT count(*) FROM sensor_history WHERE source = 'after the upgrade'",
                    in: scenario.path) == "1")
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'rooms'", in: scenario.path)
                    == "0")
            #expect(try await scenario.ferry.status().pending.count == 4)
            #expect(try scenario.ferry.backups().contains { $0.manifest.kind == .preDowngrade })
            try await scenario.ferry.upgrade()
            #expect(try scalar("SELECT count(*) FROM sensor_history", in: scenario.path) == "2001")
        }
    }

    @Test func aDowngradeAfterAHookRanStillUsesTheDownScripts() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try FileManager.default.createDirectory(
                at: scenario.migrations.appendingPathComponent("hooks"),
                withIntermediateDirectories: true)
            try Data(
                "-- ferry:from <0.4.0\n-- ferry:to >=0.5.0\nINSERT INTO rooms (name) VALUES ('Made by a hook');\n"
                    .utf8
            )
            .write(to: scenario.migrations.appendingPathComponent("hooks/001_hall.sql"))
            try await scenario.ferry.upgrade()
            #expect(
                try scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'hook'", in: scenario.path)
                    == "1")

            let plan = try await scenario.ferry.downgradePlan(to: Release(0, 3, 0))
            guard case .downScripts = plan.method else {
                Issue.record("expected down scripts, got \(plan.method)")
                return
            }
            try await scenario.ferry.downgrade(plan)
            #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.3.0")
            #expect(
                try scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'hook'", in: scenario.path)
                    == "0")
            try await scenario.ferry.validate()
        }
    }

    @Test func aDowngradeWithoutDownScriptsWarnsAndRestoresThePreUpgradeBackup() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try await scenario.ferry.upgrade()
            try scenario.execute("INSERT INTO rooms (name) VALUES ('Written after the upgrade')")
            try FileManager.default.removeItem(
                at: scenario.migrations.appendingPathComponent(
                    "0.4.0/001_rebuild_sensors_with_unit_check.down.sql"))

            let plan = try await scenario.ferry.downgradePlan(to: Release(0, 3, 0))
            guard case .backup(let backup) = plan.method else {
                Issue.record("expected the backup, got \(plan.method)")
                return
            }
            #expect(backup.manifest.release == "0.3.0")
            #expect(
                plan.summary.contains(
                    "0.4.0/001_rebuild_sensors_with_unit_check has no down script"))
            #expect(plan.summary.contains("will be LOST"))
            let report = try await scenario.ferry.downgrade(plan)

            #expect(report.restored == backup.name)
            #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.3.0")
            #expect(
                try scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'rooms'", in: scenario.path)
                    == "0")
            #expect(try TableContents(path: scenario.path) == TableContents(path: backup.file.path))
        }
    }

    @Test func aDowngradeWithNeitherDownScriptsNorABackupIsRefused() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try await scenario.ferry.upgrade(UpgradeOptions(skipBackup: true))
            try FileManager.default.removeItem(
                at: scenario.migrations.appendingPathComponent("0.5.0/001_create_rooms.down.sql"))
            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.downgradePlan(to: Release(0, 3, 0))
            }
            #expect(error.code == .backupNotFound)
            #expect(error.category == .refused)
        }
    }
}

/// Runs async work to completion from synchronous code (a GRDB access closure in a test).
func awaitBlocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, any Error>!
    Task.detached {
        do { result = .success(try await work()) } catch { result = .failure(error) }
        semaphore.signal()
    }
    semaphore.wait()
    return try result.get()
}

extension ExampleScenario {
    /// Runs SQL on the SQLite file outside any transaction, as another program would.
    func execute(_ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try queue.close()
    }
}
