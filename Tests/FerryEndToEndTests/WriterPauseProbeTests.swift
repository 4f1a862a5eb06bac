import FerryTestSupport
import Foundation
import Testing

/// The load probe of an application writing while Ferry works (issue 18):
/// a writer inserts continuously (SQLite in WAL mode, or PostgreSQL) while
/// `ferry backup`, `ferry upgrade --rehearse`, `ferry export` and
/// `ferry upgrade` run one after the other on the example at 0.2.0. No write
/// may fail; the longest pause the writer sees in each stage is measured and
/// printed (a figure for RELIABILITY.md, never an assertion).
@Suite("An application writing while Ferry works")
struct WriterPauseProbeTests {
    @Test(arguments: TestEngine.underTest)
    func noWriteFailsWhileFerryWorks(engine: TestEngine) async throws {
        try await withExample(at: "0.2.0", on: engine) { scenario in
            let common =
                ["--database", scenario.path, "--migrations", scenario.migrations.path]
                + scenario.database.backupArguments
            let stages: [(name: String, arguments: [String])] = [
                ("backup", ["backup"]),
                ("rehearsal", ["upgrade", "--rehearse"]),
                ("export", ["export", scenario.folder.url.appendingPathComponent("export").path]),
                ("upgrade", ["upgrade"]),
            ]
            let writer = try await ContinuousWriter(scenario.database)
            try await Task.sleep(for: .milliseconds(300))
            for stage in stages {
                writer.begin(stage.name)
                let run = try await FerryProcess.run(stage.arguments + common)
                #expect(run.status == 0, "\(stage.name): \(run)")
                // Some writes after each stage belong to it: a lock held too long shows here too.
                try await Task.sleep(for: .milliseconds(200))
            }
            let seen = try await writer.stop()

            for stage in seen {
                #expect(stage.failures.isEmpty, "\(stage)")
                #expect(stage.writes > 0, "the writer wrote while \(stage.name) ran: \(stage)")
            }
            #expect(
                try await scenario.database.scalar("SELECT release FROM ferry_state") == "0.5.0")
            let written = seen.map(\.writes).reduce(0, +)
            #expect(
                try await scenario.database.scalar("SELECT count(*) FROM app_heartbeat")
                    == "\(written)", "every write the writer saw succeed is there")
            let longest = try #require(seen.max { $0.longestMilliseconds < $1.longestMilliseconds })
            // Read by scripts/reliability.sh into RELIABILITY.md.
            print(
                "load-probe: writer | \(engine) | \(written) writes | "
                    + "\(seen.map(\.failures.count).reduce(0, +)) failed | longest pause "
                    + "\(Int(longest.longestMilliseconds.rounded())) ms during \(longest.name) | "
                    + seen.map { "\($0.name) \(Int($0.longestMilliseconds.rounded())) ms" }
                    .joined(separator: ", "))
        }
    }
}
