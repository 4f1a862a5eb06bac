import Ferry
import FerryServer
import FerryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/health`, `/livez`, `/readyz` and `api/status` on real databases of
/// every engine: up to date, pending, changed, unreachable.
@Suite("Admin server health")
struct HealthRouteTests {
    @Test(
        "An up-to-date database passes: 200, both releases, nothing pending",
        arguments: TestEngine.underTest)
    func upToDate(engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: engine) { scenario in
            let (app, _) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/health+json")
                    let health = try object(response.body)
                    #expect(health["status"] as? String == "pass")
                    #expect(health["version"] as? String == ExampleApplication.newestRelease)
                    #expect(health["releaseId"] as? String == ExampleApplication.newestRelease)
                    #expect(check(health, "schema:pending")?["observedValue"] as? Int == 0)
                    #expect(check(health, "database:reachable")?["status"] as? String == "pass")
                    #expect(check(health, "upgrade:lock")?["status"] as? String == "pass")
                    expectNoInternals(String(buffer: response.body), scenario)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/livez", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/api/status", method: .get, headers: authorized()) {
                    response in
                    #expect(response.status == .ok)
                    let status = try object(response.body)
                    #expect(status["command"] as? String == "status")
                    #expect(status["ok"] as? Bool == true)
                    #expect(status["upToDate"] as? Bool == true)
                    #expect(
                        status["databaseRelease"] as? String == ExampleApplication.newestRelease)
                }
            }
        }
    }

    @Test(
        "A database with pending migrations warns: 200, readyz 503, the count",
        arguments: TestEngine.underTest)
    func pending(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            let expected = try await scenario.ferry.plan().pending.count
            let (app, _) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    let health = try object(response.body)
                    #expect(health["status"] as? String == "warn")
                    #expect(health["releaseId"] as? String == "0.3.0")
                    #expect(health["version"] as? String == ExampleApplication.newestRelease)
                    #expect(check(health, "schema:pending")?["observedValue"] as? Int == expected)
                    #expect(check(health, "schema:pending")?["status"] as? String == "warn")
                    expectNoInternals(String(buffer: response.body), scenario)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
                try await client.execute(uri: "/api/status", method: .get, headers: authorized()) {
                    response in
                    let status = try object(response.body)
                    #expect((status["pending"] as? [String])?.count == expected)
                    #expect(status["upToDate"] as? Bool == false)
                }
            }
        }
    }

    @Test(
        "An edited applied migration is reported: warn, one changed",
        arguments: TestEngine.underTest)
    func changed(engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: engine) { scenario in
            let file = scenario.migrations.appendingPathComponent(
                "0.1.0/001_create_devices.sql")
            let text = try String(contentsOf: file, encoding: .utf8)
            try (text + "\n-- edited after it was applied\n").write(
                to: file, atomically: true, encoding: .utf8)
            let (app, _) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    let health = try object(response.body)
                    #expect(health["status"] as? String == "warn")
                    #expect(check(health, "schema:changed")?["observedValue"] as? Int == 1)
                    #expect(check(health, "schema:changed")?["status"] as? String == "warn")
                    expectNoInternals(String(buffer: response.body), scenario)
                }
                try await client.execute(uri: "/api/plan", method: .get, headers: authorized()) {
                    response in
                    #expect(response.status == .ok)
                    let plan = try object(response.body)
                    #expect(plan["ok"] as? Bool == false)
                    #expect(
                        (plan["error"] as? [String: Any])?["code"] as? String == "migrationChanged")
                }
            }
        }
    }

    @Test("A SQLite database in a missing folder fails: 503, nothing leaked")
    func unreachableSQLite() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("gone/secret-name.db").path
        let configuration = ExampleApplication.configuration(database: path)
        let (app, _) = try adminApplication(Ferry(configuration))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let text = String(buffer: response.body)
                let health = try object(response.body)
                #expect(health["status"] as? String == "fail")
                #expect(check(health, "database:reachable")?["status"] as? String == "fail")
                #expect(!text.contains("secret-name"))
                #expect(!text.contains(folder.url.path))
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/livez", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("A PostgreSQL URL to a closed port fails: 503, no URL or engine message")
    func unreachablePostgres() async throws {
        // A port nothing listens on: bound, then closed.
        let port = try closedLoopbackPort()
        let url = "postgres://ferry@127.0.0.1:\(port)/secretdb"
        let configuration = try Settings {
            $0.database = url
            $0.migrations = ExampleApplication.migrations.path
        }
        .configuration(engines: testEngines)
        let (app, _) = try adminApplication(Ferry(configuration))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let text = String(buffer: response.body)
                let health = try object(response.body)
                #expect(health["status"] as? String == "fail")
                #expect(check(health, "database:reachable")?["status"] as? String == "fail")
                #expect(!text.contains("secretdb"))
                #expect(!text.contains("\(port)"))
            }
        }
    }

    /// No path, table name, SQL or engine message in a public document.
    func expectNoInternals(_ text: String, _ scenario: ExampleScenario) {
        #expect(!text.contains(scenario.folder.url.path))
        #expect(!text.contains(scenario.migrations.path))
        for word in ["ferry_migrations", "ferry_state", "SELECT", "sensor_history", ".sql", "/tmp"]
        {
            #expect(!text.contains(word), "the health document shows \(word)")
        }
    }

    @Test("An answer is given again while it is young, then read anew: a database gone shows")
    func answersAreKeptWhileYoung() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            // The same answer within its age: an age no loaded machine outlasts here.
            try await Self.withDatabaseGone(scenario, maximumAge: .seconds(120)) { client, first in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(String(buffer: response.body) == first, "the same answer while young")
                }
            }
            // Past its age the next request starts a new reading (and may still get the last
            // answer while it runs): the failure shows at once after it.
            try await Self.withDatabaseGone(scenario, maximumAge: .milliseconds(300)) {
                client, _ in
                try await Task.sleep(for: .milliseconds(400))
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<50 where statuses.last != .serviceUnavailable {
                    statuses.append(
                        try await client.execute(uri: "/health", method: .get) { $0.status })
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(statuses.last == .serviceUnavailable, "\(statuses)")
            }
        }
    }

    /// Answers `/health` once, then moves the database's folder aside (and
    /// back afterwards) and lends the client and the first answer to `body`.
    static func withDatabaseGone(
        _ scenario: ExampleScenario, maximumAge: Duration,
        _ body: @Sendable (any TestClientProtocol, String) async throws -> Void
    ) async throws {
        let admin = FerryAdmin(
            ferry: scenario.ferry, token: try ServerToken(testToken), healthMaximumAge: maximumAge)
        let router = Router()
        router.addRoutes(admin.routes())
        try await Application(router: router).test(.router) { client in
            let first = try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            let aside = scenario.folder.url.deletingLastPathComponent()
                .appendingPathComponent(scenario.folder.url.lastPathComponent + "-aside")
            try FileManager.default.moveItem(at: scenario.folder.url, to: aside)
            defer { try? FileManager.default.moveItem(at: aside, to: scenario.folder.url) }
            try await body(client, first)
        }
    }
}
