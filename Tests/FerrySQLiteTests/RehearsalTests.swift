import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Rehearsals of a SQLite file: the whole upgrade on a copy, and the live file
/// untouched while the application writes (a failed rehearsal, and one that
/// succeeds, run on every engine in the behaviour suite).
@Suite struct RehearsalTests {
    /// Inserts readings into the live database until stopped, as the application would.
    final class Writer: @unchecked Sendable {
        private let lock = NSLock()
        private var written = 0
        private var failures: [String] = []
        private var isStopped = false
        private var task: Task<Void, Never>?

        var count: Int { lock.withLock { written } }
        var errors: [String] { lock.withLock { failures } }

        init(path: String) throws {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            task = Task.detached { [self] in
                while !lock.withLock({ isStopped }) {
                    do {
                        try await queue.write { db in
                            try db.execute(
                                sql:
                                    "INSERT INTO readings (sensor_id, taken_at, value) VALUES (1, ?, 20.0)",
                                arguments: ["2025-01-01T00:00:00Z"])
                        }
                        lock.withLock { written += 1 }
                    } catch {
                        lock.withLock { failures.append("\(error)") }
                    }
                }
                try? queue.close()
            }
        }

        func stop() async {
            lock.withLock { isStopped = true }
            await task?.value
        }
    }

    @Test func theLiveFileStaysByteIdenticalAndWritableWhileTheCopyIsUpgraded() async throws {
        try await withExample(at: "0.2.0") { scenario in
            let before = try DatabaseSnapshot(path: scenario.path)
            let events = EventLog()

            let report = try await Ferry(scenario.configuration).rehearse(onEvent: events.append)

            #expect(
                try DatabaseSnapshot(path: scenario.path) == before,
                "byte for byte, rows and schema")
            #expect(report.from == "0.2.0")
            #expect(report.to == Release(0, 5, 0))
            #expect(report.applied.count == 7)
            #expect(report.rowsBefore == ["devices": 12, "sensors": 36, "readings": 2000])
            #expect(
                report.rowsAfter == [
                    "devices": 12, "sensors": 36, "sensor_history": 2000, "rooms": 8,
                ])
            #expect(
                report.bytesBefore
                    == Int64(try Data(contentsOf: URL(fileURLWithPath: scenario.path)).count))
            #expect(report.bytesAfter ?? 0 > 0)
            #expect(
                report.steps.map(\.name).prefix(3) == [
                    "preflight", "copy (as the backup will)",
                    "migration 0.3.0/001_rename_readings_to_sensor_history",
                ])
            #expect(report.steps.last?.name == "verification")
            #expect(report.verification?.failures.isEmpty == true)
            #expect(report.predictedSeconds >= report.upgradeSeconds)
            #expect(events.all.contains { if case .upgradeCompleted = $0 { true } else { false } })

            // Again, while the application keeps writing: every write succeeds, none is lost.
            let writer = try Writer(path: scenario.path)
            while writer.count < 20 { try await Task.sleep(for: .milliseconds(5)) }
            let writtenBefore = writer.count
            let again = try await Ferry(scenario.configuration).rehearse()
            let writtenDuring = writer.count - writtenBefore
            await writer.stop()

            #expect(writer.errors.isEmpty, "\(writer.errors)")
            #expect(writtenDuring > 0, "the application wrote while the rehearsal ran")
            #expect(
                again.rowsBefore["readings"] ?? 0 > 2000,
                "the copy holds the application's newer rows")
            let after = try DatabaseSnapshot(path: scenario.path)
            #expect(after.schema == before.schema)
            #expect(after.rows["ferry_migrations"] == before.rows["ferry_migrations"])
            #expect(after.rows["ferry_state"] == before.rows["ferry_state"])
            #expect(after.counts["readings"] == 2000 + writer.count)
            #expect(try integrityCheck(scenario.path) == "ok")
        }
    }
}
