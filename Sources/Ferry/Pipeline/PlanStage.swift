import Foundation

/// Step 3 of the upgrade pipeline, plan: the pending migrations in order,
/// the hooks whose ranges match, and what the history says against the
/// migrations (a newer release, changed or unknown migrations), which is
/// refused here with nothing changed.
struct PlanStage {
    /// A history change accepted with `--allow-changed`, recorded in the
    /// upgrade's first transaction.
    struct Acceptance {
        var id: String
        var checksum: String
        var note: String
        var acceptance: AppliedMigration.Acceptance
    }

    let ferry: Ferry
    let options: UpgradeOptions
    /// Every migration and hook this program knows.
    let catalog: MigrationCatalog
    /// This program's release.
    let programRelease: Release

    /// Reads the migrations and this program's release.
    ///
    /// - Throws: ``FerryError`` naming a malformed file, or saying that no
    ///   release is known.
    init(ferry: Ferry, options: UpgradeOptions) throws {
        self.ferry = ferry
        self.options = options
        catalog = try ferry.catalog()
        programRelease = try ferry.programRelease(in: catalog)
    }

    /// Plans the upgrade from a database's state.
    ///
    /// - Parameter refusing: Whether to refuse what the plan finds wrong;
    ///   false when the state could not be read yet (another upgrader holds
    ///   the lock).
    /// - Throws: ``FerryError``: a wrong target, or a refusal.
    func run(_ state: DatabaseState, refusing: Bool = true) throws -> Plan {
        let plan = try Planner.plan(
            catalog: catalog, state: state, programRelease: programRelease,
            target: options.target, minimumUpgradableFrom: ferry.configuration.minimumUpgradableFrom
        )
        if refusing, let refusal = plan.refusal(allowingChanged: options.allowChanged) {
            throw refusal
        }
        return plan
    }

    /// The changes to the history that `--allow-changed` accepts: changed
    /// checksums, and missing files not accepted before.
    func acceptances(in plan: Plan) -> [Acceptance] {
        guard options.allowChanged else { return [] }
        let when = Timestamp.string(from: Date())
        return plan.changed.map { change in
            Acceptance(
                id: change.applied.id, checksum: change.current.checksum,
                note: "checksum \(change.applied.checksum) changed to \(change.current.checksum); "
                    + "accepted with --allow-changed at \(when)", acceptance: .changed)
        }
            + plan.missing.filter { $0.acceptance != .missing }.map { missing in
                Acceptance(
                    id: missing.id, checksum: missing.checksum,
                    note: "file missing; accepted with --allow-changed at \(when)",
                    acceptance: .missing)
            }
    }
}
