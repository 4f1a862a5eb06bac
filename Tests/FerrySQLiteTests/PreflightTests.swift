import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Preflight of SQLite files: what only SQLite shows (its checks on a healthy
/// machine, a file that is not a database, a fresh install). Each blocker and
/// warning is made to happen on every engine in the behaviour suite
/// (`BehaviourTests+Preflight.swift`).
@Suite struct PreflightTests {
    static func osRelease(_ text: String, in scenario: ExampleScenario) throws -> URL {
        try scenario.folder.write("os-release", text)
    }

    @Test func aHealthyMachinePassesEveryCheck() async throws {
        try await withExample(at: "0.4.0") { scenario in
            var configuration = scenario.configuration
            configuration.operatingSystemReleaseFile = try Self.osRelease(
                "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n", in: scenario)
            configuration.requirements = [
                try Requirement(
                    parsing: "debian >= 11 || ubuntu >= 22.04", subject: .operatingSystem),
                try Requirement(
                    parsing: "sqlite >= 3.0", subject: .engine, blocksWhenUnknown: true),
            ]
            configuration.components = [
                Component(
                    name: "zigbee-bridge", version: "2.0.0",
                    compatible: try ReleaseRange(parsing: ">=0.4.0 <0.6.0"))
            ]
            let report = try await Ferry(configuration).check()
            #expect(
                report.checks.map(\.name) == [
                    "upgrade path", "history", "database", "free space", "database folder",
                    "backup folder",
                    "requirement os debian >= 11 || ubuntu >= 22.04",
                    "requirement engine sqlite >= 3.0", "component zigbee-bridge 2.0.0",
                    "schema drift",
                ])
            #expect(report.checks.allSatisfy { $0.status == .ok }, "\(report.checks)")
            #expect(report.checks[0].detail == "0.4.0 → 0.5.0, in one run")
            #expect(report.refusal(force: false) == nil)
            let events = EventLog()
            try await Ferry(configuration).upgrade(onEvent: events.append)
            #expect(
                events.all.contains { if case .preflightCompleted = $0 { true } else { false } })
        }
    }

    @Test func anUnreadableDatabaseIsABlockerInCheck() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("app.db", "this is not a SQLite database, it is a note").path
        let report = try await Ferry(ExampleApplication.configuration(database: path)).check()
        #expect(report.blockers.map(\.name) == ["upgrade path", "database"])
        #expect(report.blockers[1].detail.contains("file is not a database"))
        #expect(
            try String(contentsOfFile: path, encoding: .utf8)
                == "this is not a SQLite database, it is a note")
    }

    @Test func aFreshInstallHasNothingToReadOrBackUp() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("new.db").path
        let report = try await Ferry(ExampleApplication.configuration(database: path)).check()
        #expect(report.checks.first?.detail == "fresh install of 0.5.0")
        #expect(
            report.checks.first { $0.name == "database" }?.detail
                == "does not exist yet: a fresh install")
        #expect(report.refusal(force: false) == nil)
        #expect(!FileManager.default.fileExists(atPath: path), "check created nothing")
    }

    /// The example application requires `sqlite >= 3.35`: before a fresh
    /// install the version is that of the library which will create the
    /// file, so the requirement is confirmed, not left a warning that only
    /// `--force` passes (and `ferry import` has no `--force`).
    @Test func aRequirementOnSQLitesVersionIsConfirmedBeforeAFreshInstall() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("new.db").path
        var configuration = ExampleApplication.configuration(database: path)
        configuration.requirements = [
            try Requirement(parsing: "sqlite >= 3.35", subject: .engine),
            try Requirement(parsing: "sqlite >= 99", subject: .engine),
        ]
        let report = try await Ferry(configuration).check()
        let version = try #require(await configuration.engine.engineVersionWithoutDatabase())
        let checks = report.checks.filter { $0.name.hasPrefix("requirement engine") }
        #expect(checks.map(\.status) == [.ok, .blocker], "\(checks)")
        #expect(checks.allSatisfy { $0.detail.contains(version) }, "\(checks)")
        #expect(!FileManager.default.fileExists(atPath: path), "check created nothing")

        try await Ferry(ExampleApplication.configuration(database: path))
            .upgrade(UpgradeOptions())
        let created = try await DatabaseQueue(path: path).read {
            try String.fetchOne($0, sql: "SELECT sqlite_version()")
        }
        #expect(created == version)
    }
}
