import Ferry
import FerryTestSupport
import Foundation
import Testing

/// An applied migration edited after the fact, met by the real `ferry`
/// binary with nothing pending, on each engine.
struct EditedMigrationScenarios {
    let engine: TestEngine

    /// `upgrade` compares the checksums even with nothing to apply and
    /// refuses (exit 3, naming the file); the library's start-up keeps its
    /// fast path; `validate --allow-changed` records the file as it is now
    /// (an `accepted` event in `ferry history`), after which `upgrade` and
    /// `validate` pass.
    func anEditedMigrationIsRefusedWithNothingPendingAndAcceptedByValidate() async throws {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try await ExampleApplication.makeDatabase(
                at: ExampleApplication.newestRelease, in: database, migrations: migrations)
            let file = migrations.appendingPathComponent("0.1.0/001_create_devices.sql")
            try Data(
                (try String(contentsOf: file, encoding: .utf8) + "\n-- edited after release\n").utf8
            )
            .write(to: file)
            let before = try await database.snapshot()
            let common =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments

            let upgrade = try await FerryProcess.run(["upgrade"] + common)

            #expect(upgrade.status == 3, "\(upgrade)")
            #expect(upgrade.stderr.contains("0.1.0/001_create_devices"), "\(upgrade)")
            #expect(upgrade.stderr.contains("--allow-changed"), "\(upgrade)")
            #expect(upgrade.lines.last == "[END UPGRADE ERROR]", "\(upgrade)")
            #expect(try await database.snapshot() == before)

            // The library does not read the scripts when nothing is pending: start-up stays fast.
            let startUp = try await Ferry(
                ExampleApplication.configuration(database, migrations: migrations)
            )
            .upgrade(database.upgradeOptions())
            #expect(startUp.wasUpToDate)
            // Asked to, it reads them and refuses as the tool does.
            var options = database.upgradeOptions()
            options.verifiesChecksums = true
            let error = try await #require(throws: FerryError.self) {
                try await Ferry(ExampleApplication.configuration(database, migrations: migrations))
                    .upgrade(options)
            }
            #expect(error.code == .migrationChanged)
            #expect(try await database.snapshot() == before)

            let refused = try await FerryProcess.run(["validate"] + common)
            #expect(refused.status == 3, "\(refused)")
            #expect(refused.stderr.contains("0.1.0/001_create_devices"), "\(refused)")

            let accepted = try await FerryProcess.run(["validate", "--allow-changed"] + common)
            #expect(accepted.status == 0, "\(accepted)")
            #expect(accepted.stdout.contains("Accepted as they are now"), "\(accepted)")
            #expect(accepted.stdout.contains("0.1.0/001_create_devices"), "\(accepted)")
            let note = try await database.scalar(
                "SELECT note FROM ferry_migrations WHERE id = '0.1.0/001_create_devices'")
            #expect(
                note?.contains("accepted with --allow-changed") == true,
                "\(String(describing: note))")
            // Every row is still there; the one new table is the event's.
            #expect(
                try await database.snapshot().counts.filter { $0.key != "ferry_events" }
                    == before.counts)

            // The acceptance is an event of the history, shown with the migrations.
            let history = try await FerryProcess.run(["history", "--json"] + common)
            #expect(history.status == 0, "\(history)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any],
                "\(history)")
            let events = try #require(result["events"] as? [[String: Any]], "\(history)")
            #expect(events.count == 1, "\(history)")
            #expect(events.first?["kind"] as? String == "accepted", "\(history)")
            #expect(
                events.first?["toRelease"] as? String == ExampleApplication.newestRelease,
                "\(history)")
            #expect(
                (events.first?["note"] as? String)?.contains("0.1.0/001_create_devices") == true,
                "\(history)")
            let humanHistory = try await FerryProcess.run(["history"] + common)
            #expect(humanHistory.lines.last?.hasPrefix("[accepted]") == true, "\(humanHistory)")

            let validate = try await FerryProcess.run(["validate"] + common)
            #expect(validate.status == 0, "\(validate)")
            let again = try await FerryProcess.run(["upgrade"] + common)
            #expect(again.status == 0, "\(again)")
            #expect(again.lines.last == "[END UPGRADE SUCCESS]", "\(again)")
        }
    }
}

@Suite("Edited migrations with the tool on SQLite") struct SQLiteEditedMigrationCommandTests {
    @Test func anEditedMigrationIsRefusedWithNothingPendingAndAcceptedByValidate() async throws {
        try await EditedMigrationScenarios(engine: .sqlite)
            .anEditedMigrationIsRefusedWithNothingPendingAndAcceptedByValidate()
    }
}

@Suite(
    "Edited migrations with the tool on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresEditedMigrationCommandTests {
    @Test func anEditedMigrationIsRefusedWithNothingPendingAndAcceptedByValidate() async throws {
        _ = try PostgresTestServer.requireURL()
        try await EditedMigrationScenarios(engine: .postgres)
            .anEditedMigrationIsRefusedWithNothingPendingAndAcceptedByValidate()
    }
}
