import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Preflight, the first stage of every upgrade, on every engine: each blocker
/// and warning made to happen, then the database re-read to prove nothing changed.
extension BehaviourTests {
    /// A change to the configuration (or the machine) that preflight must notice.
    struct Breaker: Sendable, CustomTestStringConvertible {
        let name: String
        /// The engines it applies to: a corrupted page is SQLite's, an engine's name its own.
        var engines = TestEngine.allCases
        let check: String
        let detail: String
        let apply: @Sendable (inout Ferry.Configuration, ExampleScenario) throws -> Void
        var testDescription: String { name }

        /// Each breaker with each engine under test that it applies to.
        static func cases(_ breakers: [Breaker]) -> [(TestEngine, Breaker)] {
            breakers.flatMap { breaker in
                TestEngine.underTest.filter(breaker.engines.contains).map { ($0, breaker) }
            }
        }
    }

    static func osRelease(_ text: String, in scenario: ExampleScenario) throws -> URL {
        try scenario.folder.write("os-release", text)
    }

    static let blockers: [Breaker] = [
        Breaker(
            name: "an operating system too old", check: "requirement os debian >= 11",
            detail: "debian 10 is too old or too new"
        ) { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease(
                "ID=debian\nVERSION_ID=\"10\"\n", in: scenario)
            configuration.requirements = [
                try Requirement(parsing: "debian >= 11", subject: .operatingSystem)
            ]
        },
        Breaker(
            name: "an unknown operating system declared a blocker",
            check: "requirement os debian >= 11",
            detail: "not confirmed: "
        ) { configuration, scenario in
            configuration.operatingSystemReleaseFile = scenario.folder.url.appendingPathComponent(
                "no-such-file")
            configuration.requirements = [
                try Requirement(
                    parsing: "debian >= 11", subject: .operatingSystem, blocksWhenUnknown: true)
            ]
        },
        Breaker(
            name: "SQLite too old", engines: [.sqlite], check: "requirement engine sqlite >= 99",
            detail: "is too old or too new"
        ) { configuration, _ in
            configuration.requirements = [
                try Requirement(parsing: "sqlite >= 99", subject: .engine)
            ]
        },
        Breaker(
            name: "PostgreSQL too old", engines: [.postgres],
            check: "requirement engine postgresql >= 99",
            detail: "is too old or too new"
        ) { configuration, _ in
            configuration.requirements = [
                try Requirement(parsing: "postgresql >= 99", subject: .engine)
            ]
        },
        Breaker(
            name: "an obsolete component", check: "component zigbee-bridge 1.2.0",
            detail: "obsolete: 0.5.0 cannot run with it; remove it before upgrading"
        ) { configuration, _ in
            configuration.components = [
                Component(
                    name: "zigbee-bridge", version: "1.2.0",
                    compatible: try ReleaseRange(parsing: "<0.5.0"),
                    removeBefore: try ReleaseRange(parsing: ">=0.5.0"))
            ]
        },
        Breaker(
            name: "a backup folder that is a file", check: "backup folder",
            detail: "is a file, not a folder"
        ) {
            configuration, scenario in
            configuration.backupsDirectory = try scenario.folder.write(
                "backups-file", "not a folder")
        },
        // A server's free space is its data folder's as well as the backup folder's: two blockers,
        // made to happen in PostgresBackupTests.anUpgradeWhoseBackupHasNoRoomIsRefusedInPreflight.
        Breaker(
            name: "too little free space", engines: [.sqlite], check: "free space",
            detail: "keep free 1000000.0 TB"
        ) { configuration, _ in
            configuration.keepFreeBytes = 1_000_000_000_000_000_000
        },
        Breaker(
            name: "a corrupted page", engines: [.sqlite], check: "database",
            detail: "quick integrity check failed"
        ) { _, scenario in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: scenario.path))
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size - 8192)
            try handle.write(contentsOf: Data(repeating: 0x55, count: 8192))
            try handle.close()
        },
    ]

    @Test(arguments: Breaker.cases(blockers))
    func aBlockerStopsTheUpgradeEvenWithForce(engine: TestEngine, breaker: Breaker) async throws {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            var configuration = scenario.configuration
            try breaker.apply(&configuration, scenario)
            let before = try await StoredContents(of: scenario)

            let report = try await Ferry(configuration).check()
            let blocker = try #require(report.blockers.first, "\(report.checks)")
            #expect(report.blockers.count == 1, "\(report.blockers)")
            #expect(blocker.name == breaker.check)
            #expect(blocker.detail.contains(breaker.detail), "\(blocker.detail)")

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(UpgradeOptions(force: true))
            }
            #expect(error.code == .preflightRefused)
            #expect(error.category == .refused)
            #expect(error.message.contains("blocker: \(breaker.check): "))
            #expect(error.changes == "Nothing was changed.")
            #expect(error.advice?.contains("UpgradeOptions.force overrides warnings only") == true)
            #expect(try await StoredContents(of: scenario) == before)
        }
    }

    static let warnings: [Breaker] = [
        Breaker(
            name: "an operating system without a version", check: "requirement os debian >= 11",
            detail: "not confirmed: the version of debian is unknown"
        ) { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease(
                "ID=debian\nPRETTY_NAME=\"Debian trixie/sid\"\n", in: scenario)
            configuration.requirements = [
                try Requirement(parsing: "debian >= 11", subject: .operatingSystem)
            ]
        },
        Breaker(
            name: "an operating system the requirement does not name",
            check: "requirement os debian >= 11 || ubuntu >= 22.04",
            detail: "this is fedora 39, which the requirement does not name"
        ) { configuration, scenario in
            configuration.operatingSystemReleaseFile = try osRelease(
                "ID=fedora\nVERSION_ID=39\n", in: scenario)
            configuration.requirements = [
                try Requirement(
                    parsing: "debian >= 11 || ubuntu >= 22.04", subject: .operatingSystem)
            ]
        },
        Breaker(
            name: "SQLite, which the requirement does not name", engines: [.sqlite],
            check: "requirement engine postgresql >= 14",
            detail: "which the requirement does not name"
        ) { configuration, _ in
            configuration.requirements = [
                try Requirement(parsing: "postgresql >= 14", subject: .engine)
            ]
        },
        Breaker(
            name: "PostgreSQL, which the requirement does not name", engines: [.postgres],
            check: "requirement engine sqlite >= 3.35",
            detail: "which the requirement does not name"
        ) { configuration, _ in
            configuration.requirements = [
                try Requirement(parsing: "sqlite >= 3.35", subject: .engine)
            ]
        },
        Breaker(
            name: "an unconfirmed component", check: "component weather 0.9",
            detail: "unconfirmed: not known to work with 0.5.0 (it is known to work with ^0.3)"
        ) { configuration, _ in
            configuration.components = [
                Component(
                    name: "weather", version: "0.9", compatible: try ReleaseRange(parsing: "^0.3"))
            ]
        },
        Breaker(
            name: "a component to remove after upgrading", check: "component legacy-rooms",
            detail: "to be removed after upgrading: 0.5.0 replaces it"
        ) { configuration, _ in
            configuration.components = [
                Component(
                    name: "legacy-rooms", compatible: .any,
                    removeAfter: try ReleaseRange(parsing: ">=0.5.0"))
            ]
        },
        // The free space of a SQLite file's folder; a server's is its data folder's.
        Breaker(
            name: "little headroom on the disk", engines: [.sqlite], check: "free space",
            detail: "keep free"
        ) {
            configuration, scenario in
            let attributes = try FileManager.default.attributesOfFileSystem(
                forPath: scenario.folder.url.path)
            let free = try #require((attributes[.systemFreeSize] as? NSNumber)?.int64Value)
            configuration.keepFreeBytes = free * 3 / 4  // needed ≤ free < twice the need
        },
    ]

    @Test(arguments: Breaker.cases(warnings))
    func aWarningStopsTheUpgradeUnlessForced(engine: TestEngine, breaker: Breaker) async throws {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            var configuration = scenario.configuration
            try breaker.apply(&configuration, scenario)
            let before = try await scenario.snapshot()

            let report = try await Ferry(configuration).check()
            #expect(report.blockers.isEmpty, "\(report.blockers)")
            let warning = try #require(report.warnings.only, "\(report.warnings)")
            #expect(warning.name == breaker.check)
            #expect(warning.detail.contains(breaker.detail), "\(warning.detail)")

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }
            #expect(error.code == .preflightRefused)
            #expect(error.advice?.contains("run again with UpgradeOptions.force") == true)
            #expect(try await scenario.snapshot() == before)

            let forced = try await Ferry(configuration).upgrade(UpgradeOptions(force: true))
            #expect(forced.to == Release(0, 5, 0))
        }
    }

    @Test(arguments: TestEngine.underTest)
    func checkReportsAChangedHistoryAndATooOldDatabaseAsBlockers(engine: TestEngine) async throws {
        try await withExample(at: "0.2.0", on: engine) { scenario in
            try scenario.write(
                "0.1.0/001_create_devices.sql", "-- edited after it was applied\nSELECT 1;")
            var configuration = scenario.configuration
            configuration.minimumUpgradableFrom = Release(0, 3, 0)
            let report = try await Ferry(configuration).check()
            #expect(report.blockers.map(\.name) == ["upgrade path", "history"])
            #expect(
                report.blockers.first?.detail.hasPrefix(
                    "This database is at 0.2.0. This program (0.5.0) upgrades")
                    == true)
            #expect(report.blockers.last?.detail.contains("0.1.0/001_create_devices") == true)
            let accepted = try await Ferry(configuration).check(UpgradeOptions(allowChanged: true))
            #expect(accepted.blockers.map(\.name) == ["upgrade path"])
        }
    }
}

/// What a refusal must leave as it was: a SQLite file byte for byte (a
/// corrupted one cannot be read row by row), a PostgreSQL database's schema and rows.
private enum StoredContents: Equatable {
    case bytes(Data)
    case snapshot(DatabaseSnapshot)

    init(of scenario: ExampleScenario) async throws {
        switch scenario.engine {
        case .sqlite: self = .bytes(try Data(contentsOf: URL(fileURLWithPath: scenario.path)))
        case .postgres: self = .snapshot(try await scenario.snapshot())
        }
    }
}
