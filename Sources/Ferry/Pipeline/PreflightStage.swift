import Foundation

/// Step 4 of the upgrade pipeline, preflight: the checks before anything
/// changes (upgrade-path policy, free space, writable folders, integrity,
/// environment, components), run under the lock. A blocker, or a warning
/// without `--force`, stops the upgrade with nothing changed.
struct PreflightStage {
    let ferry: Ferry
    let options: UpgradeOptions
    let emit: @Sendable (UpgradeEvent) -> Void

    /// Runs preflight and reports it.
    ///
    /// - Throws: ``FerryError`` (code `preflightRefused`).
    func run(_ plan: Plan, catalog: MigrationCatalog, in session: any MigrationSession) async throws
    {
        guard !options.skipsPreflight else { return }
        let access: Preflight.Access = plan.database.exists ? .inspection(session) : .missing
        let report = await Preflight(
            configuration: ferry.configuration, plan: plan, allowChanged: options.allowChanged,
            skipsBackup: options.skipBackup, catalog: catalog
        ).run(access)
        emit(.preflightCompleted(report))
        if let refusal = report.refusal(force: options.force) { throw refusal }
    }
}
