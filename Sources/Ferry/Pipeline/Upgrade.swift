import Foundation

/// One run of the upgrade pipeline, the orchestrator of its eight stages
/// (see the DocC article "The upgrade pipeline"): ``LockStage``,
/// ``InspectStage``, ``PlanStage``, ``PreflightStage``, ``BackupStage``,
/// ``ApplyStage``, ``VerifyStage`` (run by the apply stage before its last
/// commit), ``CommitStage``.
struct Upgrade: Sendable {
    let ferry: Ferry
    let options: UpgradeOptions
    let emit: @Sendable (UpgradeEvent) -> Void

    private var engine: any DatabaseEngine { ferry.configuration.engine }

    /// Runs the stages in order, after start-up's fast path.
    ///
    /// - Returns: What was done (``UpgradeReport/wasUpToDate`` when nothing was pending).
    /// - Throws: ``FerryError`` from the stage that refused or failed, saying what was changed.
    func perform() async throws -> UpgradeReport {
        let clock = ContinuousClock()
        let start = clock.now
        let emit = self.emit
        @Sendable func upToDate(from: String?, at release: Release) -> UpgradeReport {
            emit(.upToDate(release))
            return UpgradeReport(
                from: from, to: release, applied: [], seconds: (clock.now - start).inSeconds,
                wasUpToDate: true)
        }
        // Start-up's fast path first: it reads the database read-only, which a transaction left
        // unfinished by a dead process makes fail, so a database it reads needs no rollback. When it
        // cannot answer, the rollback runs, and the full path below reads again (and says what fails).
        let quickLook = (try? await self.quickLook()) ?? .unknown
        if case .upToDate(let release) = quickLook {
            return upToDate(from: release.description, at: release)
        }
        try await ferry.rollBackInterruptedTransaction(emit: emit)
        let lock = LockStage(ferry: ferry, emit: emit)
        let inspection = InspectStage(ferry: ferry)
        let planning = try PlanStage(ferry: ferry, options: options)
        // A history table to keep that cannot be is a configuration error: said before any backup.
        _ = try ForeignHistoryKeeper.configured(by: ferry.configuration)

        // Inspect and plan without the lock first: an up-to-date database costs one read. While another
        // upgrader holds the lock, its transaction may keep readers out: wait for the lock instead,
        // saying who holds it. When the quick look found the database behind, no read without the
        // lock can find it up to date: the upgrade goes straight to the lock.
        if quickLook != .behind {
            let isLocked = try await lock.isHeld()
            let firstState =
                isLocked
                ? DatabaseState.missing : try await inspection.run { try await engine.readState() }
            let firstLook = try planning.run(firstState, refusing: !isLocked)
            if !isLocked && firstLook.isUpToDate && firstLook.changed.isEmpty
                && firstLook.missing.isEmpty
            {
                return upToDate(
                    from: firstLook.database.recordedRelease, at: firstLook.targetRelease)
            }
        }

        // 1. Open and lock.
        return try await lock.run { session in
            // 2. Inspect: another upgrader may have finished while we waited.
            let state = try await inspection.run { try await session.readState() }
            // 3. Plan again under the lock.
            let plan = try planning.run(state)
            let acceptances = planning.acceptances(in: plan)
            if plan.isUpToDate && acceptances.isEmpty {
                return upToDate(from: plan.database.recordedRelease, at: plan.targetRelease)
            }
            emit(.planned(plan))
            // 4. Preflight.
            try await PreflightStage(ferry: ferry, options: options, emit: emit)
                .run(plan, catalog: planning.catalog, in: session)
            // 5. Back up.
            let backup =
                plan.database.exists
                ? try await BackupStage(ferry: ferry, options: options, emit: emit).run(plan) : nil
            // 6. Apply, and 7. verify before the last commit.
            let verify = VerifyStage(
                plan, catalog: planning.catalog, invariants: ferry.configuration.invariants)
            do {
                try await ApplyStage(
                    ferry: ferry, options: options, plan: plan, acceptances: acceptances,
                    verify: verify,
                    backup: backup, session: session, emit: emit
                ).run()
            } catch {
                if let backup { ferry.recordFailedAttempt(of: backup, error: error, emit: emit) }
                throw error
            }
            // 8. Commit and report.
            return CommitStage(ferry: ferry, emit: emit).run(plan, backup: backup, startedAt: start)
        }
    }

    /// The database's release when it is plainly up to date, from file names
    /// and the history alone; nil when that takes a closer look.
    ///
    /// An application calls `upgrade()` at every start-up: this keeps that
    /// to listing the folders and one read (of the history's fingerprint
    /// where the engine keeps one, else of the history). The scripts are read, and the
    /// checksums of applied migrations compared, only when there is work to
    /// do (and by `status`, `validate` and `check`), or when the options ask
    /// for it (``UpgradeOptions/verifiesChecksums``, set by the tool).
    func upToDateRelease() async throws -> Release? {
        guard case .upToDate(let release) = try await quickLook() else { return nil }
        return release
    }

    /// What start-up's fast path can tell without reading a script.
    enum QuickLook: Equatable {
        /// Plainly up to date at this release.
        case upToDate(Release)
        /// The history's fingerprint names a release older than the program's:
        /// something is pending.
        case behind
        /// It takes a closer look.
        case unknown
    }

    /// Start-up's fast path: see ``upToDateRelease()``.
    ///
    /// When the options ask for the checksums (the tool does), it never
    /// answers up to date, which takes the scripts, but it still tells a
    /// database that is behind from its fingerprint alone.
    func quickLook() async throws -> QuickLook {
        guard options.target == nil, !options.allowChanged else { return .unknown }
        let configuration = ferry.configuration
        let registered = configuration.migrations.migrations
        // Another tool's folder is read whole: its names alone do not give ids and releases.
        var names: MigrationFolderNames?
        if let url = configuration.migrationsDirectory {
            names = MigrationFolderNames.read(url, layout: configuration.migrationLayout)
            guard names != nil else { return .unknown }
        }
        guard
            let program = ferry.programRelease(
                among: (names?.releases ?? []) + registered.map { $0.release }),
            try await engine.lockHolder() == nil
        else { return .unknown }

        // The fingerprint of the history, written with the release stamp, against that of the
        // names: equal, nothing is pending, and no history row is read.
        if let recorded = await engine.recordedFingerprint() {
            // A release older than the program's, stamped with a history that matches it: pending,
            // and the history need not be read to know it.
            if recorded.release < program { return .behind }
            guard recorded.release == program, !options.verifiesChecksums else { return .unknown }
            var expected = HistoryFingerprint()
            for migration in registered where migration.release <= program {
                expected.add(migration.id)
            }
            if let names {
                guard let folderIDs = names.fingerprint(upTo: program) else { return .unknown }
                expected.add(folderIDs)
            }
            if expected == recorded.fingerprint { return .upToDate(program) }
        }

        guard !options.verifiesChecksums else { return .unknown }
        var known: [(release: Release, id: String)] = registered.map { ($0.release, $0.id) }
        if let url = configuration.migrationsDirectory {
            guard let listing = MigrationFolder(url: url).migrationIDs() else { return .unknown }
            known += listing.ids
        }
        let state = try await engine.readState()
        guard state.release == program else { return .unknown }
        let applied = Set(state.applied.map(\.id))
        let knownIDs = Set(known.map(\.id))
        guard known.allSatisfy({ $0.release > program || applied.contains($0.id) }),
            state.applied.allSatisfy({ knownIDs.contains($0.id) || $0.kind.isBookkeeping })
        else { return .unknown }
        return .upToDate(program)
    }
}
