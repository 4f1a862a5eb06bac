import Foundation

extension Ferry {
    /// Takes over a database that no migration tool managed, whose schema is
    /// already that of a release: installs the release's migrations on a
    /// scratch database of the engine (as a fresh install would), compares
    /// the two schemas object by object (tables, columns and their types,
    /// keys and constraints, indexes, views, triggers, functions, types), and
    /// only when they are the same, after a `pre-baseline` backup and in one
    /// transaction, records each of the release's migrations as applied
    /// (kind `baseline`) and stamps the release. Under the upgrade lock.
    ///
    /// - Returns: What was recorded (or would be, for a dry run).
    /// - Throws: ``FerryError``: `schemaDiffers` naming every difference,
    ///   `alreadyManaged`, `invalidTarget` for a release the program does
    ///   not know; nothing was changed then.
    @discardableResult
    public func baseline(
        _ options: BaselineOptions, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> BaselineReport {
        let emit = eventEmitter(onEvent)
        let engine = configuration.engine
        let catalog = try catalog()
        let program = try programRelease(in: catalog)
        let release = options.release
        guard release <= program, catalog.releases.contains(release) || release == program else {
            throw FerryError(
                .invalidTarget,
                "\(.baselineRelease) \(release) is not a release this program knows.",
                changes: "Nothing was changed.",
                advice:
                    "Known releases: \(catalog.releases.filter { $0 <= program }.map(\.description).joined(separator: ", "))."
            )
        }
        try Self.refuseManaged(try await engine.readState(), command: "baseline")
        // What a fresh install to the release runs: a baseline script, or every migration up to it.
        let install = try Planner.plan(
            catalog: catalog, state: .missing, programRelease: program, target: release
        ).pending
        let now = Date()
        let rows = install.enumerated().map { index, migration in
            AppliedMigration(
                id: migration.id, release: .release(migration.release), name: migration.name,
                checksum: migration.checksum, appliedAt: now, duration: 0,
                appliedBy: .release(program), kind: .baseline,
                note: "recorded by baseline: the schema was that of release \(release)",
                sequence: index + 1)
        }
        return try await engine.withUpgradeLock(
            holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
        ) {
            try await rollBackInterruptedTransaction(emit: emit)
            let state = try await engine.readState()
            try Self.refuseManaged(state, command: "baseline")
            var comparing = configuration
            comparing.checksSchemaDrift = true
            let (drift, compared) = try await engine.withInspection { live in
                let drift = await Ferry(comparing).schemaDrift(
                    of: live, applied: rows, catalog: catalog)
                return (drift, try await live.schemaObjects().count)
            }
            CrashPoint.reach("baseline.compared")
            if let skipped = drift.markedSkipped?.text {
                throw FerryError(
                    .schemaDiffers,
                    "The schema of release \(release) could not be compared with the database's: \(skipped).",
                    changes: "Nothing was changed.",
                    advice:
                        "Fix what stops the release's migrations from running on an empty database, then run it again."
                )
            }
            guard drift.differences.isEmpty else {
                let count = drift.differences.count
                throw FerryError(
                    .schemaDiffers,
                    "The database's schema is not that of release \(release) (\(count) difference\(count == 1 ? "" : "s")):\n"
                        + drift.differences.map { "  " + $0.detail }.joined(separator: "\n"),
                    changes: "Nothing was changed: no history was recorded.",
                    advice:
                        "Name the release whose schema the database has (\(.baselineRelease, .placeholder)), or make the "
                        + "database's schema that of \(release) by hand, then run it again.")
            }
            func report(backup: String?) -> BaselineReport {
                BaselineReport(
                    release: release, dryRun: options.dryRun, recorded: rows.map(\.id),
                    objectsCompared: compared, backup: backup)
            }
            if options.dryRun { return report(backup: nil) }
            let backup = try await takeBackup(
                kind: .preBaseline, format: .native, state: state, upgradeTo: nil,
                note: "before recording release \(release) as applied", emit: emit)
            CrashPoint.reach("baseline.backed-up")
            do {
                try await engine.withSession { session in
                    try await session.inTransaction(for: .bookkeeping) {
                        try Self.refuseManaged(try await session.readState(), command: "baseline")
                        for row in rows {
                            try await session.record(row)
                            CrashPoint.reach("baseline.recorded")
                        }
                        try await session.recordEvent(
                            HistoryEvent(
                                kind: .baselined, at: now, fromRelease: nil,
                                toRelease: .release(release), backup: backup.name,
                                note: "\(rows.count) migrations recorded: the schema matched "
                                    + "(\(compared) objects compared)"))
                        try await session.stamp(release: release, at: now)
                        CrashPoint.reach("baseline.before-commit")
                    }
                }
            } catch var error as FerryError {
                error.changes =
                    "Nothing was recorded: the database is as it was (backup \(backup.name))."
                throw error
            }
            try? applyRetention(protecting: [backup.name], emit: emit)
            return report(backup: backup.name)
        }
    }
}
