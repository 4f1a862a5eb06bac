import Foundation

/// Step 5 of the upgrade pipeline, back up: a verified pre-upgrade backup
/// (see ``Ferry/takeBackup(kind:format:state:upgradeTo:note:emit:)``), or the
/// one a failed attempt at the same upgrade left, which still holds the
/// database as it is.
struct BackupStage {
    let ferry: Ferry
    let options: UpgradeOptions
    let emit: @Sendable (UpgradeEvent) -> Void

    /// Takes the pre-upgrade backup, unless nothing is pending or the options skip it.
    ///
    /// - Returns: The backup, or nil when none was taken.
    /// - Throws: ``FerryError`` when the backup cannot be made or checked.
    func run(_ plan: Plan) async throws -> Backup? {
        guard !plan.pending.isEmpty, !options.skipBackup else { return nil }
        if let reused = await ferry.reusableFailedAttemptBackup(upgradeTo: plan.targetRelease),
            let attempt = reused.manifest.attempt
        {
            emit(.backupReused(name: reused.name, attemptEnded: attempt.ended))
            return reused
        }
        return try await ferry.takeBackup(
            kind: .preUpgrade, format: .native, state: plan.database, upgradeTo: plan.targetRelease,
            note: nil,
            emit: emit)
    }
}
