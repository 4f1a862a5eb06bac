import Foundation

/// Step 6 of the upgrade pipeline, apply: every pending migration, then
/// the hooks, the release stamp and verification (step 7) at the end of the
/// last transaction, before it commits.
///
/// The migrations run in batches (``Batch``): consecutive migrations share
/// one transaction where the engine and the options allow, so the database
/// is never between releases; each step's history row is written in its
/// transaction. A migration that cannot run in a transaction runs alone; if
/// it fails, the pre-upgrade backup is restored.
///
/// One run of the stage keeps its progress (the migrations committed, the
/// release recorded, the history's sequence) so that a failure says exactly
/// what was changed. Use it once.
final class ApplyStage {
    /// Consecutive migrations that commit together: a run of migrations that
    /// share the upgrade's transaction, one in a transaction of its own, or
    /// one that runs alone outside any transaction.
    struct Batch {
        var migrations: [Migration]
        var isTransactional: Bool
        /// Whether the next migration may join this batch's transaction.
        var isShared: Bool
    }

    private let ferry: Ferry
    private let options: UpgradeOptions
    private let emit: @Sendable (UpgradeEvent) -> Void
    private let plan: Plan
    private let backup: Backup?
    private let session: any MigrationSession
    private let steps: StepRunner
    private var verify: VerifyStage
    private let appliedBy: RecordedRelease
    private let outOfOrder: Set<String>
    private let hadDatabase: Bool

    /// The history's last sequence number.
    private var sequence: Int
    /// How many migrations have started, for the events' "index of total".
    private var started = 0
    /// The migrations committed so far.
    private var committed: [String] = []
    /// The release the database records now.
    private var recorded: String?
    /// The accepted history changes not recorded yet: they are recorded in
    /// the first transaction that commits.
    private var unaccepted: [PlanStage.Acceptance]
    /// The other tool's history table kept in step, if the configuration asks for it.
    private var keeper: ForeignHistoryKeeper?

    init(
        ferry: Ferry, options: UpgradeOptions, plan: Plan, acceptances: [PlanStage.Acceptance],
        verify: VerifyStage,
        backup: Backup?, session: any MigrationSession,
        emit: @escaping @Sendable (UpgradeEvent) -> Void
    ) {
        self.ferry = ferry
        self.options = options
        self.emit = emit
        self.plan = plan
        self.backup = backup
        self.session = session
        self.steps = StepRunner(session: session)
        self.verify = verify
        appliedBy = RecordedRelease.release(plan.programRelease)
        outOfOrder = Set(plan.outOfOrder.map(\.id))
        hadDatabase = plan.database.exists
        sequence = plan.database.applied.map(\.sequence).max() ?? 0
        recorded = plan.database.recordedRelease
        unaccepted = acceptances
    }

    /// Applies the plan, and verifies the result before the last commit.
    ///
    /// - Throws: ``FerryError`` naming the migration, hook or check that
    ///   failed, saying what was committed before (usually nothing) or that
    ///   the pre-upgrade backup was restored.
    func run() async throws {
        let batches = Self.batches(of: plan.pending, transactionMode: options.transactionMode)
        do {
            keeper = try ForeignHistoryKeeper.configured(by: ferry.configuration)
            for (number, batch) in batches.enumerated() {
                let completed = releaseCompleted(by: number, of: batches)
                if batch.isTransactional {
                    try await runInTransaction(
                        batch, isLast: number == batches.count - 1, completing: completed)
                } else {
                    try await runAlone(
                        batch, isLast: number == batches.count - 1, completing: completed)
                }
                unaccepted = []
                committed += batch.migrations.map(\.id)
                if let completed { recorded = completed.description }
            }
            if batches.isEmpty {
                try await session.inTransaction(for: options.transactionPurpose) {
                    try await verify.countRowsBefore(
                        in: session, hadDatabase: hadDatabase, lockingWriters: true)
                    try await recordAcceptances()
                    try await finish()
                }
            }
        } catch var error as FerryError {
            error.changes = await changes(after: error)
            if error.advice == nil {
                error.advice =
                    "Fix the migration and run the upgrade again: it goes on from the first migration not applied."
            }
            throw error
        }
    }

