import Ferry
import FerryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The server's documents are the tool's `--json` results: the same keys,
/// read from the same database by the route and by the real `ferry`.
@Suite("Admin routes answer the tool's JSON")
struct ToolShapeTests {
    @Test(
        "status, plan, check, verify, history and backups have the keys of their --json results",
        arguments: TestEngine.underTest)
    func sameKeysAsTheTool(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            try await scenario.ferry.backup()
            var configuration = scenario.configuration
            configuration.backupsDirectory = scenario.backupsFolder
            let (app, _) = try adminApplication(Ferry(configuration))
            try await app.test(.router) { client in
                for command in ["status", "plan", "check", "verify", "history", "backups"] {
                    let tool = try await FerryProcess.run(
                        [
                            command, "--json", "--database", scenario.path, "--migrations",
                            scenario.migrations.path, "--backups", scenario.backupsFolder.path,
                        ], in: scenario.folder.url)
                    let expected = try #require(try tool.jsonLines().last, "\(tool)")
                    try await client.execute(
                        uri: "/api/\(command)", method: .get, headers: authorized()
                    ) { response in
                        #expect(response.status == .ok, "\(command)")
                        let answered = try object(response.body)
                        #expect(
                            Set(answered.keys) == Set(expected.keys),
                            "\(command): \(answered.keys.sorted()) vs \(expected.keys.sorted())")
                        #expect(answered["ok"] as? Bool == expected["ok"] as? Bool, "\(command)")
                    }
                }
            }
        }
    }
}
