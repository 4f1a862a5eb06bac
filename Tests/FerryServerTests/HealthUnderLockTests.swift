import Ferry
import FerryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/health` and `/readyz` while another process upgrades: the real `ferry
/// upgrade`, stopped in the middle of a migration with the lock held.
@Suite("Admin server health during an upgrade")
struct HealthUnderLockTests {
    @Test(
        "A running upgrade warns with who holds the lock (no path); readyz 503; then pass",
        arguments: TestEngine.underTest)
    func upgradeInProgress(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            let (app, _) = try adminApplication(scenario.ferry)
            let upgrade = try FerryProcess.start(
                [
                    "upgrade", "--database", scenario.path, "--migrations",
                    scenario.migrations.path, "--backups", scenario.backupsFolder.path,
                ], in: scenario.folder.url,
                environment: ["FERRY_TEST_STOP_AT": "upgrade.migration-started"])
            #expect(await upgrade.waitUntilStopped())
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    let lock = try #require(check(try object(response.body), "upgrade:lock"))
                    #expect(lock["status"] as? String == "warn")
                    let output = lock["output"] as? String ?? ""
                    #expect(output.contains("\"ferry upgrade\""), "\(output)")
                    #expect(
                        output.contains("pid \(upgrade.process.processIdentifier)")
                            || engine == .postgres)
                    #expect(!text.contains(scenario.folder.url.path))
                    #expect(!text.contains("--database"))
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
                upgrade.kill(SIGCONT)
                let finished = await upgrade.finish()
                #expect(finished.status == 0, "\(finished)")
                try await client.execute(uri: "/health", method: .get) { response in
                    let health = try object(response.body)
                    #expect(health["status"] as? String == "pass", "\(health)")
                    #expect(health["releaseId"] as? String == ExampleApplication.newestRelease)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }
}
