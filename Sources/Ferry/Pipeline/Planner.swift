/// Computes a ``Plan`` from what the program knows and what the database holds.
public enum Planner {
    /// Plans an upgrade.
    ///
    /// - Parameters:
    ///   - catalog: The migrations this program knows.
    ///   - state: The database as read.
    ///   - programRelease: This program's release.
    ///   - target: The release to go to; nil for `programRelease`.
    ///   - minimumUpgradableFrom: The oldest release this program upgrades
    ///     from: applied migrations of older releases may be missing from
    ///     the program (like those a baseline replaces).
    /// - Throws: ``FerryError`` (code `invalidTarget`) when the target is
    ///   unknown, newer than the program, or older than the database.
    public static func plan(
        catalog: MigrationCatalog, state: DatabaseState, programRelease: Release,
        target: Release? = nil,
        minimumUpgradableFrom: Release? = nil
    ) throws -> Plan {
        let targetRelease = target ?? programRelease
        var newer: String?
        if let recorded = state.release, recorded > programRelease {
            newer = recorded.description
        } else if state.release == nil, let recorded = state.recordedRelease {
            // Unreadable release text: treat as written by someone else, never guess.
            newer = recorded
        }
        // Positions, not copies: a migration is a dozen references to retain.
        let migrations = catalog.migrations
        var positions: [String: Int] = [:]
        positions.reserveCapacity(migrations.count)
        for (position, migration) in migrations.enumerated() where positions[migration.id] == nil {
            positions[migration.id] = position
        }
        var changed: [Plan.ChangedMigration] = []
        var missing: [AppliedMigration] = []
        var appliedByApplication: [AppliedMigration] = []
        // Migrations a baseline replaced, or older than the program upgrades
        // from, may be gone from the program: their rows are not "missing".
        func isRetired(_ release: Release) -> Bool {
            (catalog.baselines.last.map { release <= $0.release } ?? false)
                || (minimumUpgradableFrom.map { release < $0 } ?? false)
        }
        // Each history row's migration is looked up once: whether it is applied, whether a
        // repeatable one runs again (when its file no longer matches a run), and below.
        var appliedPositions: [Int?] = []
        appliedPositions.reserveCapacity(state.applied.count)
        var isApplied = [Bool](repeating: false, count: migrations.count)
        var runsAgain = [Bool](repeating: false, count: migrations.count)
        for applied in state.applied {
            let position = positions[applied.id]
            appliedPositions.append(position)
            guard let position else { continue }
            isApplied[position] = true
            if migrations[position].isRepeatable,
                !migrations[position].matches(recordedChecksum: applied.checksum)
            {
                runsAgain[position] = true
            }
        }
        for (applied, position) in zip(state.applied, appliedPositions) where applied.kind != .hook
        {
            if applied.kind == .baseline { continue }
            // A tool that cannot see the application's Swift code can neither know nor compare its migrations.
            if applied.kind == .swift, !catalog.seesSwiftMigrations {
                appliedByApplication.append(applied)
                continue
            }
            if let position {
                if migrations[position].hasComparableChecksum,
                    !migrations[position].matches(recordedChecksum: applied.checksum)
                {
                    // A repeatable migration whose file changed runs again: it is pending, not changed.
                    if !migrations[position].isRepeatable {
                        changed.append(.init(applied: applied, current: migrations[position]))
                    }
                }
            } else if let release = applied.release.release, release > programRelease {
                if newer == nil || release > (Release(newer!) ?? release) {
                    newer = release.description
                }
            } else if let release = applied.release.release, isRetired(release) {
                continue
            } else {
                missing.append(applied)
            }
        }
        if newer == nil, let target {
            guard target <= programRelease else {
                throw FerryError(
                    .invalidTarget,
                    "\(.target) \(target) is newer than this program's release \(programRelease).",
                    changes: "Nothing was changed.",
                    advice: "Install release \(target) of the application to upgrade to it.")
            }
            guard catalog.releases.contains(target) || target == programRelease else {
                throw FerryError(
                    .invalidTarget, "\(.target) \(target) is not a release this program knows.",
                    changes: "Nothing was changed.",
                    advice:
                        "Known releases: \(catalog.releases.map(\.description).joined(separator: ", "))."
                )
            }
            if let current = state.release, target < current {
                throw FerryError(
                    .invalidTarget,
                    "The database is at \(current), already past \(.target) \(target).",
                    changes: "Nothing was changed.",
                    advice:
                        "An upgrade only goes forwards: use \(run: .downgrade(to: target)) or restore a backup."
                )
            }
        }
        let rerun = Set(migrations.indices.lazy.filter { runsAgain[$0] }.map { migrations[$0].id })
        var pending = migrations.indices.filter {
            migrations[$0].release <= targetRelease && (!isApplied[$0] || runsAgain[$0])
        }.map { migrations[$0] }
        let isFresh = state.release == nil && state.applied.isEmpty
        if isFresh, let baseline = catalog.baseline(atOrBelow: targetRelease) {
            // A fresh install runs the newest baseline instead of every migration up to its release.
            pending = [baseline] + pending.filter { $0.release > baseline.release }
        } else if let covered = state.applied.filter({ $0.kind == .baseline })
            .compactMap(\.release.release).max()
        {
            pending = pending.filter { $0.release > covered }
        }
        let outOfOrder = pending.filter { migration in
            !rerun.contains(migration.id)
                && (state.release.map { migration.release <= $0 } ?? false)
        }
        var plan = Plan(
            programRelease: programRelease, targetRelease: targetRelease, database: state,
            pending: pending,
            changed: changed, missing: missing, outOfOrder: outOfOrder, newerDatabaseRelease: newer)
        plan.appliedByApplication = appliedByApplication
        // Missing rows whose migration is still known under another release: another tool's
        // folder whose releases moved (the program's release changed with no [[release]]).
        let byName = Dictionary(
            catalog.migrations.filter { $0.toolVersion != nil }.map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first })
        plan.moved = missing.compactMap { applied in
            byName[applied.name].map { (applied: applied, current: $0) }
        }
        plan.hooks = catalog.hooks.filter { $0.runs(from: state.release, to: targetRelease) }
        return plan
    }
}
