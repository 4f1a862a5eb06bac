import Ferry
import FerryTestSupport
import Foundation
import Testing

/// An error's advice names a setting or a command symbolically: an
/// application reads the Swift property it sets or the call it makes, and a
/// program that shows errors in its own words (the `ferry` tool) supplies a
/// wording of its own.
@Suite struct ErrorWordingTests {
    /// A reader's own words, to tell what each mark stands for.
    static let angled = FerryError.Wording { remedy in
        switch remedy {
        case .setting(let setting, let value):
            switch value {
            case nil: return "<\(setting.name)>"
            case .placeholder: return "<\(setting.name) VALUE>"
            case .given(let given, _): return "<\(setting.name) \(given)>"
            }
        case .command(let command, let form):
            let words = ([command.name] + command.arguments).joined(separator: " ")
            return form == .run ? "<run \(words)>" : "<\(words)>"
        }
    }

    func migration(_ release: String, _ name: String) throws -> Migration {
        let script = SQLScript(text: "SELECT 1;", file: "\(release)/\(name).sql")
        return Migration(
            release: try Release(parsing: release), name: name, body: .sql(script),
            checksum: script.checksum)
    }

    @Test func aChangedMigrationsRefusalNamesThePropertyForTheLibraryAndTheSettingForAReader()
        throws
    {
        let first = try migration("0.1.0", "001_a")
        let catalog = try MigrationCatalog(migrations: [first], releases: [Release(0, 2, 0)])
        let state = DatabaseState(
            exists: true, release: Release(0, 1, 0), updatedAt: Date(),
            applied: [
                AppliedMigration(
                    id: first.id, release: .release(first.release), name: first.name,
                    checksum: "0000",
                    appliedAt: Date(), duration: 0.01, appliedBy: "test", kind: "sql", sequence: 1)
            ])
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: Release(0, 2, 0))
        let refusal = try #require(plan.refusal(allowingChanged: false))
        #expect(
            refusal.advice?.contains("or pass UpgradeOptions.allowChanged to accept the files")
                == true)
        #expect(!refusal.description.contains("--allow-changed"))
        let read = refusal.worded(for: Self.angled)
        #expect(read.advice?.contains("or pass <allowChanged> to accept the files") == true)
        #expect(!read.description.contains("UpgradeOptions"))
    }

    @Test func everyPartOfAnErrorIsWordedAndNoMarkIsLeft() throws {
        let error = FerryError(
            .preflightRefused, "Refused without \(.force).",
            changes: "Nothing; see \(.lockTimeout, .placeholder).",
            advice: "Run again with \(.create) or \(.noBackup), or \(run: .restore("b1")).")
        #expect(
            error.description
                == "Refused without UpgradeOptions.force.\nNothing; see Configuration.lockTimeout.\n"
                + "Run again with Configuration.createsDatabase or UpgradeOptions.skipBackup, "
                + "or Ferry.restore(_:) with the backup b1.")
        #expect(
            error.worded(for: Self.angled).description
                == "Refused without <force>.\nNothing; see <lockTimeout VALUE>.\n"
                + "Run again with <create> or <noBackup>, or <run restore b1>.")
        for wording in [FerryError.Wording.library, Self.angled] {
            let text = error.worded(for: wording).description
            #expect(!text.unicodeScalars.contains { (0xE000...0xF8FF).contains($0.value) })
        }
    }

    @Test func commandsReadAsTheCallsAnApplicationMakes() throws {
        let release = Release(0, 3, 0)
        let text =
            "\(run: .backups); \(run: .backup); \(run: .restore()); \(named: .downgrade(to: release)); "
            + "\(run: .verify); \(run: .status); \(named: .testPaths); "
            + "\(.backupBeforeUpgrade, .given("0.5.0")); \(.latestBackup); \(.backupCheck, .given("quick", swift: ".quick"))"
        let error = FerryError(.backupNotFound, text)
        #expect(
            error.message
                == "Ferry.backups(); Ferry.backup(); Ferry.restore(_:); "
                + "Ferry.downgrade(_:) with Ferry.downgradePlan(to: 0.3.0); Ferry.verify(); "
                + "Ferry.status(); Ferry.testUpgradePaths(); "
                + "BackupSelection.beforeUpgrade(to: 0.5.0); BackupSelection.latest; "
                + "Configuration.backupCheck = .quick")
        #expect(
            error.worded(for: Self.angled).message
                == "<run backups>; <run backup>; <run restore>; <downgrade 0.3.0>; <run verify>; "
                + "<run status>; <testPaths>; <backupBeforeUpgrade 0.5.0>; <latestBackup>; "
                + "<backupCheck quick>")
    }

    @Test func aMessageThatNamesTheFileKeepsTheMarksOfTheErrorItWraps() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("ferry.toml", "[backups]\ncheck = \"thorough\"\n")
        let error = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(error.message.contains("Configuration.backupCheck)"))
        #expect(error.worded(for: Self.angled).message.contains(", <backupCheck>)."))
        #expect(error.worded(for: Self.angled).message.contains("ferry.toml"))
    }

    @Test func anEncoderAskedForAWordingWritesItsWords() throws {
        let error = FerryError(.migrationChanged, "Changed.", advice: "Pass \(.allowChanged).")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let library = String(decoding: try encoder.encode(error), as: UTF8.self)
        #expect(library.contains("\"advice\":\"Pass UpgradeOptions.allowChanged.\""))
        encoder.userInfo[FerryError.Wording.userInfoKey] = Self.angled
        let read = String(decoding: try encoder.encode(error), as: UTF8.self)
        #expect(read.contains("\"advice\":\"Pass <allowChanged>.\""))
    }
}
