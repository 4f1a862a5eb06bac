import FerryTestSupport
import Foundation
import Testing

/// Options with a closed set of values or a typed value are refused by the
/// parser: a usage error (exit 2) that names the allowed values or the
/// expected form, before anything is read or changed.
@Suite struct OptionValueTests {
    @Test(arguments: [
        (
            ["upgrade", "--transaction-mode", "sometimes"],
            "The value 'sometimes' is invalid for '--transaction-mode <mode>'. Please provide one of 'upgrade' and 'migration'."
        ),
        (
            ["plan", "--transaction-mode", "each"],
            "The value 'each' is invalid for '--transaction-mode <mode>'. Please provide one of 'upgrade' and 'migration'."
        ),
        (
            ["upgrade", "--backup-check", "fast"],
            "The value 'fast' is invalid for '--backup-check <level>'. Please provide one of 'full' and 'quick'."
        ),
        (
            ["restore", "--latest", "--yes", "--backup-check", "none"],
            "The value 'none' is invalid for '--backup-check <level>'. Please provide one of 'full' and 'quick'."
        ),
        (["backup", "--format", "zip"], "Please provide one of 'native', 'sql' or 'sqlite'."),
        (
            ["upgrade", "--to", "1.x"],
            "The value '1.x' is invalid for '--to <version>': '1.x' is not a release: expected a semantic version"
        ),
        (["plan", "--to", "latest"], "'latest' is not a release"),
        (["check", "--to", "five"], "'five' is not a release"),
        (["downgrade", "--to", "0.3.0'; DROP TABLE devices; --", "--yes"], "is not a release"),
        (["restore", "--before-upgrade-to", "v", "--yes"], "'v' is not a release"),
        (
            ["upgrade", "--lock-timeout", "soon"],
            "The value 'soon' is invalid for '--lock-timeout <seconds>': --lock-timeout soon is not a number: "
                + "it must be a number of seconds from 0 to 31536000"
        ),
        (["upgrade", "--lock-timeout=-1"], "--lock-timeout -1.0 is out of range"),
    ])
    func aBadValueIsAUsageErrorNamingWhatIsAllowed(arguments: [String], expected: String)
        async throws
    {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path)
        let before = try DatabaseSnapshot(path: path)
        let backups = folder.url.appendingPathComponent("backups")
        let common = [
            "--database", path, "--migrations", ExampleApplication.migrations.path, "--backups",
            backups.path,
        ]

        let output = try await FerryProcess.run(arguments + common, in: folder.url)
        #expect(output.status == 2, "\(output)")
        #expect(output.stderr.contains(expected), "\(output)")
        #expect(!output.stderr.contains("Fatal error"), "\(output)")
        #expect(try DatabaseSnapshot(path: path) == before, "a refused option changes nothing")
        #expect(!FileManager.default.fileExists(atPath: backups.path), "and takes no backup")
    }

    @Test func theAllowedValuesAreAcceptedInAnyCase() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path)
        let common = ["--database", path, "--migrations", ExampleApplication.migrations.path]

        let plan = try await FerryProcess.run(
            ["plan", "--transaction-mode", "Migration", "--to", "v0.5.0"] + common)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("One transaction per migration"))
        let upgrade = try await FerryProcess.run(
            [
                "upgrade", "--backup-check", "QUICK", "--lock-timeout", "0", "--to", "0.5.0",
                "--json",
            ] + common)
        #expect(upgrade.status == 0, "\(upgrade)")
        let catalog = folder.url.appendingPathComponent("backups")
        let manifests = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter {
            $0.hasSuffix(".json")
        }
        let manifest = try #require(
            manifests.only.map { catalog.appendingPathComponent($0) }, "\(manifests)")
        let check =
            try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any]
        #expect(
            check?["check"] as? String == "quick",
            "the manifest records the check the option asked for")
    }
}
