import Foundation

/// Step 8 of the upgrade pipeline, commit and report: after the last
/// transaction committed (with the release stamped in it), the backup's
/// attempt is marked as succeeded, backup retention runs (never deleting
/// the backup of this upgrade), and the summary is reported.
struct CommitStage {
    let ferry: Ferry
    let emit: @Sendable (UpgradeEvent) -> Void

    /// Reports the committed upgrade.
    ///
    /// - Parameter started: When the upgrade started, for its duration.
    /// - Returns: What was done.
    func run(_ plan: Plan, backup: Backup?, startedAt started: ContinuousClock.Instant)
        -> UpgradeReport
    {
        for release in plan.pendingReleases { emit(.releaseCompleted(release)) }
        if let backup {
            ferry.recordSucceededAttempt(of: backup)
            do {
                try ferry.applyRetention(protecting: [backup.name], emit: emit)
            } catch {
                // The upgrade is committed: a backup left over is no reason to report it failed.
                ferry.configuration.logger.warning(
                    "Backup retention failed after the upgrade: \(error)")
            }
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        emit(
            .upgradeCompleted(
                from: plan.database.recordedRelease, to: plan.targetRelease,
                applied: plan.pending.count,
                seconds: seconds))
        return UpgradeReport(
            from: plan.database.recordedRelease, to: plan.targetRelease,
            applied: plan.pending.map(\.id),
            seconds: seconds, wasUpToDate: false, backup: backup?.name)
    }
}
