import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Verification on SQLite files: what only SQLite has (its integrity and
/// foreign-key checks, its loose types). Verify scripts and invariants that
/// fail run on every engine in the behaviour suite (`BehaviourTests+Verification.swift`).
@Suite struct VerificationTests {
    @Test func extraColumnsAndTrueRowsPass() async throws {
        try await withExample(at: "0.4.0") { scenario in
            try scenario.write(
                "0.5.0/001_create_rooms.verify.sql",
                "SELECT 1, 'a', 2.5, NULL UNION ALL SELECT 'true', 'b', 0, 0;")
            try await Ferry(scenario.configuration).upgrade()
            #expect(try scalar("SELECT release FROM ferry_state", in: scenario.path) == "0.5.0")
        }
    }

    @Test func verifyChecksTheDatabaseAsItIsAndChangesNothing() async throws {
        try await withExample(at: "0.5.0") { scenario in
            var configuration = scenario.configuration
            configuration.invariants = [try Invariant.preserving("devices")]
            let before = try DatabaseSnapshot(path: scenario.path)
            let report = try await Ferry(configuration).verify()
            #expect(report.failure == nil)
            #expect(
                report.checks.map(\.name) == [
                    "integrity", "foreign keys",
                    "0.3.0/003_recreate_history_view_and_trigger.verify.sql",
                    "0.4.0/001_rebuild_sensors_with_unit_check.verify.sql",
                    "0.5.0/002_add_device_room.verify.sql",
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
            #expect(
                broken.failures.map(\.name) == [
                    "foreign keys", "0.5.0/002_add_device_room.verify.sql",
                ])
            #expect(broken.failure?.category == .failed)
            // Only the test's own change.
            #expect(try DatabaseSnapshot(path: scenario.path) != before)
        }
    }
}
