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
