/// Computes a ``Plan`` from what the program knows and what the database holds.
public enum Planner {
    /// Plans an upgrade.
    ///
    /// - Parameters:
    ///   - catalog: The migrations this program knows.
    ///   - state: The database as read.
    ///   - programRelease: This program's release.
    ///   - target: The release to go to; nil for `programRelease`.
    /// - Throws: ``FerryError`` (code `invalidTarget`) when the target is
    ///   unknown, newer than the program, or older than the database.
    public static func plan(
        catalog: MigrationCatalog, state: DatabaseState, programRelease: Release, target: Release? = nil
    ) throws -> Plan {
        let targetRelease = target ?? programRelease
        var newer: String?
        if let recorded = state.release, recorded > programRelease {
            newer = recorded.description
        } else if state.release == nil, let recorded = state.recordedRelease {
            newer = recorded  // unreadable release text: treat as written by someone else, never guess
        }
        let known = Dictionary(catalog.migrations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var changed: [Plan.ChangedMigration] = []
        var missing: [AppliedMigration] = []
        for applied in state.applied {
            if let migration = known[applied.id] {
                if migration.hasComparableChecksum, migration.checksum != applied.checksum {
                    changed.append(.init(applied: applied, current: migration))
                }
            } else if let release = Release(applied.release), release > programRelease {
                if newer == nil || release > (Release(newer!) ?? release) { newer = release.description }
            } else {
                missing.append(applied)
            }
        }
        if newer == nil, let target {
            guard target <= programRelease else {
                throw FerryError(
                    .invalidTarget, "--to \(target) is newer than this program's release \(programRelease).",
                    changes: "Nothing was changed.",
                    advice: "Install release \(target) of the application to upgrade to it.")
            }
            guard catalog.releases.contains(target) || target == programRelease else {
                throw FerryError(
                    .invalidTarget, "--to \(target) is not a release this program knows.",
                    changes: "Nothing was changed.",
                    advice: "Known releases: \(catalog.releases.map(\.description).joined(separator: ", ")).")
            }
            if let current = state.release, target < current {
                throw FerryError(
                    .invalidTarget, "The database is at \(current), already past --to \(target).",
                    changes: "Nothing was changed.",
                    advice: "An upgrade only goes forwards: use 'ferry downgrade --to \(target)' or restore a backup.")
            }
        }
        let appliedIDs = Set(state.applied.map(\.id))
        let pending = catalog.migrations.filter { $0.release <= targetRelease && !appliedIDs.contains($0.id) }
        let outOfOrder = pending.filter { migration in state.release.map { migration.release <= $0 } ?? false }
        return Plan(
            programRelease: programRelease, targetRelease: targetRelease, database: state, pending: pending,
            changed: changed, missing: missing, outOfOrder: outOfOrder, newerDatabaseRelease: newer)
    }
}
