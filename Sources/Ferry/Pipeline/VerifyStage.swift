import Foundation

/// Step 7 of the upgrade pipeline, verify: integrity and foreign keys, each
/// migration's verify script, the declared invariants, at the end of the
/// last transaction before it commits. A failure rolls everything back.
struct VerifyStage {
    /// The checks, with the row counts that `preserve` invariants compare
    /// once they are read.
    private(set) var verification: Verification

    /// Prepares the checks of an upgrade: which verify scripts run.
    init(_ plan: Plan, catalog: MigrationCatalog, invariants: [Invariant]) {
        let appliedIDs = Set(plan.database.applied.map(\.id) + plan.pending.map(\.id))
        verification = Verification(
            catalog: catalog, appliedIDs: appliedIDs, invariants: invariants,
            release: plan.targetRelease)
    }

    /// Reads the row counts that `preserve` invariants compare, once, at
    /// the start of the upgrade's first transaction and after locking those
    /// tables against writes: counted earlier (before the backup), the
    /// application's writes meanwhile would make the counts differ and roll
    /// a sound upgrade back. When the first migration runs outside any
    /// transaction, they are counted just before it, without a lock.
    mutating func countRowsBefore(
        in session: any MigrationSession, hadDatabase: Bool, lockingWriters: Bool
    ) async throws {
        let tables = verification.preservedTables
        guard !tables.isEmpty, verification.countsBefore == nil else { return }
        guard hadDatabase else {
            verification.countsBefore = [:]
            return
        }
        if lockingWriters { try await session.lockAgainstWrites(tables) }
        verification.countsBefore = try await session.rowCounts()
    }

    /// Runs the checks and reports them.
    ///
    /// - Throws: ``FerryError`` naming the checks that failed; the
    ///   transaction then rolls back.
    func run(in session: any MigrationSession, emit: @Sendable (UpgradeEvent) -> Void) async throws
    {
        let report = await verification.run(on: session)
        emit(.verificationCompleted(report))
        if let failure = report.failure { throw failure }
    }
}
