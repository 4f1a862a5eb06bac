import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Downgrades in `ferry history`, with the real binary, on each engine.
struct HistoryEventsScenarios {
    let engine: TestEngine

    /// A downgrade by down scripts removes the history rows of what it
    /// reverted and leaves an event in their place: from, to, and the
    /// pre-downgrade backup. Restoring that backup leaves a restore event in
    /// the restored database.
    func aDowngradeAndARestoreAreEventsOfTheHistory() async throws {
        try await withTestDatabase(engine) { database in
            try await ExampleApplication.makeDatabase(
                at: ExampleApplication.newestRelease, in: database)
            let common =
                [
                    "--database", database.location, "--migrations",
                    ExampleApplication.migrations(for: engine).path,
                ]
                + database.backupArguments

            let downgrade = try await FerryProcess.run(
                ["downgrade", "--to", "0.4.0", "--yes"] + common)
            #expect(downgrade.status == 0, "\(downgrade)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.4.0")

            let history = try await FerryProcess.run(["history", "--json"] + common)
            #expect(history.status == 0, "\(history)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any],
                "\(history)")
            let applied = try #require(result["migrations"] as? [[String: Any]], "\(history)")
            #expect(
                !applied.contains { ($0["id"] as? String)?.hasPrefix("0.5.0/") == true },
                "\(history)")
            let events = try #require(result["events"] as? [[String: Any]], "\(history)")
            #expect(events.count == 1, "\(history)")
            let event = try #require(events.first)
            #expect(event["kind"] as? String == "downgrade", "\(history)")
            #expect(event["fromRelease"] as? String == "0.5.0", "\(history)")
            #expect(event["toRelease"] as? String == "0.4.0", "\(history)")
            #expect((event["backup"] as? String)?.isEmpty == false, "\(history)")
            #expect(
                (event["note"] as? String)?.contains("0.5.0/001_create_rooms") == true, "\(history)"
            )

            let human = try await FerryProcess.run(["history"] + common)
            #expect(human.lines.last?.hasPrefix("[downgrade]") == true, "\(human)")
            #expect(human.lines.last?.contains("0.5.0 -> 0.4.0") == true, "\(human)")

            // Restoring the pre-downgrade backup brings back its older history, and the restore's event with it.
            let preDowngrade = try #require(event["backup"] as? String)
            let restore = try await FerryProcess.run(["restore", preDowngrade, "--yes"] + common)
            #expect(restore.status == 0, "\(restore)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
            let afterRestore = try await FerryProcess.run(["history", "--json"] + common)
            let restored = try #require(
                try JSONSerialization.jsonObject(with: Data(afterRestore.stdout.utf8))
                    as? [String: Any], "\(afterRestore)")
            let restoredEvents = try #require(
                restored["events"] as? [[String: Any]], "\(afterRestore)")
            #expect(restoredEvents.map { $0["kind"] as? String } == ["restore"], "\(afterRestore)")
            #expect(restoredEvents.first?["fromRelease"] as? String == "0.4.0", "\(afterRestore)")
            #expect(restoredEvents.first?["toRelease"] as? String == "0.5.0", "\(afterRestore)")
            #expect(restoredEvents.first?["backup"] as? String == preDowngrade, "\(afterRestore)")
        }
    }
}

@Suite("History events with the tool on SQLite") struct SQLiteHistoryEventsCommandTests {
    @Test func aDowngradeAndARestoreAreEventsOfTheHistory() async throws {
        try await HistoryEventsScenarios(engine: .sqlite)
            .aDowngradeAndARestoreAreEventsOfTheHistory()
    }
}

@Suite(
    "History events with the tool on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresHistoryEventsCommandTests {
    @Test func aDowngradeAndARestoreAreEventsOfTheHistory() async throws {
        _ = try PostgresTestServer.requireURL()
        try await HistoryEventsScenarios(engine: .postgres)
            .aDowngradeAndARestoreAreEventsOfTheHistory()
    }
}
