import FerryTestSupport
import Testing

/// The behaviour suite on SQLite files.
@Suite("Behaviour on SQLite") struct SQLiteBehaviourTests {
    let scenarios = BehaviourScenarios(engine: .sqlite)

    @Test(arguments: ExampleApplication.releases)
    func upgradesFromAReleaseKeepingTheData(release: String) async throws {
        try await scenarios.upgradesFromAReleaseKeepingTheData(release)
    }

    @Test func aBadStatementRollsBackEveryRelease() async throws {
        try await scenarios.aBadStatementRollsBackEveryRelease()
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        try await scenarios.anEditedAppliedMigrationIsRefused()
    }

    @Test func aDatabaseFromANewerReleaseIsRefused() async throws {
        try await scenarios.aDatabaseFromANewerReleaseIsRefused()
    }

    @Test func twoUpgradersApplyEveryMigrationOnce() async throws {
        try await scenarios.twoUpgradersApplyEveryMigrationOnce()
    }

    @Test func aKilledUpgraderLeavesTheOldReleaseAndASecondRunUpgrades() async throws {
        try await scenarios.aKilledUpgraderLeavesTheOldReleaseAndASecondRunUpgrades()
    }

    @Test func aBackupIsRestoredAndADamagedOneIsRefusedBeforeAnythingChanges() async throws {
        try await scenarios.aBackupIsRestoredAndADamagedOneIsRefusedBeforeAnythingChanges()
    }

    @Test func anSQLDumpLoadsWithTheEnginesOwnShell() async throws {
        try await scenarios.anSQLDumpLoadsWithTheEnginesOwnShell()
    }

    @Test func aFailedMigrationOutsideATransactionRestoresThePreUpgradeBackup() async throws {
        try await scenarios.aFailedMigrationOutsideATransactionRestoresThePreUpgradeBackup()
    }

    @Test func aDowngradeWithoutDownScriptsRestoresThePreUpgradeBackup() async throws {
        try await scenarios.aDowngradeWithoutDownScriptsRestoresThePreUpgradeBackup()
    }

    @Test func aRehearsalUpgradesACopyAndLeavesTheDatabase() async throws {
        try await scenarios.aRehearsalUpgradesACopyAndLeavesTheDatabase()
    }
}

/// The same behaviour suite on a real PostgreSQL server (see
/// ``PostgresTestServer``): skipped, and saying so, without one; never
/// skipped on CI.
@Suite("Behaviour on PostgreSQL", .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresBehaviourTests {
    let scenarios = BehaviourScenarios(engine: .postgres)

    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    @Test(arguments: ExampleApplication.releases)
    func upgradesFromAReleaseKeepingTheData(release: String) async throws {
        try await scenarios.upgradesFromAReleaseKeepingTheData(release)
    }

    @Test func aBadStatementRollsBackEveryRelease() async throws {
        try await scenarios.aBadStatementRollsBackEveryRelease()
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        try await scenarios.anEditedAppliedMigrationIsRefused()
    }

    @Test func aDatabaseFromANewerReleaseIsRefused() async throws {
        try await scenarios.aDatabaseFromANewerReleaseIsRefused()
    }

    @Test func twoUpgradersApplyEveryMigrationOnce() async throws {
        try await scenarios.twoUpgradersApplyEveryMigrationOnce()
    }

    @Test func aKilledUpgraderLeavesTheOldReleaseAndASecondRunUpgrades() async throws {
        try await scenarios.aKilledUpgraderLeavesTheOldReleaseAndASecondRunUpgrades()
    }

    @Test func aBackupIsRestoredAndADamagedOneIsRefusedBeforeAnythingChanges() async throws {
        try await scenarios.aBackupIsRestoredAndADamagedOneIsRefusedBeforeAnythingChanges()
    }

    @Test func anSQLDumpLoadsWithTheEnginesOwnShell() async throws {
        try await scenarios.anSQLDumpLoadsWithTheEnginesOwnShell()
    }

    @Test func aFailedMigrationOutsideATransactionRestoresThePreUpgradeBackup() async throws {
        try await scenarios.aFailedMigrationOutsideATransactionRestoresThePreUpgradeBackup()
    }

    @Test func aDowngradeWithoutDownScriptsRestoresThePreUpgradeBackup() async throws {
        try await scenarios.aDowngradeWithoutDownScriptsRestoresThePreUpgradeBackup()
    }

    @Test func aRehearsalUpgradesACopyAndLeavesTheDatabase() async throws {
        try await scenarios.aRehearsalUpgradesACopyAndLeavesTheDatabase()
    }
}
