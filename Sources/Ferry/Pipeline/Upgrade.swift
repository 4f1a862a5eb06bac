import Foundation

/// One run of the upgrade pipeline: inspect, plan, lock, apply, record, report.
struct Upgrade: Sendable {
    let ferry: Ferry
    let options: UpgradeOptions
    let emit: @Sendable (UpgradeEvent) -> Void

    private var engine: any DatabaseEngine { ferry.configuration.engine }

    /// Consecutive migrations that commit together: a run of migrations that
    /// share the upgrade's transaction, one in a transaction of its own, or
    /// one that runs alone outside any transaction.
    private struct Batch {
        var migrations: [Migration]
        var isTransactional: Bool
        /// Whether the next migration may join this batch's transaction.
        var isShared: Bool
    }

    /// A history change accepted with `--allow-changed`.
    private struct Acceptance {
        var id: String
        var checksum: String
        var note: String
        var acceptance: AppliedMigration.Acceptance
    }

    func perform() async throws -> UpgradeReport {
        let clock = ContinuousClock()
        let start = clock.now
        // Start-up's fast path first: it reads the database read-only, which a transaction left
        // unfinished by a dead process makes fail, so a database it reads needs no rollback. When it
        // cannot answer, the rollback runs, and the full path below reads again (and says what fails).
        if let release = try? await upToDateRelease() {
            emit(.upToDate(release))
            return UpgradeReport(
                from: release.description, to: release, applied: [], seconds: (clock.now - start).inSeconds,
                wasUpToDate: true)
        }
        try await ferry.rollBackInterruptedTransaction(emit: emit)
        let catalog = try ferry.catalog()
        let programRelease = try ferry.programRelease(in: catalog)

        // Inspect without the lock first: an up-to-date database costs one read. While another
        // upgrader holds the lock, its transaction may keep readers out: wait for the lock instead,
        // saying who holds it.
        let isLocked = try await engine.lockHolder() != nil
        let firstState = isLocked ? DatabaseState.missing : try await engine.readState()
        if !isLocked && !firstState.exists { try refuseToCreate() }
        let firstLook = try Planner.plan(
            catalog: catalog, state: firstState, programRelease: programRelease,
            target: options.target, minimumUpgradableFrom: ferry.configuration.minimumUpgradableFrom)
        if !isLocked, let refusal = firstLook.refusal(allowingChanged: options.allowChanged) { throw refusal }
        if !isLocked && firstLook.isUpToDate && firstLook.changed.isEmpty && firstLook.missing.isEmpty {
            emit(.upToDate(firstLook.targetRelease))
            return UpgradeReport(
                from: firstLook.database.recordedRelease, to: firstLook.targetRelease, applied: [],
                seconds: (clock.now - start).inSeconds, wasUpToDate: true)
        }

        let timeout = ferry.configuration.lockTimeout
        let emit = self.emit
        return try await engine.withUpgradeLock(
            holder: .currentProcess(), timeout: timeout,
            onWait: { holder in emit(.waitingForLock(holder: holder, timeout: timeout)) }
        ) {
            CrashPoint.reach("upgrade.locked")
            return try await engine.withSession { session in
                // Another upgrader may have finished while we waited: plan again under the lock.
                let state = try await session.readState()
                if !state.exists { try refuseToCreate() }
                let plan = try Planner.plan(
                    catalog: catalog, state: state, programRelease: programRelease,
                    target: options.target, minimumUpgradableFrom: ferry.configuration.minimumUpgradableFrom)
                if let refusal = plan.refusal(allowingChanged: options.allowChanged) { throw refusal }
                let acceptances = options.allowChanged ? self.acceptances(in: plan) : []
                if plan.isUpToDate && acceptances.isEmpty {
                    emit(.upToDate(plan.targetRelease))
                    return UpgradeReport(
                        from: plan.database.recordedRelease, to: plan.targetRelease, applied: [],
                        seconds: (clock.now - start).inSeconds, wasUpToDate: true)
                }
                emit(.planned(plan))
                try await preflight(plan, catalog: catalog, in: session)
                let verification = verification(for: plan, catalog: catalog)
                let hadDatabase = plan.database.exists
                let backup = hadDatabase ? try await backUp(plan) : nil
                do {
                    try await apply(
                        plan, acceptances: acceptances, hadDatabase: hadDatabase, verification: verification,
                        backup: backup, in: session)
                } catch {
                    if let backup { ferry.recordFailedAttempt(of: backup, error: error, emit: emit) }
                    throw error
                }
                for release in plan.pendingReleases { emit(.releaseCompleted(release)) }
                if let backup {
                    ferry.recordSucceededAttempt(of: backup)
                    do {
                        try ferry.applyRetention(protecting: [backup.name], emit: emit)
                    } catch {
                        ferry.configuration.logger.warning("Backup retention failed after the upgrade: \(error)")
                    }
                }
                let seconds = (clock.now - start).inSeconds
                emit(.upgradeCompleted(
                    from: plan.database.recordedRelease, to: plan.targetRelease, applied: plan.pending.count,
                    seconds: seconds))
                return UpgradeReport(
                    from: plan.database.recordedRelease, to: plan.targetRelease, applied: plan.pending.map(\.id),
                    seconds: seconds, wasUpToDate: false, backup: backup?.name)
            }
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
    private func upToDateRelease() async throws -> Release? {
        guard options.target == nil, !options.allowChanged, !options.verifiesChecksums else { return nil }
        let configuration = ferry.configuration
        let registered = configuration.migrations.migrations
        let folder = configuration.migrationsDirectory.map { MigrationFolder(url: $0) }
        var folders: [(release: Release, name: String, path: String)] = []
        if let folder {
            guard let found = try? folder.releaseFolders() else { return nil }
            folders = found
        }
        guard let program = configuration.release ?? (folders.map(\.release) + registered.map(\.release)).max(),
              try await engine.lockHolder() == nil else { return nil }

        // The fingerprint of the history, written with the release stamp, against that of the
        // names: equal, nothing is pending, and no history row is read.
        if let recorded = await engine.recordedFingerprint(), recorded.release == program {
            var expected = HistoryFingerprint()
            for migration in registered where migration.release <= program { expected.add(migration.id) }
            guard folder?.addMigrationIDs(in: folders, upTo: program, to: &expected) != false else { return nil }
            if expected == recorded.fingerprint { return program }
        }

        var known: [(release: Release, id: String)] = registered.map { ($0.release, $0.id) }
        if let folder {
            guard let listing = folder.migrationIDs() else { return nil }
            known += listing.ids
        }
        let state = try await engine.readState()
        guard state.release == program else { return nil }
        let applied = Set(state.applied.map(\.id))
        let knownIDs = Set(known.map(\.id))
        guard known.allSatisfy({ $0.release > program || applied.contains($0.id) }),
              state.applied.allSatisfy({ knownIDs.contains($0.id) || $0.kind.isBookkeeping }) else { return nil }
        return program
    }

    /// Refuses to create a missing database unless the configuration allows
    /// it: a mistyped path must not become a new, empty database.
    private func refuseToCreate() throws {
        guard !ferry.configuration.createsDatabase else { return }
        var looked = ""
        if let file = engine.localFile {
            let folder = file.deletingLastPathComponent()
            var isFolder: ObjCBool = false
            let folderExists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder)
                && isFolder.boolValue
            looked = " (looked for \(file.lastPathComponent) in \(folder.path), which "
                + (folderExists ? "exists" : "does not exist either") + ")"
        }
        throw FerryError(
            .databaseMissing, "The database \(engine.displayName) does not exist\(looked).",
            changes: "Nothing was changed: no database was created.",
            advice: "Check the database's path or URL (--database, FERRY_DATABASE, [database] url). To create a new "
                + "database there, run again with --create (or set [database] create = true).")
    }

    /// Takes the pre-upgrade backup, unless nothing is pending or the options skip it.
    private func backUp(_ plan: Plan) async throws -> Backup? {
        guard !plan.pending.isEmpty, !options.skipBackup else { return nil }
        if let reused = await ferry.reusableFailedAttemptBackup(upgradeTo: plan.targetRelease),
           let attempt = reused.manifest.attempt {
            emit(.backupReused(name: reused.name, attemptEnded: attempt.ended))
            return reused
        }
        return try await ferry.takeBackup(
            kind: .preUpgrade, format: .native, state: plan.database, upgradeTo: plan.targetRelease, note: nil,
            emit: emit)
    }

    private func acceptances(in plan: Plan) -> [Acceptance] {
        let when = Timestamp.string(from: Date())
        return plan.changed.map { change in
            Acceptance(
                id: change.applied.id, checksum: change.current.checksum,
                note: "checksum \(change.applied.checksum) changed to \(change.current.checksum); "
                    + "accepted with --allow-changed at \(when)", acceptance: .changed)
        } + plan.missing.filter { $0.acceptance != .missing }.map { missing in
            Acceptance(
                id: missing.id, checksum: missing.checksum,
                note: "file missing; accepted with --allow-changed at \(when)", acceptance: .missing)
        }
    }

    private func batches(of migrations: [Migration]) -> [Batch] {
        var batches: [Batch] = []
        for migration in migrations {
            let isShared = migration.transaction == .shared && options.transactionMode == .wholeUpgrade
            if isShared, batches.last?.isShared == true {
                batches[batches.count - 1].migrations.append(migration)
            } else {
                batches.append(Batch(
                    migrations: [migration], isTransactional: migration.isTransactional, isShared: isShared))
            }
        }
        return batches
    }

    /// The release to record when a batch commits: the target after the
    /// last batch; before it, the batch's newest release if no later batch
    /// holds a migration of that release; otherwise none.
    private func releaseCompleted(by number: Int, of batches: [Batch], target: Release) -> Release? {
        guard number + 1 < batches.count else { return target }
        guard let newest = batches[number].migrations.last?.release,
              let next = batches[number + 1].migrations.first?.release, newest < next else { return nil }
        return newest
    }

    private func apply(
        _ plan: Plan, acceptances: [Acceptance], hadDatabase: Bool, verification: Verification,
        backup: Backup?, in session: any MigrationSession
    ) async throws {
        let clock = ContinuousClock()
        var verification = verification
        let total = plan.pending.count
        let appliedBy = RecordedRelease.release(plan.programRelease)
        let outOfOrder = Set(plan.outOfOrder.map(\.id))
        var sequence = plan.database.applied.map(\.sequence).max() ?? 0
        var index = 0
        var committed: [String] = []
        var recorded = plan.database.recordedRelease
        var unaccepted = acceptances
        let batches = batches(of: plan.pending)

        /// Records the accepted changes once, in the first transaction that commits.
        func recordAcceptances() async throws {
            for acceptance in unaccepted {
                let previous = plan.database.applied.first { $0.id == acceptance.id }?.note
                let note = [previous, acceptance.note].compactMap { $0 }.joined(separator: "; ")
                try await session.updateHistory(
                    id: acceptance.id, checksum: acceptance.checksum, note: note, acceptance: acceptance.acceptance)
                try await session.recordEvent(HistoryEvent(
                    kind: .accepted, at: Date(),
                    fromRelease: plan.database.recordedRelease.map { RecordedRelease($0) },
                    toRelease: .release(plan.targetRelease), note: "\(acceptance.id): \(acceptance.note)"))
                emit(.changeAccepted(id: acceptance.id, note: acceptance.note))
            }
        }

        func runAndRecord(_ migration: Migration, record: Bool) async throws -> AppliedMigration {
            index += 1
            emit(.migrationStarted(id: migration.id, index: index, total: total))
            CrashPoint.reach("upgrade.migration-started")
            let started = clock.now
            let startedAt = Date()
            do {
                switch migration.body {
                case .sql(let script): try await session.run(script)
                case .swift(let body): try await body(session)
                }
            } catch {
                throw failure(of: migration, error)
            }
            let seconds = (clock.now - started).inSeconds
            sequence += 1
            let row = AppliedMigration(
                id: migration.id, release: .release(migration.release), name: migration.name,
                checksum: migration.checksum, appliedAt: startedAt, duration: seconds, appliedBy: appliedBy,
                kind: .init(migration.kind),
                note: notes(for: migration, outOfOrder: outOfOrder, isNewDatabase: !hadDatabase),
                sequence: sequence)
            if record { try await session.record(row) }
            emit(.migrationFinished(id: migration.id, index: index, total: total, seconds: seconds))
            return row
        }

        /// Runs a batch's migrations and records them: each run of SQL
        /// migrations in one call to the session (one access to the
        /// connection where the engine allows), each Swift migration alone.
        func runAndRecordAll(_ migrations: [Migration]) async throws {
            var position = migrations.startIndex
            while position < migrations.endIndex {
                guard case .sql = migrations[position].body else {
                    _ = try await runAndRecord(migrations[position], record: true)
                    position += 1
                    continue
                }
                let end = migrations[position...].firstIndex { if case .sql = $0.body { false } else { true } }
                    ?? migrations.endIndex
                try await runAndRecordScripts(migrations[position..<end])
                position = end
            }
        }

        func runAndRecordScripts(_ migrations: ArraySlice<Migration>) async throws {
            let steps = migrations.map { migration -> ScriptStep in
                guard case .sql(let script) = migration.body else { preconditionFailure("a Swift migration among scripts") }
                sequence += 1
                return ScriptStep(script: script, row: AppliedMigration(
                    id: migration.id, release: .release(migration.release), name: migration.name,
                    checksum: migration.checksum, appliedAt: Date(timeIntervalSince1970: 0), duration: 0,
                    appliedBy: appliedBy, kind: .init(migration.kind),
                    note: notes(for: migration, outOfOrder: outOfOrder, isNewDatabase: !hadDatabase),
                    sequence: sequence))
            }
            let first = index
            let total = total
            // The step of the run that the session started last, set by its callback.
            let running = Locked(0)
            let emit = self.emit
            do {
                try await session.runAndRecord(
                    steps,
                    onStart: { position in
                        running.value = position
                        emit(.migrationStarted(id: steps[position].row.id, index: first + position + 1, total: total))
                        CrashPoint.reach("upgrade.migration-started")
                    },
                    onFinish: { position, row in
                        emit(.migrationFinished(
                            id: row.id, index: first + position + 1, total: total, seconds: row.duration))
                    })
            } catch {
                throw failure(of: migrations[migrations.startIndex + running.value], error)
            }
            index += migrations.count
        }

        do {
            for (number, batch) in batches.enumerated() {
                let isLast = number == batches.count - 1
                let completed = releaseCompleted(by: number, of: batches, target: plan.targetRelease)
                if batch.isTransactional {
                    try await session.inTransaction {
                        try await countRowsBefore(
                            &verification, in: session, hadDatabase: hadDatabase, lockingWriters: true)
                        try await recordAcceptances()
                        try await runAndRecordAll(batch.migrations)
                        if isLast {
                            sequence = try await finish(plan, verification: verification, after: sequence, in: session)
                            CrashPoint.reach("upgrade.before-commit")
                        } else if let completed {
                            try await session.stamp(release: completed, at: Date())
                        }
                    }
                } else {
                    try await countRowsBefore(&verification, in: session, hadDatabase: hadDatabase, lockingWriters: false)
                    let row = try await runAndRecord(batch.migrations[0], record: false)
                    try await session.inTransaction {
                        try await recordAcceptances()
                        try await session.record(row)
                        if isLast {
                            sequence = try await finish(plan, verification: verification, after: sequence, in: session)
                            CrashPoint.reach("upgrade.before-commit")
                        } else if let completed {
                            try await session.stamp(release: completed, at: Date())
                        }
                    }
                }
                unaccepted = []
                committed += batch.migrations.map(\.id)
                if let completed { recorded = completed.description }
            }
            if batches.isEmpty {
                try await session.inTransaction {
                    try await countRowsBefore(&verification, in: session, hadDatabase: hadDatabase, lockingWriters: true)
                    try await recordAcceptances()
                    sequence = try await finish(plan, verification: verification, after: sequence, in: session)
                    CrashPoint.reach("upgrade.before-commit")
                }
            }
        } catch var error as FerryError {
            let release = recorded.map { "release \($0)" } ?? "a new database with no release"
            var changes: [String] = []
            if committed.isEmpty {
                changes.append("Nothing was committed: the database is still at \(release).")
            } else {
                changes.append(
                    "Committed before the failure (in transactions of their own, or without one): "
                        + committed.joined(separator: ", ") + ". The database records \(release).")
            }
            if let failed = plan.pending.first(where: { !committed.contains($0.id) }), !failed.isTransactional {
                if let backup {
                    changes = [await restoreAutomatically(backup, after: failed, plan: plan)]
                } else {
                    changes.append(
                        "\(failed.id) runs outside any transaction (-- ferry:no-transaction): the statements "
                            + "before the one that failed are committed and stay; check them before running again.")
                }
            } else if committed.isEmpty {
                changes[0] = "Nothing was changed: the database is still at \(release)."
            }
            error.changes = changes.joined(separator: " ")
            if error.advice == nil {
                error.advice = "Fix the migration and run the upgrade again: it goes on from the first migration not applied."
            }
            throw error
        }
    }

    /// Restores the pre-upgrade backup after a migration that ran outside
    /// any transaction failed, and says what the database holds now.
    private func restoreAutomatically(_ backup: Backup, after failed: Migration, plan: Plan) async -> String {
        let before = plan.database.recordedRelease.map { "release \($0)" } ?? "no release"
        let programRelease = plan.programRelease
        do {
            let report = try await ferry.restoreHoldingLock(backup, programRelease: programRelease, emit: emit)
            return "\(failed.id) runs outside any transaction (-- ferry:no-transaction), so Ferry restored the "
                + "pre-upgrade backup \(backup.name): the database is as it was before the upgrade, at \(before)"
                + (report.preRestoreBackup.map { " (the failed state is kept as \($0))" } ?? "") + "."
        } catch {
            let reason = (error as? FerryError).map { [$0.message, $0.changes].compactMap { $0 }.joined(separator: " ") }
                ?? "\(error)"
            return "\(failed.id) runs outside any transaction (-- ferry:no-transaction): its statements before the "
                + "failing one, and the migrations before it, are committed. Restoring the pre-upgrade backup "
                + "\(backup.name) failed too (\(reason)): run 'ferry restore \(backup.name) --yes'."
        }
    }

    /// What the history says of how a migration was applied, if anything unusual.
    private func notes(for migration: Migration, outOfOrder: Set<String>, isNewDatabase: Bool) -> String? {
        var notes: [String] = []
        if outOfOrder.contains(migration.id) { notes.append("applied out of order with --allow-changed") }
        if options.skipBackup && !isNewDatabase { notes.append("applied without a pre-upgrade backup (--no-backup)") }
        return notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// Describes a migration's failure as a ``FerryError`` naming the migration.
    private func failure(of migration: Migration, _ error: any Error) -> FerryError {
        if var error = error as? FerryError {
            error.message = "Migration \(migration.id) failed: \(error.message)"
            return error
        }
        return FerryError(.migrationFailed, "Migration \(migration.id) failed: \(error)")
    }
}
