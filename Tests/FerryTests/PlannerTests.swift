import Ferry
import Foundation
import Testing

@Suite struct PlannerTests {
    func migration(_ release: String, _ name: String, _ sql: String = "SELECT 1;") throws
        -> Migration
    {
        let script = SQLScript(text: sql, file: "\(release)/\(name).sql")
        return Migration(
            release: try Release(parsing: release), name: name, body: .sql(script),
            checksum: script.checksum)
    }

    func applied(_ migration: Migration, sequence: Int, checksum: String? = nil) -> AppliedMigration
    {
        AppliedMigration(
            id: migration.id, release: .release(migration.release), name: migration.name,
            checksum: checksum ?? migration.checksum, appliedAt: Date(), duration: 0.01,
            appliedBy: "test",
            kind: "sql", sequence: sequence)
    }

    func catalog() throws -> MigrationCatalog {
        try MigrationCatalog(
            migrations: [
                try migration("0.1.0", "001_a"), try migration("0.2.0", "001_b"),
                try migration("0.2.0", "002_c"),
                try migration("0.3.0", "001_d"),
            ],
            releases: [Release(0, 4, 0)])
    }

    @Test func plansEveryPendingReleaseInOrder() throws {
        let catalog = try catalog()
        let state = DatabaseState(
            exists: true, release: Release(0, 1, 0), updatedAt: Date(),
            applied: [applied(catalog.migrations[0], sequence: 1)])
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: Release(0, 4, 0))
        #expect(plan.pending.map(\.id) == ["0.2.0/001_b", "0.2.0/002_c", "0.3.0/001_d"])
        #expect(plan.summary == "Found 3 pending migrations in 2 releases (0.1.0 → 0.4.0)")
        #expect(plan.refusal(allowingChanged: false) == nil)
        #expect(!plan.isUpToDate)
    }

    @Test func plansUpToATarget() throws {
        let plan = try Planner.plan(
            catalog: try catalog(), state: .missing, programRelease: Release(0, 4, 0),
            target: Release(0, 2, 0))
        #expect(plan.pending.map(\.id) == ["0.1.0/001_a", "0.2.0/001_b", "0.2.0/002_c"])
        #expect(plan.isFreshInstall)
        #expect(plan.targetRelease == Release(0, 2, 0))
    }

    @Test func stampsAReleaseWithoutMigrations() throws {
        let catalog = try catalog()
        let state = DatabaseState(
            exists: true, release: Release(0, 3, 0), updatedAt: Date(),
            applied: catalog.migrations.enumerated().map { applied($1, sequence: $0 + 1) })
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: Release(0, 4, 0))
        #expect(plan.pending.isEmpty)
        #expect(plan.needsStamp)
        #expect(!plan.isUpToDate)
    }

    @Test func refusesANewerDatabase() throws {
        let state = DatabaseState(
            exists: true, release: Release(0, 9, 0), updatedAt: Date(), applied: [])
        let plan = try Planner.plan(
            catalog: try catalog(), state: state, programRelease: Release(0, 4, 0))
        let refusal = try #require(plan.refusal(allowingChanged: true))
        #expect(refusal.code == .databaseIsNewer)
        #expect(refusal.category == .refused)
        #expect(refusal.message.contains("0.9.0"))
    }

    @Test func refusesChangedMissingAndOutOfOrderMigrations() throws {
        let catalog = try catalog()
        let gone = try migration("0.1.0", "009_gone")
        let state = DatabaseState(
            exists: true, release: Release(0, 2, 0), updatedAt: Date(),
            applied: [
                applied(catalog.migrations[0], sequence: 1, checksum: "0000"),
                applied(catalog.migrations[1], sequence: 2),
                applied(gone, sequence: 3),
            ])
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: Release(0, 4, 0))
        #expect(plan.changed.map(\.applied.id) == ["0.1.0/001_a"])
        #expect(plan.missing.map(\.id) == ["0.1.0/009_gone"])
        #expect(plan.outOfOrder.map(\.id) == ["0.2.0/002_c"])
        #expect(plan.refusal(allowingChanged: false)?.code == .migrationChanged)
        #expect(plan.refusal(allowingChanged: true) == nil)
    }

    @Test func refusesTargetsItCannotReach() throws {
        let catalog = try catalog()
        let atThree = DatabaseState(
            exists: true, release: Release(0, 3, 0), updatedAt: Date(), applied: [])
        for (target, state) in [
            (Release(0, 5, 0), DatabaseState.missing), (Release(0, 2, 5), .missing),
            (Release(0, 2, 0), atThree),
        ] {
            let error = try #require(throws: FerryError.self) {
                try Planner.plan(
                    catalog: catalog, state: state, programRelease: Release(0, 4, 0), target: target
                )
            }
            #expect(error.code == .invalidTarget)
        }
    }
}
