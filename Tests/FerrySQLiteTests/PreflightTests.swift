import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Preflight, the first stage of every upgrade: each blocker and warning
/// made to happen, then the database re-read to prove nothing changed.
@Suite struct PreflightTests {
    typealias Scenario = HookAndPolicyTests.Scenario

    /// A change to the configuration (or the machine) that preflight must notice.
    struct Breaker: Sendable, CustomTestStringConvertible {
        let name: String
        let check: String
        let detail: String
        let apply: @Sendable (inout Ferry.Configuration, Scenario) throws -> Void
        var testDescription: String { name }
    }

    static func osRelease(_ text: String, in scenario: Scenario) throws -> URL {
        try scenario.folder.write("os-release", text)
    }

    static let blockers: [Breaker] = [
        Breaker(name: "an operating system too old", check: "requirement os debian >= 11",
                detail: "debian 10 is too old or too new") { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease("ID=debian\nVERSION_ID=\"10\"\n", in: scenario)
            configuration.requirements = [try Requirement(parsing: "debian >= 11", subject: .operatingSystem)]
        },
        Breaker(name: "an unknown operating system declared a blocker", check: "requirement os debian >= 11",
                detail: "not confirmed: ") { configuration, scenario in
            configuration.operatingSystemReleaseFile = scenario.folder.url.appendingPathComponent("no-such-file")
            configuration.requirements = [
                try Requirement(parsing: "debian >= 11", subject: .operatingSystem, blocksWhenUnknown: true),
            ]
        },
        Breaker(name: "an engine too old", check: "requirement engine sqlite >= 99",
                detail: "is too old or too new") { configuration, _ in
            configuration.requirements = [try Requirement(parsing: "sqlite >= 99", subject: .engine)]
        },
        Breaker(name: "an obsolete component", check: "component zigbee-bridge 1.2.0",
                detail: "obsolete: 0.5.0 cannot run with it; remove it before upgrading") { configuration, _ in
            configuration.components = [Component(
                name: "zigbee-bridge", version: "1.2.0", compatible: try ReleaseRange(parsing: "<0.5.0"),
                removeBefore: try ReleaseRange(parsing: ">=0.5.0"))]
        },
        Breaker(name: "a backup folder that is a file", check: "backup folder", detail: "is a file, not a folder") {
            configuration, scenario in
            configuration.backupsDirectory = try scenario.folder.write("backups", "not a folder")
        },
        Breaker(name: "too little free space", check: "free space", detail: "keep free 1000000.0 TB") { configuration, _ in
            configuration.keepFreeBytes = 1_000_000_000_000_000_000
        },
        Breaker(name: "a corrupted page", check: "database", detail: "quick integrity check failed") { _, scenario in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: scenario.path))
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size - 8192)
            try handle.write(contentsOf: Data(repeating: 0x55, count: 8192))
            try handle.close()
        },
    ]

    @Test(arguments: blockers)
    func aBlockerStopsTheUpgradeEvenWithForce(breaker: Breaker) async throws {
        let scenario = try await Scenario(at: "0.4.0")
        var configuration = scenario.configuration
        try breaker.apply(&configuration, scenario)
        // Byte for byte: a corrupted database cannot be read row by row.
        let before = try Data(contentsOf: URL(fileURLWithPath: scenario.path))

        let report = try await Ferry(configuration).check()
        let blocker = try #require(report.blockers.first, "\(report.checks)")
        #expect(report.blockers.count == 1, "\(report.blockers)")
        #expect(blocker.name == breaker.check)
        #expect(blocker.detail.contains(breaker.detail), "\(blocker.detail)")

        let error = try await #require(throws: FerryError.self) {
            try await Ferry(configuration).upgrade(UpgradeOptions(force: true))
        }
        #expect(error.code == .preflightRefused)
        #expect(error.exitCode == 3)
        #expect(error.message.contains("blocker: \(breaker.check): "))
        #expect(error.changes == "Nothing was changed.")
        #expect(error.advice?.contains("--force overrides warnings only") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scenario.path)) == before)
    }

    static let warnings: [Breaker] = [
        Breaker(name: "an operating system without a version", check: "requirement os debian >= 11",
                detail: "not confirmed: the version of debian is unknown") { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease("ID=debian\nPRETTY_NAME=\"Debian trixie/sid\"\n", in: scenario)
            configuration.requirements = [try Requirement(parsing: "debian >= 11", subject: .operatingSystem)]
        },
        Breaker(name: "an operating system the requirement does not name", check: "requirement os debian >= 11 || ubuntu >= 22.04",
                detail: "this is fedora 39, which the requirement does not name") { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease("ID=fedora\nVERSION_ID=39\n", in: scenario)
            configuration.requirements = [try Requirement(parsing: "debian >= 11 || ubuntu >= 22.04", subject: .operatingSystem)]
        },
        Breaker(name: "an engine the requirement does not name", check: "requirement engine postgresql >= 14",
                detail: "which the requirement does not name") { configuration, _ in
            configuration.requirements = [try Requirement(parsing: "postgresql >= 14", subject: .engine)]
        },
        Breaker(name: "an unconfirmed component", check: "component weather 0.9",
                detail: "unconfirmed: not known to work with 0.5.0 (it is known to work with ^0.3)") { configuration, _ in
            configuration.components = [Component(name: "weather", version: "0.9", compatible: try ReleaseRange(parsing: "^0.3"))]
        },
        Breaker(name: "a component to remove after upgrading", check: "component legacy-rooms",
                detail: "to be removed after upgrading: 0.5.0 replaces it") { configuration, _ in
            configuration.components = [Component(
                name: "legacy-rooms", compatible: .any, removeAfter: try ReleaseRange(parsing: ">=0.5.0"))]
        },
        Breaker(name: "little headroom on the disk", check: "free space", detail: "keep free") { configuration, scenario in
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: scenario.folder.url.path)
            let free = try #require((attributes[.systemFreeSize] as? NSNumber)?.int64Value)
            configuration.keepFreeBytes = free * 3 / 4  // needed ≤ free < twice the need
        },
    ]

    @Test(arguments: warnings)
    func aWarningStopsTheUpgradeUnlessForced(breaker: Breaker) async throws {
        let scenario = try await Scenario(at: "0.4.0")
        var configuration = scenario.configuration
        try breaker.apply(&configuration, scenario)
        let before = try DatabaseSnapshot(path: scenario.path)

        let report = try await Ferry(configuration).check()
        #expect(report.blockers.isEmpty, "\(report.blockers)")
        let warning = try #require(report.warnings.only, "\(report.warnings)")
        #expect(warning.name == breaker.check)
        #expect(warning.detail.contains(breaker.detail), "\(warning.detail)")

        let error = try await #require(throws: FerryError.self) { try await Ferry(configuration).upgrade() }
        #expect(error.code == .preflightRefused)
        #expect(error.advice?.contains("run again with --force") == true)
        #expect(try DatabaseSnapshot(path: scenario.path) == before)

        let forced = try await Ferry(configuration).upgrade(UpgradeOptions(force: true))
        #expect(forced.to == Release(0, 5, 0))
    }

    @Test func aHealthyMachinePassesEveryCheck() async throws {
        let scenario = try await Scenario(at: "0.4.0")
        var configuration = scenario.configuration
        configuration.operatingSystemReleaseFile = try Self.osRelease(
            "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n", in: scenario)
        configuration.requirements = [
            try Requirement(parsing: "debian >= 11 || ubuntu >= 22.04", subject: .operatingSystem),
            try Requirement(parsing: "sqlite >= 3.0", subject: .engine, blocksWhenUnknown: true),
        ]
        configuration.components = [Component(name: "zigbee-bridge", version: "2.0.0", compatible: try ReleaseRange(parsing: ">=0.4.0 <0.6.0"))]
        let report = try await Ferry(configuration).check()
        #expect(report.checks.map(\.name) == [
            "upgrade path", "history", "database", "free space", "database folder", "backup folder",
            "requirement os debian >= 11 || ubuntu >= 22.04", "requirement engine sqlite >= 3.0", "component zigbee-bridge 2.0.0",
            "schema drift",
        ])
        #expect(report.checks.allSatisfy { $0.status == .ok }, "\(report.checks)")
        #expect(report.checks[0].detail == "0.4.0 → 0.5.0, in one run")
        #expect(report.refusal(force: false) == nil)
        let events = EventLog()
        try await Ferry(configuration).upgrade(onEvent: events.append)
        #expect(events.all.contains { if case .preflightCompleted = $0 { true } else { false } })
    }

    @Test func anUnreadableDatabaseIsABlockerInCheck() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("app.db", "this is not a SQLite database, it is a note").path
        let report = try await Ferry(ExampleApplication.configuration(database: path)).check()
        #expect(report.blockers.map(\.name) == ["upgrade path", "database"])
        #expect(report.blockers[1].detail.contains("file is not a database"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "this is not a SQLite database, it is a note")
    }

    @Test func checkReportsAChangedHistoryAndATooOldDatabaseAsBlockers() async throws {
        let scenario = try await Scenario(at: "0.2.0")
        try scenario.write("0.1.0/001_create_devices.sql", "-- edited after it was applied\nSELECT 1;")
        var configuration = scenario.configuration
        configuration.minimumUpgradableFrom = Release(0, 3, 0)
        let report = try await Ferry(configuration).check()
        #expect(report.blockers.map(\.name) == ["upgrade path", "history"])
        #expect(report.blockers[0].detail.hasPrefix("This database is at 0.2.0. This program (0.5.0) upgrades"))
        #expect(report.blockers[1].detail.contains("0.1.0/001_create_devices"))
        let accepted = try await Ferry(configuration).check(UpgradeOptions(allowChanged: true))
        #expect(accepted.blockers.map(\.name) == ["upgrade path"])
    }

    @Test func aFreshInstallHasNothingToReadOrBackUp() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("new.db").path
        let report = try await Ferry(ExampleApplication.configuration(database: path)).check()
        #expect(report.checks.first?.detail == "fresh install of 0.5.0")
        #expect(report.checks.first { $0.name == "database" }?.detail == "does not exist yet: a fresh install")
        #expect(report.refusal(force: false) == nil)
        #expect(!FileManager.default.fileExists(atPath: path), "check created nothing")
    }
}

extension Array {
    /// The only element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
