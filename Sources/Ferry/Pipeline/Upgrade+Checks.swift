import Foundation

/// The stages of the pipeline around the migrations: preflight before
/// them; hooks, the release stamp and verification at the end of the last
/// transaction, before its commit.
extension Upgrade {
    /// Runs preflight under the lock and refuses, with nothing changed, on a
    /// blocker, or on a warning without `force`.
    ///
    /// - Throws: ``FerryError`` (code `preflightRefused`).
    func preflight(_ plan: Plan, catalog: MigrationCatalog, in session: any MigrationSession) async throws {
        guard !options.skipsPreflight else { return }
        let access: Preflight.Access = plan.database.exists ? .inspection(session) : .missing
        let report = await Preflight(
            configuration: ferry.configuration, plan: plan, allowChanged: options.allowChanged,
            skipsBackup: options.skipBackup, catalog: catalog
        ).run(access)
        emit(.preflightCompleted(report))
        if let refusal = report.refusal(force: options.force) { throw refusal }
    }

    /// Prepares verification: which verify scripts run. The row counts that
    /// `preserve` invariants compare are read later, inside the upgrade's
    /// first transaction (``countRowsBefore(_:in:hadDatabase:lockingWriters:)``).
    func verification(for plan: Plan, catalog: MigrationCatalog) -> Verification {
        let appliedIDs = Set(plan.database.applied.map(\.id) + plan.pending.map(\.id))
        return Verification(
            catalog: catalog, appliedIDs: appliedIDs, invariants: ferry.configuration.invariants,
            release: plan.targetRelease)
    }

    /// Reads the row counts that `preserve` invariants compare, once, at
    /// the start of the upgrade's first transaction and after locking those
    /// tables against writes: counted earlier (before the backup), the
    /// application's writes meanwhile would make the counts differ and roll
    /// a sound upgrade back. When the first migration runs outside any
    /// transaction, they are counted just before it, without a lock.
    func countRowsBefore(
        _ verification: inout Verification, in session: any MigrationSession, hadDatabase: Bool, lockingWriters: Bool
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

    /// The end of the last transaction: every matching hook (each recorded
    /// in the history), the release stamp, then verification.
    ///
    /// - Parameter sequence: The history's last sequence number.
    /// - Returns: The history's last sequence number afterwards.
    /// - Throws: ``FerryError`` naming the hook that failed, or the
    ///   verification checks that failed; the transaction then rolls back.
    func finish(
        _ plan: Plan, verification: Verification, after sequence: Int, in session: any MigrationSession
    ) async throws -> Int {
        let clock = ContinuousClock()
        var sequence = sequence
        let origin = plan.database.recordedRelease ?? "?"
        for hook in plan.hooks {
            let started = clock.now
            let startedAt = Date()
            do {
                switch hook.body {
                case .sql(let script): try await session.run(script)
                case .swift(let body): try await body(session)
                }
            } catch var error as FerryError {
                error.message = "Hook \(hook.id) failed: \(error.message)"
                throw error
            } catch {
                throw FerryError(.migrationFailed, "Hook \(hook.id) failed: \(error)")
            }
            let seconds = (clock.now - started).inSeconds
            sequence += 1
            try await session.record(AppliedMigration(
                id: "\(plan.targetRelease)/hooks/\(hook.name)", release: .release(plan.targetRelease),
                name: "hooks/\(hook.name)", checksum: hook.checksum, appliedAt: startedAt, duration: seconds,
                appliedBy: .release(plan.programRelease), kind: .hook,
                note: "upgrade from \(origin) to \(plan.targetRelease) (ferry:from \(hook.from), ferry:to \(hook.to))",
                sequence: sequence))
            emit(.hookFinished(id: hook.id, seconds: seconds))
        }
        try await session.stamp(release: plan.targetRelease, at: Date())
        let report = await verification.run(on: session)
        emit(.verificationCompleted(report))
        if let failure = report.failure { throw failure }
        return sequence
    }
}
