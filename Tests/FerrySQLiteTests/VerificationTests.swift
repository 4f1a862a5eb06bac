import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Verification, the last stage before the commit: failures made to happen,
/// then the database re-read to prove the upgrade was rolled back.
@Suite struct VerificationTests {
    typealias Scenario = HookAndPolicyTests.Scenario

    @Test func aVerifyScriptThatReturnsAFalseRowRollsBackNamingTheRow() async throws {
        let scenario = try await Scenario(at: "0.3.0")
        try scenario.write("0.5.0/003_sync_room_from_location.verify.sql", """
            SELECT count(*) = 12 AS ok, 'twelve devices' AS what FROM devices
            UNION ALL
            SELECT 0, 'a check that cannot hold, with ' || count(*) || ' rooms' FROM rooms;
            """)
        let before = try DatabaseSnapshot(path: scenario.path)

        let error = try await #require(throws: FerryError.self) { try await Ferry(scenario.configuration).upgrade() }

        #expect(error.code == .verificationFailed)
        #expect(error.exitCode == 1)
        #expect(error.message.contains(
            "0.5.0/003_sync_room_from_location.verify.sql: row 2 is false: ok = 0, what = a check that cannot hold, with 8 rooms"))
        #expect(error.changes?.contains("Nothing was changed") == true)
        #expect(try DatabaseSnapshot(path: scenario.path) == before)
    }

    @Test(arguments: ["SELECT NULL AS ok;", "SELECT 'no' AS ok;", "SELECT ok FROM no_such_table;"])
    func aVerifyScriptThatIsNullFalseOrRaisesFails(script: String) async throws {
        let scenario = try await Scenario(at: "0.4.0")
        try scenario.write("0.5.0/001_create_rooms.verify.sql", script)
        let before = try DatabaseSnapshot(path: scenario.path)
        let error = try await #require(throws: FerryError.self) { try await Ferry(scenario.configuration).upgrade() }
        #expect(error.code == .verificationFailed)
        #expect(error.message.contains("0.5.0/001_create_rooms.verify.sql: "))
        #expect(try DatabaseSnapshot(path: scenario.path) == before)
    }

    @Test func extraColumnsAndTrueRowsPass() async throws {
        let scenario = try await Scenario(at: "0.4.0")
        try scenario.write("0.5.0/001_create_rooms.verify.sql", "SELECT 1, 'a', 2.5, NULL UNION ALL SELECT 'true', 'b', 0, 0;")
        try await Ferry(scenario.configuration).upgrade()
        #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.5.0")
    }

    @Test func aFailedInvariantRollsBack() async throws {
        let scenario = try await Scenario(at: "0.4.0")
        var configuration = scenario.configuration
        configuration.invariants = [
            Invariant(name: "every device is in a room", check: .query(
                sql: "SELECT count(*) FROM devices WHERE room_id IS NULL", expected: "0"), releases: try ReleaseRange(parsing: ">=0.5.0")),
            Invariant(name: "only for 0.4", check: .query(sql: "SELECT 0", expected: nil), releases: try ReleaseRange(parsing: "0.4.x")),
        ]
        let before = try DatabaseSnapshot(path: scenario.path)

        let error = try await #require(throws: FerryError.self) { try await Ferry(configuration).upgrade() }

        #expect(error.code == .verificationFailed)
        #expect(error.message.contains("every device is in a room: expected 0, found 2"))
        #expect(!error.message.contains("only for 0.4"))
        #expect(try DatabaseSnapshot(path: scenario.path) == before)
    }

    @Test func rowCountsArePreservedAcrossARename() async throws {
        let scenario = try await Scenario(at: "0.2.0")
        var configuration = scenario.configuration
        configuration.invariants = [
            try Invariant.preserving("readings -> sensor_history"), try Invariant.preserving("devices"),
        ]
        let reports = EventLog()
        try await Ferry(configuration).upgrade(onEvent: reports.append)
        let preserved = reports.verificationChecks.filter { $0.name.hasPrefix("rows of") }
        #expect(preserved.map(\.status) == [.passed, .passed], "\(preserved)")

        // The same rename, losing rows on the way.
        let lossy = try await Scenario(at: "0.2.0")
        try lossy.write("0.3.0/002_add_history_quality_and_source.sql", """
            ALTER TABLE sensor_history ADD COLUMN quality TEXT NOT NULL DEFAULT 'ok'
                CHECK (quality IN ('ok', 'suspect', 'missing'));
            ALTER TABLE sensor_history ADD COLUMN source TEXT;
            DELETE FROM sensor_history WHERE value IS NULL;
            """)
        var lossyConfiguration = lossy.configuration
        lossyConfiguration.invariants = configuration.invariants
        let before = try DatabaseSnapshot(path: lossy.path)
        let error = try await #require(throws: FerryError.self) { try await Ferry(lossyConfiguration).upgrade() }
        #expect(error.message.contains(
            "rows of readings preserved in sensor_history: readings had 2000 rows before the upgrade, sensor_history has 1980 after"))
        #expect(try DatabaseSnapshot(path: lossy.path) == before)
    }

    @Test func verifyChecksTheDatabaseAsItIsAndChangesNothing() async throws {
        let scenario = try await Scenario(at: "0.5.0")
        var configuration = scenario.configuration
        configuration.invariants = [try Invariant.preserving("devices")]
        let before = try DatabaseSnapshot(path: scenario.path)
        let report = try await Ferry(configuration).verify()
        #expect(report.failure == nil)
        #expect(report.checks.map(\.name) == [
            "integrity", "foreign keys", "0.3.0/003_recreate_history_view_and_trigger.verify.sql",
            "0.4.0/001_rebuild_sensors_with_unit_check.verify.sql", "0.5.0/002_add_device_room.verify.sql",
            "rows of devices preserved", "schema drift",
        ])
        #expect(report.checks.dropLast().last?.status == .skipped)
        #expect(report.checks.last?.status == .passed, "an untouched database: no drift")

        let queue = try DatabaseQueue(path: scenario.path)
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "UPDATE devices SET room_id = 99 WHERE id = 1")
        }
        try queue.close()
        let broken = try await Ferry(configuration).verify()
        #expect(broken.failures.map(\.name) == ["foreign keys", "0.5.0/002_add_device_room.verify.sql"])
        #expect(broken.failure?.exitCode == 1)
        #expect(try DatabaseSnapshot(path: scenario.path) != before)  // only the test's own change
    }
}

/// The events of an upgrade, collected from any thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [UpgradeEvent] = []

    @Sendable func append(_ event: UpgradeEvent) {
        lock.withLock { events.append(event) }
    }

    var all: [UpgradeEvent] { lock.withLock { events } }

    /// The checks of the last verification.
    var verificationChecks: [VerificationCheck] {
        all.compactMap { if case .verificationCompleted(let report) = $0 { report.checks } else { nil } }.last ?? []
    }
}
