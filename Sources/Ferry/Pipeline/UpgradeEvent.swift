import Foundation

/// Something that happened during an upgrade, reported as it happens.
///
/// Each event has a human ``message`` (what the tool prints and the library
/// logs) and encodes as one JSON object with an `event` name, its fields and
/// the message (the tool adds the time it happened, `at`). A backup is named
/// under `backup` (`backups` for several), as in every result (docs/JSON.md).
public enum UpgradeEvent: Sendable, Encodable {
    /// The upgrade lock is held by someone else; Ferry waits for it.
    case waitingForLock(holder: LockHolder?, timeout: Duration)
    /// A transaction that a dead process left unfinished was rolled back
    /// before the database was read.
    case interruptedTransactionRolledBack(database: String, InterruptedTransaction)
    /// The plan is known.
    case planned(Plan)
    /// A migration starts: `index` counts from 1 up to `total`.
    case migrationStarted(id: String, index: Int, total: Int)
    /// A migration finished (it is committed with the rest of its transaction).
    case migrationFinished(id: String, index: Int, total: Int, seconds: Double)
    /// Every migration of a release is committed.
    case releaseCompleted(Release)
    /// A changed or missing migration was accepted with `--allow-changed`.
    case changeAccepted(id: String, note: String)
    /// The upgrade is committed.
    case upgradeCompleted(from: String?, to: Release, applied: Int, seconds: Double)
    /// There was nothing to do.
    case upToDate(Release)
    /// A backup is being written.
    case backupStarted(kind: BackupKind, file: String)
    /// A backup was written, checked and cataloged.
    case backupCompleted(name: String, bytes: Int64, seconds: Double)
    /// The backup of a failed attempt is used again: the database has not
    /// changed since it was taken.
    case backupReused(name: String, attemptEnded: Date)
    /// Retention deleted old backups: `keep` of every kind, `keepManual`
    /// of the manual ones when that is set.
    case backupsDeleted(names: [String], keep: Int, keepManual: Int?)
    /// A restore starts replacing the live database.
    case restoreStarted(backup: String)
    /// Down scripts are being run.
    case downgradeStarted(to: Release, migrations: Int)
    /// Preflight ran (under the lock, before anything changed).
    case preflightCompleted(PreflightReport)
    /// A version-range hook ran (inside the upgrade's transaction).
    case hookFinished(id: String, seconds: Double)
    /// Verification ran, before the commit.
    case verificationCompleted(VerificationReport)
    /// Long work has come this far (see ``WorkProgress``): at most about
    /// ten a second, and only for work that lasts.
    case progress(WorkProgress)

    /// The event as a line for people.
    public var message: String {
        switch self {
        case .waitingForLock(let holder, let timeout):
            let who = holder.map { "held by \($0)" } ?? "held by another process"
            return "Waiting up to \(timeout.text) for the upgrade lock, \(who)…"
        case .interruptedTransactionRolledBack(let database, let rolledBack):
            return
                "An interrupted transaction in \(database) (left in \(rolledBack.file) by a write that stopped "
                + "before it committed: a killed process, a full disk) was rolled back: the database is "
                + (rolledBack.release.map { "at release \($0)" }
                    ?? "at no release recorded by Ferry") + "."
        case .planned(let plan):
            return plan.summary + (plan.appliedByApplicationSummary.map { "; \($0)" } ?? "")
        case .migrationStarted(let id, let index, let total):
            return "Applying \(id) (\(index)/\(total))…"
        case .migrationFinished(let id, _, _, let seconds):
            return "Applied \(id) in \(Duration.text(seconds: seconds))"
        case .releaseCompleted(let release):
            return "Release \(release) completed successfully"
        case .changeAccepted(let id, let note):
            return "Accepted \(id): \(note)"
        case .upgradeCompleted(_, let to, _, let seconds):
            return "Upgrade to \(to) completed successfully in \(Duration.text(seconds: seconds))"
        case .upToDate(let release):
            return "The database is up to date at \(release)"
        case .backupStarted(let kind, let file):
            return "Writing the \(kind.rawValue) backup \(file)…"
        case .backupCompleted(let name, let bytes, let seconds):
            return
                "Backup \(name) written and checked (\(FileSafety.formatBytes(bytes)), \(Duration.text(seconds: seconds)))"
        case .backupReused(let name, let ended):
            return
                "Reusing backup \(name) from the failed attempt at \(Timestamp.string(from: ended)): "
                + "the database has not changed since"
        case .backupsDeleted(let names, let keep, let keepManual):
            return
                "Retention (keep \(keep)\(keepManual.map { ", keep_manual \($0)" } ?? "")) deleted \(names.count == 1 ? "1 old backup" : "\(names.count) old backups"): "
                + names.joined(separator: ", ")
        case .restoreStarted(let backup):
            return "Replacing the live database with \(backup)…"
        case .downgradeStarted(let to, let migrations):
            return
                "Reverting \(migrations == 1 ? "1 migration" : "\(migrations) migrations") with their down scripts, down to \(to)…"
        case .preflightCompleted(let report):
            func count(_ number: Int, _ noun: String) -> String {
                "\(number) \(noun)\(number == 1 ? "" : "s")"
            }
            let drift = report.drift?.differences.count ?? 0
            return
                "Preflight: \(count(report.checks.count, "check")), \(count(report.warnings.count, "warning")), "
                + count(report.blockers.count, "blocker")
                + (drift == 0 ? "" : ", \(count(drift, "schema drift warning"))")
        case .hookFinished(let id, let seconds):
            return "Ran hook \(id) in \(Duration.text(seconds: seconds))"
        case .verificationCompleted(let report):
            let passed = report.checks.filter { $0.status == .passed }.count
            return
                "Verification: \(passed) of \(report.checks.count) checks passed in \(Duration.text(seconds: report.seconds))"
        case .progress(let progress):
            return progress.message
        }
    }

