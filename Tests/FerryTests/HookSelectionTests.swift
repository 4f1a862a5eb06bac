import Ferry
import FerryTestSupport
import Foundation
import Testing

@Suite struct HookSelectionTests {
    /// Hooks in a migrations folder, as files with headers.
    func catalog(_ hooks: [String: String]) throws -> (MigrationCatalog, TemporaryFolder) {
        let folder = try TemporaryFolder()
        for release in ["0.5.0", "0.6.4", "0.7.0", "1.0.0", "1.1.0"] {
            try folder.write("migrations/\(release)/001_step.sql", "SELECT 1;")
        }
        for (name, header) in hooks {
            try folder.write("migrations/hooks/\(name).sql", header + "\nSELECT 1;")
        }
        return (
            try MigrationCatalog(
                folder: folder.url.appendingPathComponent("migrations"), registry: .init()), folder
        )
    }

    @Test(arguments: [
        // from, to, hooks that run, in order
        ("0.5.0", "1.0.0", ["001_old_to_one", "002_any_to_one", "010_every_upgrade"]),
        ("0.6.4", "1.0.0", ["002_any_to_one", "010_every_upgrade"]),
        ("0.5.0", "0.7.0", ["003_within_zero", "010_every_upgrade"]),
        ("0.7.0", "1.1.0", ["002_any_to_one", "010_every_upgrade", "020_prerelease_or_one_one"]),
        (
            "1.0.0-rc.1", "1.0.0",
            ["002_any_to_one", "010_every_upgrade", "020_prerelease_or_one_one"]
        ),
        ("1.0.0", "1.1.0", ["002_any_to_one", "010_every_upgrade", "020_prerelease_or_one_one"]),
        ("0.7.0", "2.0.0", ["010_every_upgrade"]),
    ])
    func hooksRunWhenBothRangesMatch(from: String, to: String, expected: [String]) throws {
        let (catalog, _) = try catalog([
            "010_every_upgrade": "-- ferry:from *\n-- ferry:to *",
            "001_old_to_one": "-- ferry:from <0.6.4\n-- ferry:to >=1.0.0",
            "002_any_to_one": "-- ferry:from *\n-- ferry:to ^1.0",
            "003_within_zero": "-- ferry:from >0.4.0 <0.6.0\n-- ferry:to 0.7.x",
            "020_prerelease_or_one_one":
                "-- ferry:from >=1.0.0-alpha <1.0.0 || >=0.7.0\n-- ferry:to =1.0.0 || ~1.1",
        ])
        let origin = try Release(parsing: from)
        let destination = try Release(parsing: to)
        #expect(
            catalog.hooks.filter { $0.runs(from: origin, to: destination) }.map(\.name) == expected)
    }

    @Test func noHookRunsOnAFreshInstallOrWithoutAReleaseChange() throws {
        let (catalog, _) = try catalog(["001_always": "-- ferry:from *\n-- ferry:to *"])
        let fresh = try Planner.plan(
            catalog: catalog, state: .missing, programRelease: Release(1, 1, 0))
        #expect(fresh.isFreshInstall)
        #expect(fresh.hooks.isEmpty)
        #expect(!catalog.hooks[0].runs(from: Release(1, 0, 0), to: Release(1, 0, 0)))
        let upgrade = try Planner.plan(
            catalog: catalog,
            state: DatabaseState(
                exists: true, release: Release(0, 5, 0), updatedAt: nil, applied: []),
            programRelease: Release(1, 1, 0))
        #expect(upgrade.hooks.map(\.id) == ["hooks/001_always"])
    }

    @Test func swiftAndFileHooksShareOneOrder() throws {
        let folder = try TemporaryFolder()
        try folder.write("migrations/1.0.0/001_step.sql", "SELECT 1;")
        try folder.write(
            "migrations/hooks/002_file.sql", "-- ferry:from *\n-- ferry:to *\nSELECT 1;")
        var hooks = HookRegistry()
        try hooks.onUpgrade(from: "*", to: "*", name: "003_swift") { _ in }
        try hooks.onUpgrade(from: "*", to: "*", name: "001_swift") { _ in }
        let catalog = try MigrationCatalog(
            folder: folder.url.appendingPathComponent("migrations"), registry: .init(), hooks: hooks
        )
        #expect(catalog.hooks.map(\.name) == ["001_swift", "002_file", "003_swift"])

        try hooks.onUpgrade(from: "*", to: "*", name: "002_file") { _ in }
        let twice = try #require(throws: FerryError.self) {
            try MigrationCatalog(
                folder: folder.url.appendingPathComponent("migrations"), registry: .init(),
                hooks: hooks)
        }
        #expect(twice.message.contains("Hook 002_file is defined twice"))
    }

    @Test(arguments: [
        ("-- ferry:from <0.6.4", "lacks '-- ferry:to RANGE'"),
        ("-- ferry:to >=1.0.0", "lacks '-- ferry:from RANGE'"),
        (
            "-- ferry:from <0.6.x.1\n-- ferry:to *",
            "hooks/001_bad.sql, ferry:from: '<0.6.x.1' is not a release range"
        ),
        (
            "-- ferry:from *\n-- ferry:to *\n-- ferry:no-transaction",
            "unknown option 'ferry:no-transaction'"
        ),
    ])
    func malformedHookFilesAreRefusedWhenTheFolderIsRead(header: String, expected: String) throws {
        let folder = try TemporaryFolder()
        try folder.write("migrations/1.0.0/001_step.sql", "SELECT 1;")
        try folder.write("migrations/hooks/001_bad.sql", header + "\nSELECT 1;")
        let error = try #require(throws: FerryError.self) {
            try MigrationCatalog(
                folder: folder.url.appendingPathComponent("migrations"), registry: .init())
        }
        #expect(error.category == .usage)
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test func aSwiftHookWithAMalformedRangeIsRefusedAtRegistration() throws {
        var hooks = HookRegistry()
        let error = try #require(throws: FerryError.self) {
            try hooks.onUpgrade(from: "<0.6.4", to: ">=1.0.0 ||", name: "001_x") { _ in }
        }
        #expect(error.code == .invalidRange)
        #expect(hooks.hooks.isEmpty)
    }
}