    /// Groups migrations into batches: shared migrations join the batch
    /// before them when the whole upgrade is one transaction.
    static func batches(of migrations: [Migration], transactionMode: TransactionMode) -> [Batch] {
        var batches: [Batch] = []
        for migration in migrations {
            let isShared = migration.transaction == .shared && transactionMode == .wholeUpgrade
            if isShared, batches.last?.isShared == true {
                batches[batches.count - 1].migrations.append(migration)
            } else {
                batches.append(
                    Batch(
                        migrations: [migration], isTransactional: migration.isTransactional,
                        isShared: isShared))
            }
        }
        return batches
    }

    /// The release to record when a batch commits: the target after the
    /// last batch; before it, the batch's newest release if no later batch
    /// holds a migration of that release; otherwise none.
    private func releaseCompleted(by number: Int, of batches: [Batch]) -> Release? {
        guard number + 1 < batches.count else { return plan.targetRelease }
        guard let newest = batches[number].migrations.last?.release,
            let next = batches[number + 1].migrations.first?.release, newest < next
        else { return nil }
        return newest
    }

    /// What a batch's transaction is: the options' purpose for the last one,
    /// which runs `beforeCommit` (an import's rows), an
    /// upgrade for the batches of migrations before it.
    private func purpose(isLast: Bool) -> TransactionPurpose {
        isLast ? options.transactionPurpose : .upgrade
    }

    /// Runs a batch in one transaction, with its history rows.
    private func runInTransaction(_ batch: Batch, isLast: Bool, completing completed: Release?)
        async throws
    {
        try await session.inTransaction(for: purpose(isLast: isLast)) {
            try await verify.countRowsBefore(
                in: session, hadDatabase: hadDatabase, lockingWriters: true)
            try await recordAcceptances()
            try await runAndRecord(batch.migrations)
            try await keeper?.record(batch.migrations, in: session)
            try await end(isLast: isLast, completing: completed)
        }
    }

    /// Runs a migration outside any transaction, then records it in one.
    private func runAlone(_ batch: Batch, isLast: Bool, completing completed: Release?) async throws
    {
        try await verify.countRowsBefore(
            in: session, hadDatabase: hadDatabase, lockingWriters: false)
        let row = try await run(batch.migrations[0], recording: false)
        try await session.inTransaction(for: purpose(isLast: isLast)) {
            try await recordAcceptances()
            try await forgetEarlierRuns(of: batch.migrations)
            try await session.record(row)
            try await keeper?.record(batch.migrations, in: session)
            try await end(isLast: isLast, completing: completed)
        }
    }

    /// The end of a batch's transaction: after the last batch, the hooks,
    /// the stamp and verification; before it, the release the batch
    /// completed.
    private func end(isLast: Bool, completing completed: Release?) async throws {
        if isLast {
            try await finish()
        } else if let completed {
            try await session.stamp(release: completed, at: Date())
        }
    }

    /// Records the accepted changes once, in the first transaction that commits.
    private func recordAcceptances() async throws {
        for acceptance in unaccepted {
            let previous = plan.database.applied.first { $0.id == acceptance.id }?.note
            let note = [previous, acceptance.note].compactMap { $0 }.joined(separator: "; ")
            try await session.updateHistory(
                id: acceptance.id, checksum: acceptance.checksum, note: note,
                acceptance: acceptance.acceptance)
            try await session.recordEvent(
                HistoryEvent(
                    kind: .accepted, at: Date(),
                    fromRelease: plan.database.recordedRelease.map { RecordedRelease($0) },
                    toRelease: .release(plan.targetRelease),
                    note: "\(acceptance.id): \(acceptance.note)"))
            emit(.changeAccepted(id: acceptance.id, note: acceptance.note))
        }
    }

