import Ferry
import Foundation
import Testing

/// An error's advice names a setting symbolically: an application reads the
/// Swift property it sets, the `ferry` tool its flag.
@Suite struct ErrorWordingTests {
    func migration(_ release: String, _ name: String) throws -> Migration {
        let script = SQLScript(text: "SELECT 1;", file: "\(release)/\(name).sql")
        return Migration(
            release: try Release(parsing: release), name: name, body: .sql(script),
            checksum: script.checksum)
    }

    @Test func aChangedMigrationsRefusalNamesThePropertyForTheLibraryAndTheFlagForTheTool() throws {
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
        let tool = refusal.worded(for: .tool)
        #expect(tool.advice?.contains("or pass --allow-changed to accept the files") == true)
        #expect(tool.description.contains("--allow-changed"))
        #expect(!tool.description.contains("UpgradeOptions"))
    }

    @Test func everyPartOfAnErrorIsWordedAndNoMarkIsLeft() throws {
        let error = FerryError(
            .preflightRefused, "Refused without \(.force).",
            changes: "Nothing; see \(.lockTimeout, .placeholder).",
            advice: "Run again with \(.create) or \(.noBackup).")
        #expect(
            error.description
                == "Refused without UpgradeOptions.force.\nNothing; see Configuration.lockTimeout.\n"
                + "Run again with Configuration.createsDatabase or UpgradeOptions.skipBackup.")
        #expect(
            error.worded(for: .tool).description
                == "Refused without --force.\nNothing; see --lock-timeout SECONDS.\nRun again with --create or --no-backup."
        )
        #expect(!error.description.unicodeScalars.contains { (0xE000...0xF8FF).contains($0.value) })
    }

    @Test func anEncoderAskedForTheToolsWordingWritesTheFlag() throws {
        let error = FerryError(.migrationChanged, "Changed.", advice: "Pass \(.allowChanged).")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let library = String(decoding: try encoder.encode(error), as: UTF8.self)
        #expect(library.contains("\"advice\":\"Pass UpgradeOptions.allowChanged.\""))
        encoder.userInfo[FerryError.Wording.userInfoKey] = FerryError.Wording.tool
        let tool = String(decoding: try encoder.encode(error), as: UTF8.self)
        #expect(tool.contains("\"advice\":\"Pass --allow-changed.\""))
    }
}