    /// The event's name in JSON.
    public var name: String {
        switch self {
        case .waitingForLock: return "waitingForLock"
        case .interruptedTransactionRolledBack: return "interruptedTransactionRolledBack"
        case .planned: return "planned"
        case .migrationStarted: return "migrationStarted"
        case .migrationFinished: return "migrationFinished"
        case .releaseCompleted: return "releaseCompleted"
        case .changeAccepted: return "changeAccepted"
        case .upgradeCompleted: return "upgradeCompleted"
        case .upToDate: return "upToDate"
        case .backupStarted: return "backupStarted"
        case .backupCompleted: return "backupCompleted"
        case .backupReused: return "backupReused"
        case .backupsDeleted: return "backupsDeleted"
        case .restoreStarted: return "restoreStarted"
        case .downgradeStarted: return "downgradeStarted"
        case .preflightCompleted: return "preflightCompleted"
        case .hookFinished: return "hookFinished"
        case .verificationCompleted: return "verificationCompleted"
        case .progress: return "progress"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case event, message, holder, timeoutSeconds, database, id, index, total, seconds, release
        case from, to, appliedCount, pending, note, kind, file, bytes, keep, keepManual, backup,
            backups,
            migrations, checks
        case attemptEnded, warnings
        case task, unit, done, finished
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .event)
        switch self {
        case .waitingForLock(let holder, let timeout):
            try container.encodeIfPresent(holder, forKey: .holder)
            try container.encode(timeout.inSeconds, forKey: .timeoutSeconds)
        case .interruptedTransactionRolledBack(let database, let rolledBack):
            try container.encode(database, forKey: .database)
            try container.encode(rolledBack.file, forKey: .file)
            try container.encodeIfPresent(rolledBack.release, forKey: .release)
        case .planned(let plan):
            try container.encodeIfPresent(plan.database.recordedRelease, forKey: .from)
            try container.encode(plan.targetRelease, forKey: .to)
            try container.encode(plan.pending.map(\.id), forKey: .pending)
        case .migrationStarted(let id, let index, let total):
            try container.encode(id, forKey: .id)
            try container.encode(index, forKey: .index)
            try container.encode(total, forKey: .total)
        case .migrationFinished(let id, let index, let total, let seconds):
            try container.encode(id, forKey: .id)
            try container.encode(index, forKey: .index)
            try container.encode(total, forKey: .total)
            try container.encode(seconds, forKey: .seconds)
        case .releaseCompleted(let release):
            try container.encode(release, forKey: .release)
        case .changeAccepted(let id, let note):
            try container.encode(id, forKey: .id)
            try container.encode(note, forKey: .note)
        case .upgradeCompleted(let from, let to, let applied, let seconds):
            try container.encodeIfPresent(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(applied, forKey: .appliedCount)
            try container.encode(seconds, forKey: .seconds)
        case .upToDate(let release):
            try container.encode(release, forKey: .release)
        case .backupStarted(let kind, let file):
            try container.encode(kind, forKey: .kind)
            try container.encode(file, forKey: .backup)
        case .backupCompleted(let name, let bytes, let seconds):
            try container.encode(name, forKey: .backup)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(seconds, forKey: .seconds)
        case .backupReused(let name, let ended):
            try container.encode(name, forKey: .backup)
            try container.encode(Timestamp.string(from: ended), forKey: .attemptEnded)
        case .backupsDeleted(let names, let keep, let keepManual):
            try container.encode(names, forKey: .backups)
            try container.encode(keep, forKey: .keep)
            try container.encode(keepManual, forKey: .keepManual)
        case .restoreStarted(let backup):
            try container.encode(backup, forKey: .backup)
        case .downgradeStarted(let to, let migrations):
            try container.encode(to, forKey: .to)
            try container.encode(migrations, forKey: .migrations)
        case .preflightCompleted(let report):
            try container.encode(report.checks, forKey: .checks)
            try container.encode(report.drift?.differences ?? [], forKey: .warnings)
        case .hookFinished(let id, let seconds):
            try container.encode(id, forKey: .id)
            try container.encode(seconds, forKey: .seconds)
        case .verificationCompleted(let report):
            try container.encode(report.checks, forKey: .checks)
            try container.encode(report.seconds, forKey: .seconds)
        case .progress(let progress):
            try container.encode(progress.task, forKey: .task)
            try container.encode(progress.unit, forKey: .unit)
            try container.encode(progress.done, forKey: .done)
            try container.encode(progress.total, forKey: .total)
            try container.encode(progress.seconds, forKey: .seconds)
            try container.encode(progress.isFinished, forKey: .finished)
        }
        try container.encode(message, forKey: .message)
    }
}
