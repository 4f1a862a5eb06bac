import Ferry
import FerryServer
import FerryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The token, the operations and the backup routes through Hummingbird's
/// test client, on SQLite files.
@Suite("Admin server routes")
struct AdminRouteTests {
    @Test("Every api route answers 401 without the token or with a wrong one")
    func tokenRequired() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let (app, _) = try adminApplication(scenario.ferry)
            let routes: [(String, HTTPRequest.Method)] = [
                ("/api/status", .get), ("/api/plan", .get), ("/api/check", .get),
                ("/api/verify", .get), ("/api/history", .get), ("/api/backups", .get),
                ("/api/backups", .post), ("/api/upgrade", .post), ("/api/rehearsal", .post),
                ("/api/backups/x.db/download", .get), ("/api/backups/x.db/restore", .post),
                ("/api/operations/x", .get), ("/api/operations/x/events", .get),
            ]
            try await app.test(.router) { client in
                for (uri, method) in routes {
                    for headers in [
                        HTTPFields(), authorized("wrong-token-0123456789"), authorized(""),
                    ] {
                        try await client.execute(uri: uri, method: method, headers: headers) {
                            response in
                            #expect(response.status == .unauthorized, "\(method) \(uri)")
                            #expect(response.headers[.wwwAuthenticate] == "Bearer")
                            let error = try object(response.body)["error"] as? [String: Any]
                            #expect(error?["code"] as? String == "unauthorized")
                            #expect(error?["category"] as? String == "refused")
                        }
                    }
                }
                for uri in [
                    "/api/status", "/api/plan", "/api/check", "/api/verify", "/api/history",
                    "/api/backups",
                ] {
                    try await client.execute(uri: uri, method: .get, headers: authorized()) {
                        response in
                        #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                        let result = try object(response.body)
                        #expect(result["ok"] as? Bool == true, "\(uri)")
                        #expect(result.keys.contains("error"))
                    }
                }
            }
            // Nothing was upgraded, backed up or restored by the refused requests.
            #expect(try scenario.ferry.backups().isEmpty)
        }
    }

    @Test("The page: HTML with a policy that allows only its own origin, and a viewport")
    func page() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let (app, _) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                    let policy = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(policy.contains("default-src 'none'"))
                    #expect(policy.contains("connect-src 'self'"))
                    #expect(policy.contains("script-src 'sha256-"))
                    #expect(!policy.contains("unsafe-inline"))
                    let html = String(buffer: response.body)
                    #expect(html.contains("name=\"viewport\""))
                    // Nothing is loaded from elsewhere (the SVG namespace is a name, not a load).
                    for load in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
                        #expect(!html.contains(load), "\(load)")
                    }
                }
            }
        }
    }

    @Test("An upgrade that fails: its event stream ends in END ERROR, the database is as it was")
    func failingUpgradeEndsInError() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try scenario.write("0.5.0/004_broken.sql", "INSERT INTO no_such_table VALUES (1);")
            let before = try await scenario.snapshot()
            let (app, admin) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                let id = try await client.execute(
                    uri: "/api/upgrade", method: .post, headers: authorized(),
                    body: ByteBuffer(string: #"{"confirmation": "upgrade"}"#)
                ) { response in
                    #expect(response.status == .accepted)
                    return try object(response.body)["operation"] as? String ?? ""
                }
                try await client.execute(
                    uri: "/api/operations/\(id)/events", method: .get, headers: authorized()
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/event-stream")
                    let all = try events(response.body)
                    let end = try #require(all.last)
                    #expect(end["event"] as? String == "end")
                    #expect(end["ok"] as? Bool == false)
                    #expect(end["marker"] as? String == "[END UPGRADE ERROR]")
                    let result = try #require(all.dropLast().last)
                    #expect(result["command"] as? String == "upgrade")
                    #expect(result["ok"] as? Bool == false)
                    let error = try #require(result["error"] as? [String: Any])
                    #expect(error["code"] as? String == "migrationFailed")
                    #expect((error["changes"] as? String)?.isEmpty == false)
                    #expect(all.contains { $0["event"] as? String == "planned" })
                    #expect(all.dropLast().allSatisfy { $0["at"] != nil || $0["command"] != nil })
                }
            }
            await admin.waitUntilIdle()
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test("A second operation while one runs gets 409 naming the first")
    func secondOperationConflicts() async throws {
        try await withExample(at: "0.3.0") { scenario in
            // A migration that takes seconds keeps the first upgrade running.
            try scenario.write(
                "0.5.0/004_slow.sql",
                """
                CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000)
                SELECT count(*) AS n FROM c;
                """)
            let (app, admin) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                let first = try await client.execute(
                    uri: "/api/upgrade", method: .post, headers: authorized(),
                    body: ByteBuffer(string: #"{"confirmation": "upgrade"}"#)
                ) { response in
                    #expect(response.status == .accepted)
                    return try object(response.body)["operation"] as? String ?? ""
                }
                for uri in ["/api/rehearsal", "/api/backups", "/api/upgrade"] {
                    try await client.execute(
                        uri: uri, method: .post, headers: authorized(),
                        body: ByteBuffer(string: #"{"confirmation": "upgrade"}"#)
                    ) { response in
                        #expect(response.status == .conflict, "\(uri)")
                        let error = try object(response.body)["error"] as? [String: Any]
                        #expect(error?["code"] as? String == "serverBusy")
                        #expect((error?["message"] as? String)?.contains(first) == true)
                    }
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
                try await client.execute(
                    uri: "/api/operations/\(first)/events", method: .get, headers: authorized()
                ) { response in
                    let end = try events(response.body).last
                    #expect(end?["marker"] as? String == "[END UPGRADE SUCCESS]")
                }
            }
            await admin.waitUntilIdle()
            #expect(try await scenario.ferry.status().upToDate)
        }
    }

    @Test("Destructive calls need their typed confirmation; bodies are limited")
    func confirmationsAndLimits() async throws {
        try await withExample(at: "0.3.0") { scenario in
            let before = try await scenario.snapshot()
            let backup = try await scenario.ferry.backup()
            let (app, _) = try adminApplication(scenario.ferry)
            try await app.test(.router) { client in
                for body in ["", "{}", #"{"confirmation": "yes"}"#, "not json"] {
                    try await client.execute(
                        uri: "/api/upgrade", method: .post, headers: authorized(),
                        body: ByteBuffer(string: body)
                    ) { response in
                        #expect(response.status == .badRequest, "\(body)")
                    }
                    try await client.execute(
                        uri: "/api/backups/\(backup.name)/restore", method: .post,
                        headers: authorized(), body: ByteBuffer(string: body)
                    ) { response in
                        #expect(response.status == .badRequest, "\(body)")
                    }
                }
                let large =
                    #"{"confirmation": "upgrade", "note": ""#
                    + String(repeating: "x", count: 100_000) + #""}"#
                try await client.execute(
                    uri: "/api/upgrade", method: .post, headers: authorized(),
                    body: ByteBuffer(string: large)
                ) { response in
                    #expect(response.status == .contentTooLarge)
                }
            }
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test("Backup names outside the catalog are refused: ../, absolute paths, links")
    func traversalRefused() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let backup = try await scenario.ferry.backup()
            let outside = try scenario.folder.write("outside.txt", "not a backup")
            let (app, _) = try adminApplication(scenario.ferry)
            let names = [
                "..%2Fapp.db", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "app.db",
                "..", ".", "%2E%2E", backup.name + "%2F..%2F..%2Fapp.db",
            ]
            try await app.test(.router) { client in
                for name in names {
                    try await client.execute(
                        uri: "/api/backups/\(name)/download", method: .get, headers: authorized()
                    ) { response in
                        #expect(response.status != .ok, "\(name)")
                        #expect(!String(buffer: response.body).contains("root:"))
                    }
                    try await client.execute(
                        uri: "/api/backups/\(name)/restore", method: .post, headers: authorized(),
                        body: ByteBuffer(string: #"{"confirmation": "restore"}"#)
                    ) { response in
                        #expect(response.status != .accepted, "\(name)")
                    }
                }
                // The catalog's own backup downloads, byte for byte.
                try await client.execute(
                    uri: "/api/backups/\(backup.name)/download", method: .get, headers: authorized()
                ) { response in
                    #expect(response.status == .ok)
                    let original = try Data(contentsOf: backup.file)
                    #expect(Data(response.body.readableBytesView) == original)
                }
                // A backup whose file was replaced by a link to a file outside the catalog is refused.
                try FileManager.default.removeItem(at: backup.file)
                try FileManager.default.createSymbolicLink(
                    at: backup.file, withDestinationURL: outside)
                try await client.execute(
                    uri: "/api/backups/\(backup.name)/download", method: .get, headers: authorized()
                ) { response in
                    #expect(response.status == .notFound)
                    #expect(!String(buffer: response.body).contains("not a backup"))
                }
                try await client.execute(
                    uri: "/api/backups/\(backup.name)/restore", method: .post,
                    headers: authorized(),
                    body: ByteBuffer(string: #"{"confirmation": "restore"}"#)
                ) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }
}