    /// Runs a batch's migrations and records them: each run of SQL
    /// migrations in one call to the session (one access to the
    /// connection where the engine allows), each Swift migration alone.
    private func runAndRecord(_ migrations: [Migration]) async throws {
        try await forgetEarlierRuns(of: migrations)
        var position = migrations.startIndex
        while position < migrations.endIndex {
            guard case .sql = migrations[position].body else {
                _ = try await run(migrations[position], recording: true)
                position += 1
                continue
            }
            let end =
                migrations[position...].firstIndex {
                    if case .sql = $0.body { false } else { true }
                }
                ?? migrations.endIndex
            try await runAndRecordScripts(migrations[position..<end])
            position = end
        }
    }

    /// Deletes the history rows of repeatable migrations that run again, in
    /// the transaction that records their new run: the history keeps one
    /// row per migration, that of its latest run.
    private func forgetEarlierRuns(of migrations: [Migration]) async throws {
        let repeated = migrations.filter(\.isRepeatable)
        guard !repeated.isEmpty else { return }
        let applied = Set(plan.database.applied.map(\.id))
        for migration in repeated where applied.contains(migration.id) {
            try await session.deleteHistory(id: migration.id)
        }
    }

    /// Runs one migration through the step runner.
    ///
    /// - Parameter recording: Whether to record its history row now (in the
    ///   transaction it ran in).
    /// - Returns: Its history row.
    private func run(_ migration: Migration, recording: Bool) async throws -> AppliedMigration {
        started += 1
        let index = started
        emit(.migrationStarted(id: migration.id, index: index, total: plan.pending.count))
        CrashPoint.reach("upgrade.migration-started")
        let timing = try await steps.run(migration.body, named: "Migration \(migration.id)")
        let row = historyRow(of: migration, appliedAt: timing.startedAt, duration: timing.seconds)
        CrashPoint.reach("upgrade.migration-ran")
        if recording { try await session.record(row) }
        emit(
            .migrationFinished(
                id: migration.id, index: index, total: plan.pending.count, seconds: timing.seconds))
        return row
    }

    /// Runs SQL migrations with one call to the session, which records each
    /// one's row after its script.
    private func runAndRecordScripts(_ migrations: ArraySlice<Migration>) async throws {
        let steps = migrations.map { migration -> ScriptStep in
            guard case .sql(let script) = migration.body else {
                preconditionFailure("a Swift migration among scripts")
            }
            return ScriptStep(
                script: script,
                row: historyRow(
                    of: migration, appliedAt: Date(timeIntervalSince1970: 0), duration: 0))
        }
        let first = started
        let total = plan.pending.count
        // The step of the run that the session started last, set by its callback.
        let running = Locked(0)
        let emit = self.emit
        do {
            try await session.runAndRecord(
                steps,
                onStart: { position in
                    running.value = position
                    emit(
                        .migrationStarted(
                            id: steps[position].row.id, index: first + position + 1, total: total))
                    CrashPoint.reach("upgrade.migration-started")
                },
                onFinish: { position, row in
                    CrashPoint.reach("upgrade.migration-ran")
                    emit(
                        .migrationFinished(
                            id: row.id, index: first + position + 1, total: total,
                            seconds: row.duration))
                })
        } catch {
            throw StepRunner.failure(
                of: "Migration \(migrations[migrations.startIndex + running.value].id)", error)
        }
        started += migrations.count
    }

    /// A migration's history row, with the next sequence number.
    private func historyRow(of migration: Migration, appliedAt: Date, duration: Double)
        -> AppliedMigration
    {
        sequence += 1
        return AppliedMigration(
            id: migration.id, release: .release(migration.release), name: migration.name,
            checksum: migration.checksum, appliedAt: appliedAt, duration: duration,
            appliedBy: appliedBy,
            kind: .init(migration.kind), note: notes(for: migration), sequence: sequence)
    }

