import Ferry
import FerryTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `ferry serve` as an operator runs it: the address it refuses, the token
/// it makes, and the routes of the real binary over a real socket.
@Suite("ferry serve")
struct ServeCommandTests {
    @Test(
        "An address beyond loopback is refused with exit 2, also with --allow-remote but no token")
    func remoteAddressRefused() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let common = ["--database", scenario.path, "--migrations", scenario.migrations.path]
            let refused = try await FerryProcess.run(
                ["serve"] + common + ["--listen", "0.0.0.0:0"], in: scenario.folder.url)
            #expect(refused.status == 2, "\(refused)")
            #expect(refused.stderr.contains("other machines can reach"))
            #expect(refused.stderr.contains("--allow-remote"))
            let noToken = try await FerryProcess.run(
                ["serve"] + common + ["--listen", "0.0.0.0:0", "--allow-remote"],
                in: scenario.folder.url)
            #expect(noToken.status == 2, "\(noToken)")
            #expect(noToken.stderr.contains("No token is given"))
            // Neither made a token file nobody has seen.
            #expect(
                !FileManager.default.fileExists(
                    atPath: scenario.folder.url.appendingPathComponent("ferry-server.token").path))
            let json = try await FerryProcess.run(
                ["serve", "--json"] + common + ["--listen", "10.1.2.3:40406"],
                in: scenario.folder.url)
            #expect(json.status == 2)
            let result = try #require(try json.jsonLines().last)
            #expect(result["command"] as? String == "serve")
            #expect(result["ok"] as? Bool == false)
        }
    }

    @Test("The first start writes a token file (0600) and shows it once; the token opens the api")
    func tokenGeneratedOnce() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let tokenFile = scenario.folder.url.appendingPathComponent("ferry-server.token")
            let common = ["--database", scenario.path, "--migrations", scenario.migrations.path]
            let first = try await ServedFerry(common, in: scenario.folder.url, environment: [:])
            let firstOutput = await first.stop()
            let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let token = try String(contentsOf: tokenFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.count == 64)
            #expect(firstOutput.stdout.contains(token))

            let second = try await ServedFerry(common, in: scenario.folder.url, environment: [:])
            var request = URLRequest(url: URL(string: second.url + "api/status")!)
            let (_, refused) = try await URLSession.shared.data(for: request)
            #expect((refused as? HTTPURLResponse)?.statusCode == 401)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (body, accepted) = try await URLSession.shared.data(for: request)
            #expect((accepted as? HTTPURLResponse)?.statusCode == 200)
            let status = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect(status?["upToDate"] as? Bool == true)
            let (health, answered) = try await URLSession.shared.data(
                from: URL(string: second.url + "health")!)
            #expect((answered as? HTTPURLResponse)?.statusCode == 200)
            #expect(!String(decoding: health, as: UTF8.self).contains(scenario.folder.url.path))
            let secondOutput = await second.stop()
            #expect(!secondOutput.stdout.contains(token), "the token is shown only once")

            // A token file others may read is refused.
            chmod(tokenFile.path, 0o644)
            let open = try await FerryProcess.run(
                ["serve"] + common + ["--listen", "127.0.0.1:0"], in: scenario.folder.url)
            #expect(open.status == 2, "\(open)")
            #expect(open.stderr.contains("can be read by others"))
        }
    }

    @Test(
        "serve --json prints one result line once it listens: the address, the token file, the new token"
    )
    func jsonStartedLine() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let running = try FerryProcess.start(
                [
                    "serve", "--json", "--database", scenario.path, "--migrations",
                    scenario.migrations.path, "--listen", "127.0.0.1:0",
                ], in: scenario.folder.url)
            #expect(await running.waitForOutput(containing: "\"command\":\"serve\""))
            running.kill(SIGTERM)
            let output = await running.finish()
            let line = try #require(
                try output.jsonLines().first { $0["command"] as? String == "serve" }, "\(output)")
            #expect(line["ok"] as? Bool == true)
            #expect(line.keys.contains("error"))
            let listen = try #require(line["listen"] as? String)
            #expect(listen.hasPrefix("127.0.0.1:") && !listen.hasSuffix(":0"))
            #expect(line["url"] as? String == "http://\(listen)/")
            let tokenFile = try #require(line["tokenFile"] as? String)
            let token = try String(contentsOfFile: tokenFile, encoding: .utf8)
            #expect(
                line["token"] as? String == token.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test(
        "With a certificate and key the server speaks HTTPS only; half a pair or a bad file is refused"
    )
    func https() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let folder = scenario.folder.url
            let certificate = folder.appendingPathComponent("server.crt")
            let key = folder.appendingPathComponent("server.key")
            let made = try await run(
                "/usr/bin/env",
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path,
                    "-out", certificate.path, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                ])
            #expect(made == 0)
            let common = ["--database", scenario.path, "--migrations", scenario.migrations.path]
            let server = try await ServedFerry(
                common, in: folder,
                environment: [
                    "FERRY_SERVER_TOKEN": testToken,
                    "FERRY_SERVER_TLS_CERTIFICATE": certificate.path,
                    "FERRY_SERVER_TLS_KEY": key.path,
                ])
            #expect(server.url.hasPrefix("https://127.0.0.1:"))
            let health = folder.appendingPathComponent("health.json")
            #expect(
                try await run(
                    "/usr/bin/env",
                    [
                        "curl", "-sf", "--cacert", certificate.path, "-o", health.path,
                        server.url + "health",
                    ]) == 0)
            let document =
                try JSONSerialization.jsonObject(with: Data(contentsOf: health)) as? [String: Any]
            #expect(document?["status"] as? String == "pass")
            // Plain HTTP on the same port gets no answer.
            let plain = server.url.replacingOccurrences(of: "https://", with: "http://") + "health"
            #expect(try await run("/usr/bin/env", ["curl", "-sf", "-m", "5", plain]) != 0)
            _ = await server.stop()

            let half = try await FerryProcess.run(
                ["serve"] + common + ["--listen", "127.0.0.1:0"], in: folder,
                environment: [
                    "FERRY_SERVER_TOKEN": testToken,
                    "FERRY_SERVER_TLS_CERTIFICATE": certificate.path,
                ])
            #expect(half.status == 2, "\(half)")
            #expect(half.stderr.contains("HTTPS needs both"))
            let bad = try await FerryProcess.run(
                ["serve"] + common + ["--listen", "127.0.0.1:0"], in: folder,
                environment: [
                    "FERRY_SERVER_TOKEN": testToken, "FERRY_SERVER_TLS_CERTIFICATE": key.path,
                    "FERRY_SERVER_TLS_KEY": key.path,
                ])
            #expect(bad.status == 2, "\(bad)")
            #expect(bad.stderr.contains("cannot be read as a PEM certificate chain"))
        }
    }

    @Test(
        "Stopped while a client watches an upgrade, the server cancels it: rolled back, its events end, the server exits"
    )
    func stoppingCancelsAWatchedUpgrade() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            try InterruptedUpgrade.writeSlowRelease(in: scenario.migrations, rows: 50_000_000)
            let served = try await ServedFerry(
                [
                    "--database", scenario.path, "--migrations", scenario.migrations.path,
                    "--backups", scenario.backupsFolder.path,
                ], in: scenario.folder.url, environment: ["FERRY_SERVER_TOKEN": testToken])
            var request = URLRequest(url: URL(string: served.url + "api/upgrade")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(testToken)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"confirmation":"upgrade"}"#.utf8)
            let (body, _) = try await URLSession.shared.data(for: request)
            let events = try #require(
                (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["events"]
                    as? String, "\(String(decoding: body, as: UTF8.self))")
            // The watcher: an event stream that stays open until the operation ends.
            let streamed = scenario.folder.url.appendingPathComponent("events.txt")
            let watcher = Process()
            watcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            watcher.arguments = [
                "curl", "-s", "-N", "-m", "120", "-o", streamed.path, "-H",
                "Authorization: Bearer \(testToken)", served.url + events,
            ]
            try watcher.run()
            defer { if watcher.isRunning { watcher.terminate() } }
            #expect(
                await served.running.waitForOutput(containing: "Applying 0.6.0/001_slow_archive"))
            try await Task.sleep(for: .milliseconds(300))

            let stopping = ContinuousClock.now
            let output = await served.stop()
            #expect(ContinuousClock.now - stopping < .seconds(20), "\(output)")
            // The server's own log ends the upgrade as `ferry upgrade` would.
            let log = output.stdout + output.stderr
            #expect(log.contains("failed: The upgrade was cancelled."), "\(output)")
            #expect(log.contains("[END UPGRADE ERROR]"), "\(output)")
            while watcher.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            let stream = (try? String(contentsOf: streamed, encoding: .utf8)) ?? ""
            #expect(stream.contains("\"code\":\"interrupted\""), "\(stream.suffix(600))")
            #expect(stream.contains("[END UPGRADE ERROR]"), "\(stream.suffix(600))")
            #expect(
                try await scenario.database.scalar("SELECT release FROM ferry_state") == "0.5.0")
            #expect(
                try await scenario.database.scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'sensor_archive'") == "0")
        }
    }

    @Test(
        "/health and /readyz answer within a bound while another process holds the database locked")
    func healthAnswersWhileTheDatabaseIsLocked() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let served = try await ServedFerry(
                ["--database", scenario.path, "--migrations", scenario.migrations.path],
                in: scenario.folder.url, environment: ["FERRY_SERVER_TOKEN": testToken])
            // The application, holding the file locked (readers too) for a while.
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = [
                "sh", "-c",
                "(echo '.timeout 10000'; echo 'BEGIN EXCLUSIVE;'; sleep 40; echo 'COMMIT;') | sqlite3 \"$0\"",
                scenario.path,
            ]
            try holder.run()
            defer { if holder.isRunning { holder.terminate() } }
            // Until the holder has the lock (a busy machine may take a while to start it).
            let waitingSince = ContinuousClock.now
            while try await run(
                "/usr/bin/sqlite3", [scenario.path, "SELECT count(*) FROM sqlite_master"]) == 0
            {
                try #require(ContinuousClock.now - waitingSince < .seconds(10), "no lock taken")
                try await Task.sleep(for: .milliseconds(50))
            }
            for path in ["health", "readyz"] {
                let started = ContinuousClock.now
                let (body, response) = try await URLSession.shared.data(
                    from: URL(string: served.url + path)!)
                let waited = ContinuousClock.now - started
                // Far below the lock's 40 s, which a reading that waited for it would take: on a
                // loaded machine the answer given at 2 s may reach the client seconds later.
                #expect(waited < .seconds(12), "\(path) took \(waited)")
                #expect((response as? HTTPURLResponse)?.statusCode == 503, "\(path)")
                #expect(
                    String(decoding: body, as: UTF8.self).contains("did not answer within 2 s"),
                    "\(path): \(String(decoding: body, as: UTF8.self))")
                // The program's release is known without the database.
                if path == "health" {
                    let document = try JSONSerialization.jsonObject(with: body) as? [String: Any]
                    #expect(
                        document?["version"] as? String == ExampleApplication.newestRelease,
                        "\(String(decoding: body, as: UTF8.self))")
                }
            }
            _ = await served.stop()
        }
    }

    /// Runs a program to its end; its exit status.
    func run(_ program: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}
