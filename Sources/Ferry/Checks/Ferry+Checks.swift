import Foundation

extension Ferry {
    /// Runs preflight, changing nothing: what `ferry check` prints, and the
    /// first stage of every upgrade.
    ///
    /// The database is opened read-only (and not created). An unreadable
    /// database is reported as a blocker rather than thrown.
    ///
    /// - Parameter options: The target release and what to accept.
    /// - Returns: Every check; ``PreflightReport/refusal(force:)`` says
    ///   whether an upgrade would run.
    /// - Throws: ``FerryError`` when the configuration, the migrations or the
    ///   target are wrong.
    public func check(_ options: UpgradeOptions = UpgradeOptions()) async throws -> PreflightReport
    {
        let catalog = try catalog()
        let engine = configuration.engine
        var unreadable: FerryError?
        var state = DatabaseState.missing
        do {
            try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
            state = try await engine.readState()
        } catch let error as FerryError where error.code == .databaseUnavailable {
            unreadable = error
            state = .unread
        }
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: try programRelease(in: catalog),
            target: options.target,
            minimumUpgradableFrom: configuration.minimumUpgradableFrom)
        let preflight = Preflight(
            configuration: configuration, plan: plan, allowChanged: options.allowChanged,
            skipsBackup: options.skipBackup,
            catalog: catalog)
        if let unreadable { return await preflight.run(.unreadable(unreadable)) }
        guard state.exists else { return await preflight.run(.missing) }
        do {
            return try await engine.withInspection { db in await preflight.run(.inspection(db)) }
        } catch let error as FerryError where error.code == .databaseUnavailable {
            return await preflight.run(.unreadable(error))
        }
    }

    /// Runs verification on the database as it is, changing nothing: what
    /// `ferry verify` prints, and the last stage of every upgrade.
    ///
    /// The checks are the engine's full integrity check, its foreign-key
    /// check, the verify script of every applied migration and the
    /// invariants (`[[verify]]`); a `preserve` invariant compares counts
    /// across an upgrade, so it is skipped here. Schema drift
    /// (``VerificationReport/drift``) is reported as warnings, never as a
    /// failure.
    ///
    /// - Returns: Every check; ``VerificationReport/failure`` is the error
    ///   when one failed.
    /// - Throws: ``FerryError`` when the configuration or the migrations are
    ///   wrong, or the database does not exist or cannot be read.
    public func verify() async throws -> VerificationReport {
        let catalog = try catalog()
        try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
        let state = try await configuration.engine.readState()
        let verification = Verification(
            catalog: catalog, appliedIDs: Set(state.applied.map(\.id)),
            invariants: configuration.invariants,
            release: state.release)
        return try await configuration.engine.withInspection { db in
            var report = await verification.run(on: db)
            guard report.interruption == nil else { return report }
            let drift = await schemaDrift(of: db, applied: state.applied, catalog: catalog)
            report.checks.append(
                VerificationCheck(
                    name: "schema drift",
                    status: drift.skipped != nil
                        ? .skipped : drift.differences.isEmpty ? .passed : .warning,
                    detail: drift.markedSummary))
            report.drift = drift
            return report
        }
    }
}
