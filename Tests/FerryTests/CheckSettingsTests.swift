import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The tables preflight and verification read from ferry.toml.
@Suite struct CheckSettingsTests {
    @Test func readsVerifyRequirementComponentAndPreflightTables() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml",
            """
            [database]
            url = "app.db"
            fixtures = "samples"

            [preflight]
            keep_free_mb = 250
            os_release = "etc/os-release"

            [[verify]]
            name = "no orphan sensors"
            query = "SELECT count(*) FROM sensors WHERE device_id NOT IN (SELECT id FROM devices)"
            expect = 0
            releases = ">=0.4.0"

            [[verify]]
            query = "SELECT count(*) > 0 FROM devices"

            [[verify]]
            preserve = ["machines -> servers", "devices"]

            [[requirement]]
            os = "debian >= 11 || ubuntu >= 22.04"

            [[requirement]]
            engine = "sqlite >= 3.35"
            unknown = "blocker"

            [[component]]
            name = "zigbee-bridge"
            version = "2.4.1"
            compatible = ">=0.3.0 <0.6.0"
            remove_before = ">=0.6.0"
            """)
        let settings = try Settings.file(at: file)
        let base = folder.url.standardizedFileURL.path
        #expect(settings.fixtures == base + "/samples")
        #expect(settings.keepFreeMB == 250)
        #expect(settings.osRelease == base + "/etc/os-release")

        let invariants = try #require(settings.invariants)
        #expect(
            invariants.map(\.name) == [
                "no orphan sensors", "SELECT count(*) > 0 FROM devices",
                "rows of machines preserved in servers",
                "rows of devices preserved",
            ])
        #expect(
            invariants[0].check
                == .query(
                    sql:
                        "SELECT count(*) FROM sensors WHERE device_id NOT IN (SELECT id FROM devices)",
                    expected: "0"))
        #expect(
            invariants[0].releases.contains(Release(0, 4, 0))
                && !invariants[0].releases.contains(Release(0, 3, 9)))
        #expect(
            invariants[1].check == .query(sql: "SELECT count(*) > 0 FROM devices", expected: nil))
        #expect(invariants[2].check == .preserve(from: "machines", to: "servers"))
        #expect(invariants[3].check == .preserve(from: "devices", to: "devices"))

        let requirements = try #require(settings.requirements)
        #expect(requirements.map(\.subject) == [.operatingSystem, .engine])
        #expect(requirements[0].alternatives.map(\.name) == ["debian", "ubuntu"])
        #expect(requirements.map(\.blocksWhenUnknown) == [false, true])

        let component = try #require(settings.components?.only)
        #expect(component.state(for: Release(0, 5, 0)) == .compatible)
        #expect(component.state(for: Release(0, 6, 0)) == .obsolete)
        #expect(component.state(for: Release(0, 2, 0)) == .unconfirmed)

        let configuration = try settings.overridden(
            by: try Settings.environment(["FERRY_KEEP_FREE_MB": "7"])
        )
        .configuration { _, _ in NoEngine() }
        #expect(configuration.keepFreeBytes == 7_000_000)
        #expect(configuration.invariants.count == 4)
        #expect(configuration.operatingSystemReleaseFile.path == base + "/etc/os-release")
        #expect(configuration.fixturesDirectory?.path == base + "/samples")
    }

    @Test func requirementsJudgeKnownAndUnknownValues() throws {
        let requirement = try Requirement(
            parsing: "debian >= 11 || ubuntu >= 22.04", subject: .operatingSystem)
        #expect(requirement.check(name: "ubuntu", version: "24.04").status == .ok)
        #expect(requirement.check(name: "Debian", version: "12").status == .ok)
        #expect(requirement.check(name: "debian", version: "10").status == .blocker)
        #expect(requirement.check(name: "alpine", version: "3.19.1").status == .warning)
        #expect(requirement.check(name: "debian", version: nil).status == .warning)
        #expect(
            requirement.check(name: "debian", version: "trixie").detail.contains(
                "is not a version number"))
        #expect(
            requirement.check(name: nil, version: nil, unknownReason: "no file").detail
                == "not confirmed: no file")
        let any = try Requirement(parsing: "sqlite", subject: .engine, blocksWhenUnknown: true)
        #expect(any.check(name: "sqlite", version: "3.46.1").status == .ok)
        #expect(any.check(name: "postgresql", version: "16.2").status == .blocker)
        #expect(throws: FerryError.self) {
            try Requirement(parsing: ">= 11", subject: .operatingSystem)
        }
    }

    @Test func readsOperatingSystemReleaseFiles() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "os-release",
            """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            # a comment
            ID=debian
            VERSION_ID="12"
            """)
        #expect(
            OperatingSystemRelease(contentsOf: file)
                == OperatingSystemRelease(
                    id: "debian", versionID: "12", prettyName: "Debian GNU/Linux 12 (bookworm)"))
        #expect(
            OperatingSystemRelease(contentsOf: folder.url.appendingPathComponent("missing")) == nil)
    }
}

extension Array {
    var only: Element? { count == 1 ? first : nil }
}

@Suite struct KeepFreeTests {
    @Test func anAbsurdReserveIsAUsageErrorNotAnOverflow() throws {
        let error = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_KEEP_FREE_MB": "9223372036854775807"])
        }
        #expect(error.category == .usage)
        #expect(error.message.contains("from 0 to 1000000000"))
    }
}