    /// The end of the last transaction: every matching hook through the
    /// step runner (each recorded in the history), the release stamp, then
    /// verification (step 7).
    ///
    /// - Throws: ``FerryError`` naming the hook that failed, or the
    ///   verification checks that failed; the transaction then rolls back.
    private func finish() async throws {
        try await options.beforeCommit?(session)
        let origin = plan.database.recordedRelease ?? "?"
        for hook in plan.hooks {
            let timing = try await steps.run(hook.body, named: "Hook \(hook.id)")
            sequence += 1
            try await session.record(
                AppliedMigration(
                    id: "\(plan.targetRelease)/hooks/\(hook.name)",
                    release: .release(plan.targetRelease),
                    name: "hooks/\(hook.name)", checksum: hook.checksum,
                    appliedAt: timing.startedAt,
                    duration: timing.seconds, appliedBy: appliedBy, kind: .hook,
                    note:
                        "upgrade from \(origin) to \(plan.targetRelease) (ferry:from \(hook.from), ferry:to \(hook.to))",
                    sequence: sequence))
            emit(.hookFinished(id: hook.id, seconds: timing.seconds))
        }
        try await session.stamp(release: plan.targetRelease, at: Date())
        CrashPoint.reach("upgrade.stamped")
        try await verify.run(in: session, emit: emit)
        CrashPoint.reach("upgrade.before-commit")
    }

    /// What a failure changed: nothing, the batches committed before it, or
    /// the restore of the pre-upgrade backup after a migration that ran
    /// outside any transaction.
    private func changes(after error: FerryError) async -> String {
        let release = recorded.map { "release \($0)" } ?? "no release"
        let still = recorded.map { "at release \($0)" } ?? "new, with no release"
        var changes: [String] = []
        if committed.isEmpty {
            changes.append("Nothing was committed: the database is still \(still).")
        } else {
            changes.append(
                "Committed before the failure (in transactions of their own, or without one): "
                    + committed.joined(separator: ", ") + ". The database records \(release).")
        }
        if let failed = plan.pending.first(where: { !committed.contains($0.id) }),
            !failed.isTransactional
        {
            if let backup {
                changes = [await restoreAutomatically(backup, after: failed)]
            } else {
                changes.append(
                    "\(failed.id) runs outside any transaction (-- ferry:no-transaction): the statements "
                        + "before the one that failed are committed and stay; check them before running again."
                )
            }
        } else if committed.isEmpty {
            changes[0] = "Nothing was changed: the database is still \(still)."
        }
        return changes.joined(separator: " ")
    }

    /// Restores the pre-upgrade backup after a migration that ran outside
    /// any transaction failed, and says what the database holds now.
    private func restoreAutomatically(_ backup: Backup, after failed: Migration) async -> String {
        let before = plan.database.recordedRelease.map { "release \($0)" } ?? "no release"
        do {
            let report = try await ferry.restoreHoldingLock(
                backup, programRelease: plan.programRelease, emit: emit)
            return
                "\(failed.id) runs outside any transaction (-- ferry:no-transaction), so Ferry restored the "
                + "pre-upgrade backup \(backup.name): the database is as it was before the upgrade, at \(before)"
                + (report.preRestoreBackup.map { " (the failed state is kept as \($0))" } ?? "")
                + "."
        } catch {
            let reason =
                (error as? FerryError).map {
                    [$0.markedMessage, $0.markedChanges].compactMap { $0 }.joined(separator: " ")
                }
                ?? "\(error)"
            return
                "\(failed.id) runs outside any transaction (-- ferry:no-transaction): its statements before the "
                + "failing one, and the migrations before it, are committed. Restoring the pre-upgrade backup "
                + "\(backup.name) failed too (\(reason)): run \(run: .restore(backup.name))."
        }
    }

    /// What the history says of how a migration was applied, if anything unusual.
    private func notes(for migration: Migration) -> String? {
        var notes: [String] = []
        if outOfOrder.contains(migration.id) {
            notes.append("applied out of order with --allow-changed")
        }
        if options.skipBackup && hadDatabase {
            notes.append("applied without a pre-upgrade backup (--no-backup)")
        }
        return notes.isEmpty ? nil : notes.joined(separator: "; ")
    }
}
