import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Backup retention through the built binary, after upgrades made to fail by
/// a broken migration: what the user kept on purpose stays.
@Suite struct RetentionCommandTests {
    let folder: TemporaryFolder
    let path: String
    let migrations: URL
    var catalog: URL { folder.url.appendingPathComponent("backups") }
    var arguments: [String] { ["--database", path, "--migrations", migrations.path] }

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("sensorhub.db").path
        migrations = try ExampleApplication.copyMigrations(to: folder.url)
    }

    /// A database at a release and a next release, after the example's, whose migration fails.
    func makeDatabaseWithABrokenNextRelease(at release: String = ExampleApplication.newestRelease)
        async throws
    {
        try await ExampleApplication.makeDatabase(at: release, path: path, migrations: migrations)
        let next = migrations.appendingPathComponent("0.6.0")
        try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
        try "INSERT INTO no_such_table VALUES (1);\n"
            .write(
                to: next.appendingPathComponent("001_broken.sql"), atomically: true, encoding: .utf8
            )
    }

    /// A write by the application between attempts, so that a retry cannot reuse the last attempt's backup.
    func write(_ value: Int) async throws {
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql:
                    "CREATE TABLE IF NOT EXISTS written_between (x); INSERT INTO written_between VALUES (?)",
                arguments: [value])
        }
        try queue.close()
    }

    /// The manifests in the catalog, decoded as JSON objects.
    func manifests() throws -> [[String: Any]] {
        try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter {
            $0.hasSuffix(".json")
        }.map {
            try #require(
                JSONSerialization.jsonObject(
                    with: Data(contentsOf: catalog.appendingPathComponent($0)))
                    as? [String: Any])
        }
    }

    @Test func failedUpgradesNeverPushOutAManualBackupWithANote() async throws {
        try await makeDatabaseWithABrokenNextRelease()
        let keepTwo = ["FERRY_BACKUPS_KEEP": "2"]
        let kept = try await FerryProcess.run(
            ["backup", "--note", "before the risky change"] + arguments, environment: keepTwo)
        #expect(kept.status == 0, "\(kept)")

        for attempt in 1...5 {
            try await write(attempt)
            let before = try DatabaseSnapshot(path: path)
            let upgrade = try await FerryProcess.run(["upgrade"] + arguments, environment: keepTwo)
            #expect(upgrade.status == 1, "attempt \(attempt): \(upgrade)")
            #expect(upgrade.stderr.contains("no_such_table"), "attempt \(attempt): \(upgrade)")
            #expect(
                try DatabaseSnapshot(path: path) == before, "the failed upgrade changed nothing")
        }
        let after = try await FerryProcess.run(["backup"] + arguments, environment: keepTwo)
        #expect(after.status == 0, "\(after)")

        let kinds = try manifests().map { ($0["kind"] as? String ?? "?", $0["note"] as? String) }
        #expect(kinds.filter { $0.0 == "manual" }.count == 2, "\(kinds)")
        #expect(
            kinds.contains { $0.0 == "manual" && $0.1 == "before the risky change" }, "\(kinds)")
        #expect(
            kinds.filter { $0.0 != "manual" }.count == 2,
            "keep counts only the other kinds: \(kinds)")
    }

    @Test func aFailedAttemptsBackupIsMarkedAndRetentionAfterTheFailureDeletesSuchBackupsFirst()
        async throws
    {
        try await makeDatabaseWithABrokenNextRelease(at: "0.4.0")
        // The pre-upgrade backup of an upgrade that did not fail.
        let upgraded = try await FerryProcess.run(["upgrade", "--to", "0.5.0"] + arguments)
        #expect(upgraded.status == 0, "\(upgraded)")

        let keepTwo = ["FERRY_BACKUPS_KEEP": "2"]
        var failedNames: [String] = []
        for attempt in 1...3 {
            try await write(attempt)
            let before = try DatabaseSnapshot(path: path)
            let upgrade = try await FerryProcess.run(
                ["upgrade", "--json"] + arguments, environment: keepTwo)
            #expect(upgrade.status == 1, "attempt \(attempt): \(upgrade)")
            let started = try upgrade.jsonLines().compactMap {
                $0["event"] as? String == "backupCompleted" ? $0 : nil
            }
            failedNames.append(try #require(started.first?["backup"] as? String, "\(upgrade)"))
            let all = try manifests()
            #expect(
                all.count == 2,
                "attempt \(attempt): retention ran after the failure: \(all.map { $0["file"] ?? "?" })"
            )
            let marked = try #require(all.first { $0["file"] as? String == failedNames.last })
            let record = marked["attempt"] as? [String: Any]
            #expect(record?["outcome"] as? String == "failed", "\(marked)")
            #expect(record?["code"] as? String == "migrationFailed", "\(marked)")
            let kept = all.first { $0["upgradeTo"] as? String == "0.5.0" }
            #expect(
                kept != nil && kept?["attempt"] is NSNull,
                "the backup of the upgrade that succeeded stays: \(all)")
            #expect(
                try DatabaseSnapshot(path: path) == before, "the failed upgrade changed nothing")
        }
        let listing = try await FerryProcess.run(["backups"] + arguments)
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("upgrade failed (migrationFailed) at "), "\(listing)")
    }

    @Test func aRetriedUpgradeReusesTheFailedAttemptsBackupOnlyWhileTheDatabaseIsUnchanged()
        async throws
    {
        try await makeDatabaseWithABrokenNextRelease()
        let first = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(first.status == 1, "\(first)")
        let firstBackup = try #require(try manifests().first?["file"] as? String)

        let retry = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(retry.status == 1, "\(retry)")
        #expect(
            (retry.stdout + retry.stderr).contains(
                "Reusing backup \(firstBackup) from the failed attempt at "), "\(retry)")
        #expect((retry.stdout + retry.stderr).contains("the database has not changed since"))
        #expect(try manifests().count == 1, "no second copy")

        // The application writes: the next attempt must copy again, and its copy holds the write.
        try await write(7)
        let afterWrite = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(afterWrite.status == 1, "\(afterWrite)")
        #expect(
            !(afterWrite.stdout + afterWrite.stderr).contains("Reusing backup"), "\(afterWrite)")
        let newest = try #require(
            try manifests().first { $0["file"] as? String != firstBackup }?["file"] as? String)
        let copy = try DatabaseQueue(path: catalog.appendingPathComponent(newest).path)
        #expect(
            try await copy.read { db in try Int.fetchOne(db, sql: "SELECT x FROM written_between") }
                == 7)
        try copy.close()

        // Fixed, the retry reuses the last attempt's backup, and the upgrade that succeeds clears its mark.
        try "CREATE TABLE fixed (x);\n".write(
            to: migrations.appendingPathComponent("0.6.0/001_broken.sql"), atomically: true,
            encoding: .utf8)
        let fixed = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(fixed.status == 0, "\(fixed)")
        #expect(
            (fixed.stdout + fixed.stderr).contains(
                "Reusing backup \(newest) from the failed attempt at "), "\(fixed)")
        let marked = try manifests().first { $0["file"] as? String == newest }
        #expect(marked != nil && marked?["attempt"] is NSNull, "\(String(describing: marked))")
        #expect(
            try await DatabaseQueue(path: path).read { db in
                try Int.fetchOne(db, sql: "SELECT x FROM written_between")
            } == 7)
    }

    @Test func preflightCountsNoRoomForABackupTheRetryReuses() async throws {
        let disk = try SmallDisk(megabytes: 40)
        defer { disk.unmount() }
        let live = disk.folder.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(
            at: ExampleApplication.newestRelease, path: live, migrations: migrations)
        let next = migrations.appendingPathComponent("0.6.0")
        try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
        try "INSERT INTO no_such_table VALUES (1);\n"
            .write(
                to: next.appendingPathComponent("001_broken.sql"), atomically: true, encoding: .utf8
            )
        let onDisk = ["--database", live, "--migrations", migrations.path]
        let first = try await FerryProcess.run(["upgrade"] + onDisk)
        #expect(first.status == 1, "\(first)")

        // The disk fills: 4 MB stay free, less than a new backup's 16 MB margin.
        let filler = disk.folder.appendingPathComponent("filler")
        try Data(count: Int(disk.freeBytes - 4_000_000)).write(to: filler)
        let before = try DatabaseSnapshot(path: live)
        let retry = try await FerryProcess.run(["upgrade"] + onDisk)
        #expect(retry.status == 1, "the migration fails, not preflight: \(retry)")
        #expect((retry.stdout + retry.stderr).contains("Reusing backup "), "\(retry)")
        #expect(try DatabaseSnapshot(path: live) == before)

        // Once the application has written, a new backup is needed again, and preflight counts it.
        let queue = try DatabaseQueue(path: live)
        try await queue.write { db in
            try db.execute(
                sql: "CREATE TABLE written_between (x); INSERT INTO written_between VALUES (1)")
        }
        try queue.close()
        let changed = try DatabaseSnapshot(path: live)
        let refused = try await FerryProcess.run(["upgrade"] + onDisk)
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("free space"), "\(refused)")
        #expect(try DatabaseSnapshot(path: live) == changed)
    }

    @Test(.enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
    func onPostgreSQLAFailedAttemptIsMarkedAndARetryAlwaysTakesANewBackup() async throws {
        try await withTestDatabase(.postgres) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: .postgres, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: "0.5.0", in: database, migrations: migrations)
            let next = migrations.appendingPathComponent("0.6.0")
            try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
            try "INSERT INTO no_such_table VALUES (1);\n"
                .write(
                    to: next.appendingPathComponent("001_broken.sql"), atomically: true,
                    encoding: .utf8)
            let arguments =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let before = try await database.snapshot()
            for attempt in 1...2 {
                let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
                #expect(upgrade.status == 1, "attempt \(attempt): \(upgrade)")
                // No sound cheap proof that a PostgreSQL database is unchanged: never reused there.
                #expect(!(upgrade.stdout + upgrade.stderr).contains("Reusing backup"), "\(upgrade)")
            }
            let folder = database.backupsFolder
            let marked = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
                $0.hasSuffix(".json")
            }
            .map {
                try #require(
                    JSONSerialization.jsonObject(
                        with: Data(contentsOf: folder.appendingPathComponent($0)))
                        as? [String: Any])
            }
            .map { ($0["attempt"] as? [String: Any])?["code"] as? String }
            // Beside any backup made while the database was prepared: one per attempt, each marked.
            #expect(marked.filter { $0 == "migrationFailed" }.count == 2, "\(marked)")
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func keepManualLimitsManualBackupsAndIsRangeChecked() async throws {
        try await ExampleApplication.makeDatabase(
            at: ExampleApplication.newestRelease, path: path, migrations: migrations)
        let keepOneManual = ["FERRY_BACKUPS_KEEP_MANUAL": "1", "FERRY_BACKUPS_KEEP": "10"]
        for run in 1...3 {
            let backup = try await FerryProcess.run(
                ["backup", "--json"] + arguments, environment: keepOneManual)
            #expect(backup.status == 0, "\(backup)")
            // The setting that deleted them is named, with its number.
            let deleted = try backup.jsonLines().first {
                $0["event"] as? String == "backupsDeleted"
            }
            #expect((deleted?["keepManual"] as? Int) == (run == 1 ? nil : 1), "\(backup)")
        }
        #expect(try manifests().count == 1)
        let text = try await FerryProcess.run(["backup"] + arguments, environment: keepOneManual)
        #expect(
            text.stdout.contains("Retention (keep 10, keep_manual 1) deleted 1 old backup"),
            "\(text)")

        let zero = try await FerryProcess.run(
            ["backup"] + arguments, environment: ["FERRY_BACKUPS_KEEP_MANUAL": "0"])
        #expect(zero.status == 2, "\(zero)")
        #expect(zero.stderr.contains("FERRY_BACKUPS_KEEP_MANUAL=0 is out of range"), "\(zero)")
        #expect(try manifests().count == 1, "the refused command made no backup")
    }
}
