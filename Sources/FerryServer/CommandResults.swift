import Ferry
import Foundation

// The admin server answers with the documents the `ferry` tool prints under `--json` (docs/JSON.md):
// the same keys, so that one script or page reads both. The envelope and the event lines are the
// core's (`CommandResult`, `TimedEvent`); the tool's own result types live in its executable
// target, which a library cannot import: these mirror them key for key, and
// `Tests/FerryServerTests` compares the two on the same database.

/// A failed request's or operation's document: `command`, `ok: false`, `error`.
struct ErrorResult: Encodable, Sendable {
    let command: String
    let ok = false
    let error: FerryError
}

/// `ferry plan --json`.
struct PlanResult: Encodable, Sendable {
    struct PlannedMigration: Encodable, Sendable {
        let id: String
        let release: Release
        let transactional: Bool
        let transaction: Migration.Transaction
    }

    let command = "plan"
    let ok: Bool
    let from: String?
    let to: Release
    let pending: [String]
    let migrations: [PlannedMigration]
    let hooks: [String]
    let upToDate: Bool
    let freshInstall: Bool
    let layout: String?
    let error: FerryError?

    init(_ plan: Plan, refusal: FerryError?) {
        ok = refusal == nil
        from = plan.database.recordedRelease
        to = plan.targetRelease
        pending = plan.pending.map(\.id)
        migrations = plan.pending.map {
            PlannedMigration(
                id: $0.id, release: $0.release, transactional: $0.isTransactional,
                transaction: $0.transaction)
        }
        hooks = plan.hooks.map(\.id)
        upToDate = plan.isUpToDate
        freshInstall = plan.isFreshInstall
        layout = plan.layout?.layout.rawValue
        error = refusal
    }
}

/// `ferry check --json`: the preflight table.
struct CheckResult: Encodable, Sendable {
    let command = "check"
    let ok: Bool
    let checks: [PreflightCheck]
    let warnings: [SchemaDifference]
    let error: FerryError?
}

/// `ferry verify --json`.
struct VerifyResult: Encodable, Sendable {
    let command = "verify"
    let ok: Bool
    let checks: [VerificationCheck]
    let warnings: [SchemaDifference]
    let error: FerryError?
}

/// `ferry history --json`.
struct HistoryResult: Encodable, Sendable {
    let command = "history"
    let ok = true
    let error: FerryError? = nil
    let applied: [String]
    let migrations: [AppliedMigration]
    let events: [HistoryEvent]
}

/// A listed backup: its name under `backup`, beside its manifest's keys.
struct ListedBackup: Encodable, Sendable {
    let manifest: BackupManifest

    private enum CodingKeys: String, CodingKey {
        case backup
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(manifest.file, forKey: .backup)
        try manifest.encode(to: encoder)
    }
}

/// `ferry backups --json`.
struct BackupsResult: Encodable, Sendable {
    let command = "backups"
    let ok = true
    let error: FerryError? = nil
    let folder: String
    let backups: [ListedBackup]
    let unusable: [UnusableBackup]
    let leftovers: [String]
}

/// `ferry backup --json`.
struct BackupResult: Encodable, Sendable {
    let command = "backup"
    let ok = true
    let error: FerryError? = nil
    let backup: String
    let manifest: BackupManifest
    let path: String
}

/// `ferry restore --json`.
struct RestoreResult: Encodable, Sendable {
    let command = "restore"
    let ok = true
    let error: FerryError? = nil
    let report: RestoreReport
}

/// `ferry upgrade --json`.
struct UpgradeResult: Encodable, Sendable {
    let command = "upgrade"
    let ok = true
    let error: FerryError? = nil
    let from: String?
    let to: Release
    let applied: [String]
    let appliedCount: Int
    let seconds: Double
    let upToDate: Bool
    let backup: String?

    init(_ report: UpgradeReport) {
        from = report.from
        to = report.to
        applied = report.applied
        appliedCount = report.applied.count
        seconds = report.seconds
        upToDate = report.wasUpToDate
        backup = report.backup
    }
}

/// `ferry upgrade --rehearse --json`.
struct RehearsalResult: Encodable, Sendable {
    let command = "upgrade"
    let rehearsal = true
    let ok = true
    let error: FerryError? = nil
    let report: RehearsalReport
}

/// What starting a long operation answers (202): its id and where its
/// events are.
struct OperationStarted: Encodable, Sendable {
    let command: String
    let ok = true
    let error: FerryError? = nil
    let operation: String
    let kind: OperationKind
    let events: String
}
