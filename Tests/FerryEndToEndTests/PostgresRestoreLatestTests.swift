import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `restore --latest` on PostgreSQL after a restore (issue 20, item 10): it
/// picks the newest pre-upgrade or manual backup, never the copy of the
/// current data that the restore before it kept, and names what it picked.
@Suite(
    "restore --latest on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresRestoreLatestTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// The example at 0.3.0, a manual backup of it, then a table written
    /// after it; returns `ferry`'s arguments and the backup's file name.
    func manualBackupThenAWrite(_ database: TestDatabase) async throws -> (
        arguments: [String], manual: String
    ) {
        try await ExampleApplication.makeDatabase(at: "0.3.0", in: database)
        let arguments =
            [
                "--database", database.location,
                "--migrations", ExampleApplication.migrations(for: .postgres).path,
            ] + database.backupArguments
        let made = try await FerryProcess.run(["backup", "--json"] + arguments)
        #expect(made.status == 0, "\(made)")
        let manual = try #require(try made.jsonLines().last?["backup"] as? String)
        try await database.load(
            "CREATE TABLE written_after (x integer); INSERT INTO written_after VALUES (1)")
        return (arguments, manual)
    }

    @Test func restoreLatestAfterARestorePicksTheBackupAPersonMeantAndNamesIt() async throws {
        try await withTestDatabase(.postgres) { database in
            let (arguments, manual) = try await manualBackupThenAWrite(database)
            let written = "SELECT count(*) FROM pg_tables WHERE tablename = 'written_after'"

            for round in 1...2 {
                let restore = try await FerryProcess.run(
                    ["restore", "--latest", "--yes"] + arguments)
                #expect(restore.status == 0, "round \(round): \(restore)")
                #expect(
                    restore.stdout.contains(
                        "Restoring \(manual), the newest pre-upgrade or manual backup (manual"))
                #expect(restore.stdout.contains("Restored \(manual) (the manual backup made "))
                #expect(try await database.scalar(written) == "0")
            }
            // `restore NAME` takes the name as 'ferry backups' shows it, without the `.dump` too.
            let listing = try #require(
                try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
            let preRestore = try #require(
                (listing["backups"] as? [[String: Any]])?
                    .last { $0["kind"] as? String == "pre-restore" }?["file"] as? String)
            #expect(preRestore.hasSuffix(".dump"))
            let undo = try await FerryProcess.run(
                ["restore", String(preRestore.dropLast(".dump".count)), "--yes"] + arguments)
            #expect(undo.status == 0, "\(undo)")
            #expect(try await database.scalar("SELECT count(*) FROM written_after") == "1")
        }
    }

    /// The pre-restore backup is checked (loaded into a scratch database)
    /// while the backup is loaded into the live database's transaction, and
    /// the restore commits only once that check passed. The dump, cut in
    /// half from outside once it is written and before its check reads it,
    /// fails the check: the restore stops with the live data as it was and
    /// keeps no pre-restore backup.
    @Test func aPreRestoreBackupCutBeforeItsCheckStopsTheRestoreWithNothingChanged() async throws {
        try await withTestDatabase(.postgres) { database in
            let (arguments, _) = try await manualBackupThenAWrite(database)
            let catalog = database.backupsFolder
            let running = try FerryProcess.start(
                ["restore", "--latest", "--yes"] + arguments,
                environment: ["FERRY_TEST_STOP_AT": "backup.written"])
            #expect(
                await running.waitUntilStopped(), "stopped once the pre-restore dump was written")
            let written = try #require(
                FileManager.default.enumerator(atPath: catalog.path)?.allObjects
                    .compactMap { $0 as? String }
                    .first { $0.contains("pre-restore") && $0.hasSuffix(".dump") })
            let dump = try FileHandle(forUpdating: catalog.appendingPathComponent(written))
            let size = try dump.seekToEnd()
            try dump.truncate(atOffset: size / 2)
            try dump.close()
            running.kill(SIGCONT)
            let output = await running.finish()

            #expect(output.status != 0, "\(output)")
            #expect(output.stderr.contains("The pre-restore backup failed"), "\(output)")
            #expect(output.stderr.contains("Nothing was changed"), "\(output)")
            #expect(output.stderr.contains("Check the live database"), "\(output)")
            #expect(!output.stderr.contains("Use another backup"), "not the restored one's fault")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'written_after'") == "1",
                "the live data as it was")
            let listing = try #require(
                try await FerryProcess.run(["backups", "--json"] + arguments).jsonLines().only)
            let kinds = (listing["backups"] as? [[String: Any]])?.compactMap {
                $0["kind"] as? String
            }
            #expect(kinds?.contains("manual") == true, "\(listing)")
            #expect(kinds?.contains("pre-restore") == false, "\(listing)")
            let left = try FileManager.default.contentsOfDirectory(atPath: catalog.path)
            #expect(
                left.allSatisfy { $0.hasSuffix(".dump") || $0.hasSuffix(".json") },
                "no work folder is left: \(left)")
        }
    }

    @Test func restoreLatestAfterAKilledRestoreDoesNotPickTheCopyTheKilledRunKept() async throws {
        try await withTestDatabase(.postgres) { database in
            let (arguments, manual) = try await manualBackupThenAWrite(database)

            // Killed as kill -9 would, once its pre-restore copy of the current data is in the catalog.
            let catalog = database.backupsFolder
            func preRestoreManifests() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: catalog.path)) ?? [])
                    .filter { $0.contains("pre-restore") && $0.hasSuffix(".json") }
            }
            let output = try await FerryProcess.run(
                ["restore", "--latest", "--yes"] + arguments,
                environment: [CrashPoint.variable: "restore.pre-restore-kept"])
            #expect(output.status == SIGKILL, "\(output)")
            try #require(
                preRestoreManifests().count == 1,
                "the killed restore had kept its pre-restore copy: \(output)")

            let latest = try await FerryProcess.run(["restore", "--latest", "--yes"] + arguments)
            #expect(latest.status == 0, "\(latest)")
            #expect(
                latest.stdout.contains(
                    "Restoring \(manual), the newest pre-upgrade or manual backup"), "\(latest)")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'written_after'") == "0")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.3.0")
        }
    }
}
