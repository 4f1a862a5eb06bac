import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// `ferry upgrade --databases`: many SQLite tenants upgraded by the real
/// binary, one of them made to fail from outside (a row that the `[[verify]]`
/// invariant refuses), a run killed with SIGKILL, two runs at once; each
/// database is re-read afterwards.
@Suite struct FleetCommandTests {
    /// A folder with a `ferry.toml` for the example, and tenants at 0.1.0,
    /// each with a few devices.
    struct Tenants {
        let folder: TemporaryFolder
        let names: [String]

        init(_ names: [String] = ["a", "b", "c", "d"], bad: Set<String> = []) async throws {
            folder = try TemporaryFolder()
            self.names = names
            _ = try folder.write(
                "ferry.toml",
                """
                [app]
                name = "sensorhub"

                [database]
                migrations = "\(ExampleApplication.migrations.path)"
                lock_timeout = 30

                [[verify]]
                name = "no device is quarantined"
                query = "SELECT count(*) FROM devices WHERE kind = 'quarantined'"
                expect = 0
                """)
            try FileManager.default.createDirectory(
                at: folder.url.appendingPathComponent("tenants"), withIntermediateDirectories: true
            )
            for name in names {
                let path = self.path(name)
                try await Ferry(ExampleApplication.configuration(database: path))
                    .upgrade(UpgradeOptions(target: Release(0, 1, 0)))
                let queue = try DatabaseQueue(path: path)
                try await queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO devices (name, kind, location) VALUES (?, ?, 'Kitchen'), "
                            + "('lamp', 'light', 'Hall')",
                        arguments: [
                            "\(name)-sensor", bad.contains(name) ? "quarantined" : "sensor",
                        ])
                }
                try queue.close()
            }
        }

        func path(_ name: String) -> String {
            folder.url.appendingPathComponent("tenants/\(name).db").path
        }

        var report: URL { folder.url.appendingPathComponent("report.json") }

        /// The release recorded in a tenant, read without Ferry.
        func release(_ name: String) throws -> String? {
            var configuration = GRDB.Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path(name), configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                try String.fetchOne(db, sql: "SELECT release FROM ferry_state")
            }
        }

        /// How many times each migration is in a tenant's history.
        func appliedCounts(_ name: String) throws -> [String: Int] {
            let queue = try DatabaseQueue(path: path(name))
            defer { try? queue.close() }
            return try queue.read { db in
                try Dictionary(
                    grouping: String.fetchAll(db, sql: "SELECT id FROM ferry_migrations"),
                    by: { $0 }
                ).mapValues(\.count)
            }
        }

        func devices(_ name: String) throws -> [String] {
            let queue = try DatabaseQueue(path: path(name))
            defer { try? queue.close() }
            return try queue.read { db in
                try String.fetchAll(db, sql: "SELECT name || ':' || kind FROM devices ORDER BY id")
            }
        }

        func run(_ arguments: [String], environment: [String: String] = [:]) async throws
            -> FerryProcess.Output
        {
            try await FerryProcess.run(arguments, in: folder.url, environment: environment)
        }

        func readReport() throws -> FleetReport { try FleetReport.read(from: report) }

        func results(_ report: FleetReport) -> [String: FleetOutcome] {
            Dictionary(uniqueKeysWithValues: report.databases.map { ($0.name, $0.result) })
        }
    }

    @Test func aTenantThatFailsVerificationFailsAloneWithContinueOnError() async throws {
        let tenants = try await Tenants(bad: ["c"])
        let output = try await tenants.run([
            "upgrade", "--databases", "tenants/*.db", "--continue-on-error", "--parallel", "2",
            "--report", "report.json",
        ])
        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("1 of 4 databases failed and 0 were not started"))
        #expect(!output.stderr.contains("to go on past a failure"), "it was given")
        #expect(
            output.stdout.contains("[END UPGRADE ERROR]")
                || output.stderr.contains("[END UPGRADE ERROR]"))
        let report = try tenants.readReport()
        #expect(
            tenants.results(report) == [
                "a": .succeeded, "b": .succeeded, "c": .failed, "d": .succeeded,
            ])
        let failed = try #require(report.databases.first { $0.name == "c" }?.error)
        #expect(failed.code == "verificationFailed", "\(failed)")
        #expect(failed.text.contains("no device is quarantined"), "\(failed.text)")
        #expect(failed.changes?.isEmpty == false)
        for name in ["a", "b", "d"] { #expect(try tenants.release(name) == "0.5.0") }
        #expect(try tenants.release("c") == "0.1.0", "the failed tenant rolled back")

        // A command that reads says where each database is, and that it changed none.
        let verify = try await tenants.run([
            "verify", "--databases", "tenants/*.db", "--continue-on-error",
        ])
        #expect(verify.status == 1, "\(verify)")
        #expect(verify.stderr.contains("Nothing was changed: ferry verify only reads"), "\(verify)")
        #expect(!verify.stderr.contains("is at its new release"), "\(verify)")
        let status = try await tenants.run(["status", "--databases", "tenants/*.db"])
        #expect(status.stdout.contains("0.1.0 (program at 0.5.0)"), "\(status)")
        #expect(!status.stdout.contains("→"), "\(status)")
        #expect(try tenants.devices("c") == ["c-sensor:quarantined", "lamp:light"])
        #expect(try tenants.devices("a") == ["a-sensor:sensor", "lamp:light"])
        // Each tenant's backups are its own.
        let backups = tenants.folder.url.appendingPathComponent("tenants/backups")
        for name in ["a", "b", "c", "d"] {
            let files = try FileManager.default.contentsOfDirectory(
                atPath: backups.appendingPathComponent(name).path)
            #expect(files.contains { $0.hasSuffix(".sqlite") }, "\(name): \(files)")
        }
    }

    @Test func withoutContinueOnErrorTheRunStopsAndResumeFinishesIt() async throws {
        let tenants = try await Tenants(bad: ["b"])
        let stopped = try await tenants.run([
            "upgrade", "--databases", "tenants/*.db", "--parallel", "1", "--report", "report.json",
            "--json",
        ])
        #expect(stopped.status == 1, "\(stopped)")
        let result = try #require(try stopped.jsonLines().last)
        #expect(result["ok"] as? Bool == false)
        #expect(result["notStarted"] as? Int == 2)
        #expect("\(result)".contains("to go on past a failure"), "\(result)")
        #expect(
            tenants.results(try tenants.readReport()) == [
                "a": .succeeded, "b": .failed, "c": .notStarted, "d": .notStarted,
            ])
        #expect(try tenants.release("a") == "0.5.0")
        for name in ["b", "c", "d"] { #expect(try tenants.release(name) == "0.1.0") }

        // The operator fixes the tenant and resumes: only b, c and d run.
        let queue = try DatabaseQueue(path: tenants.path("b"))
        try await queue.write { try $0.execute(sql: "UPDATE devices SET kind = 'sensor'") }
        try queue.close()
        let aBefore = try DatabaseSnapshot(path: tenants.path("a"))
        // Another command's resume, or other databases, would finish nothing of this run.
        let otherCommand = try await tenants.run(["verify", "--resume", "report.json"])
        #expect(otherCommand.status == 2, "\(otherCommand)")
        #expect(
            otherCommand.stderr.contains("is the report of 'ferry upgrade', not of 'ferry verify'"),
            "\(otherCommand)")
        let otherDatabases = try await tenants.run([
            "upgrade", "--databases", "elsewhere/*.db", "--resume", "report.json",
        ])
        #expect(otherDatabases.status == 2, "\(otherDatabases)")
        #expect(
            otherDatabases.stderr.contains("records a run over tenants/*.db, not elsewhere/*.db"),
            "\(otherDatabases)")
        let resumed = try await tenants.run(["upgrade", "--resume", "report.json", "--json"])
        #expect(resumed.status == 0, "\(resumed)")
        let started = try resumed.jsonLines().filter { $0["event"] as? String == "databaseStarted" }
        #expect(started.compactMap { $0["name"] as? String }.sorted() == ["b", "c", "d"])
        let report = try tenants.readReport()
        #expect(Set(tenants.results(report).values) == [.succeeded])
        for name in tenants.names { #expect(try tenants.release(name) == "0.5.0") }
        #expect(try DatabaseSnapshot(path: tenants.path("a")) == aBefore)
    }

    @Test func aFailedCanaryTouchesNoOtherDatabase() async throws {
        let tenants = try await Tenants(["a", "b", "c", "d", "e"], bad: ["b"])
        let before = try ["c", "d", "e"].map { try DatabaseSnapshot(path: tenants.path($0)) }
        let output = try await tenants.run([
            "upgrade", "--databases", "tenants/*.db", "--canary", "2", "--continue-on-error",
            "--report", "report.json",
        ])
        #expect(output.status == 1, "\(output)")
        #expect(
            !output.stderr.contains("to go on past a failure"), "a failed canary stops the rest")
        #expect(
            tenants.results(try tenants.readReport()) == [
                "a": .succeeded, "b": .failed, "c": .notStarted, "d": .notStarted,
                "e": .notStarted,
            ])
        #expect(try tenants.release("a") == "0.5.0")
        #expect(try tenants.release("b") == "0.1.0")
        for (name, snapshot) in zip(["c", "d", "e"], before) {
            #expect(try DatabaseSnapshot(path: tenants.path(name)) == snapshot, "\(name) touched")
            #expect(try tenants.release(name) == "0.1.0")
            let backups = tenants.folder.url.appendingPathComponent("tenants/backups/\(name)")
            #expect(!FileManager.default.fileExists(atPath: backups.path), "\(name) backed up")
        }
    }

    @Test func aMissingDatabaseIsSkippedUnlessCreated() async throws {
        let tenants = try await Tenants(["a"])
        _ = try tenants.folder.write(
            "tenants.txt", "# every tenant\ntenants/a.db\n\ntenants/new.db\n")
        let skipped = try await tenants.run([
            "upgrade", "--databases", "@tenants.txt", "--report", "report.json",
        ])
        #expect(skipped.status == 0, "a skipped database does not fail the run: \(skipped)")
        #expect(tenants.results(try tenants.readReport()) == ["a": .succeeded, "new": .skipped])
        #expect(!FileManager.default.fileExists(atPath: tenants.path("new")))
        let created = try await tenants.run(["upgrade", "--databases", "@tenants.txt", "--create"])
        #expect(created.status == 0, "\(created)")
        #expect(try tenants.release("new") == "0.5.0")
    }

    @Test func databaseAndDatabasesTogetherAreRefused() async throws {
        let tenants = try await Tenants(["a"])
        let output = try await tenants.run([
            "upgrade", "--databases", "tenants/*.db", "--database", "tenants/a.db",
        ])
        #expect(output.status == 2, "\(output)")
        #expect(output.stderr.contains("--database and --databases cannot be used together"))
        #expect(try tenants.release("a") == "0.1.0")
        _ = try tenants.folder.write("patterns.txt", "postgres://ferry@127.0.0.1/app?schemas=t_*\n")
        let schemas = try await tenants.run(["upgrade", "--databases", "@patterns.txt"])
        #expect(schemas.status == 2, "\(schemas)")
        #expect(schemas.stderr.contains("holds a pattern"))
    }

    @Test func twoRunsAtOnceApplyEachMigrationOncePerDatabase() async throws {
        let tenants = try await Tenants(["a", "b", "c", "d", "e", "f"])
        let arguments = ["upgrade", "--databases", "tenants/*.db", "--parallel", "2"]
        let first = try FerryProcess.start(arguments, in: tenants.folder.url)
        let second = try FerryProcess.start(arguments, in: tenants.folder.url)
        let outputs = [await first.finish(), await second.finish()]
        for output in outputs { #expect(output.status == 0, "\(output)") }
        for name in tenants.names {
            #expect(try tenants.release(name) == "0.5.0")
            let counts = try tenants.appliedCounts(name)
            #expect(counts.count == 14, "\(name): \(counts)")
            #expect(counts.values.allSatisfy { $0 == 1 }, "\(name): \(counts)")
        }
    }

    @Test func aRunKilledMidWayLeavesEachDatabaseAtAReleaseAndResumeFinishes() async throws {
        let tenants = try await Tenants(["a", "b", "c", "d"])
        // One at a time: the kill lands inside b's transaction, after a finished.
        let killed = try await tenants.run(
            [
                "upgrade", "--databases", "tenants/*.db", "--parallel", "1", "--report",
                "report.json",
            ], environment: ["FERRY_TEST_CRASH_AT": "upgrade.migration-started@20"])
        #expect(killed.status == SIGKILL, "\(killed)")
        let report = try tenants.readReport()
        #expect(
            tenants.results(report) == [
                "a": .succeeded, "b": .notStarted, "c": .notStarted, "d": .notStarted,
            ])
        for name in tenants.names {
            let release = try tenants.release(name)
            #expect(
                release == "0.1.0" || release == "0.5.0",
                "\(name) at \(String(describing: release))")
        }
        let resumed = try await tenants.run(["upgrade", "--resume", "report.json"])
        #expect(resumed.status == 0, "\(resumed)")
        for name in tenants.names {
            #expect(try tenants.release(name) == "0.5.0")
            #expect(try tenants.devices(name) == ["\(name)-sensor:sensor", "lamp:light"])
        }
        #expect(Set(tenants.results(try tenants.readReport()).values) == [.succeeded])
    }
}
