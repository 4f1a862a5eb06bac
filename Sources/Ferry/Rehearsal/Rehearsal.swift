import Foundation

/// What a rehearsal measured: the whole upgrade, run on a copy.
public struct RehearsalReport: Sendable, Encodable {
    /// One timed step.
    public struct Step: Sendable, Encodable {
        /// What ran, such as `copy` or `migration 0.5.0/001_create_rooms`.
        public let name: String
        /// How long it took, in seconds.
        public let seconds: Double
    }

    /// Preflight, run on the live database.
    public let preflight: PreflightReport
    /// The release the database is at.
    public let from: String?
    /// The release the upgrade goes to.
    public let to: Release
    /// The migrations the upgrade applies, in order.
    public let applied: [String]
    /// Every step with its duration, in order.
    public let steps: [Step]
    /// Rows per table before the upgrade.
    public let rowsBefore: [String: Int]
    /// Rows per table after the upgrade.
    public let rowsAfter: [String: Int]
    /// The database's size before, in bytes (nil for a server engine).
    public let bytesBefore: Int64?
    /// The database's size after, in bytes (nil for a server engine).
    public let bytesAfter: Int64?
    /// How long the copy took: about what the upgrade's backup will take.
    public let copySeconds: Double
    /// How long the upgrade took on the copy.
    public let upgradeSeconds: Double
    /// Verification's checks on the upgraded copy, if it ran.
    public let verification: VerificationReport?

    /// The predicted duration of the real upgrade: the backup (as long as
    /// the copy took) and the upgrade itself.
    public var predictedSeconds: Double { copySeconds + upgradeSeconds }

    private enum CodingKeys: String, CodingKey {
        case preflight, from, to, applied, steps, rowsBefore, rowsAfter, bytesBefore, bytesAfter,
            copySeconds
        case upgradeSeconds, predictedSeconds, verification
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(preflight, forKey: .preflight)
        try container.encodeIfPresent(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(applied, forKey: .applied)
        try container.encode(steps, forKey: .steps)
        try container.encode(rowsBefore, forKey: .rowsBefore)
        try container.encode(rowsAfter, forKey: .rowsAfter)
        try container.encodeIfPresent(bytesBefore, forKey: .bytesBefore)
        try container.encodeIfPresent(bytesAfter, forKey: .bytesAfter)
        try container.encode(copySeconds, forKey: .copySeconds)
        try container.encode(upgradeSeconds, forKey: .upgradeSeconds)
        try container.encode(predictedSeconds, forKey: .predictedSeconds)
        try container.encodeIfPresent(verification, forKey: .verification)
    }
}

/// Collects a rehearsal's steps from the upgrade's events.
private final class StepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [RehearsalReport.Step] = []
    private var verification: VerificationReport?

    func record(_ event: UpgradeEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .migrationFinished(let id, _, _, let seconds):
            steps.append(.init(name: "migration \(id)", seconds: seconds))
        case .hookFinished(let id, let seconds):
            steps.append(.init(name: "hook \(id)", seconds: seconds))
        case .verificationCompleted(let report):
            steps.append(.init(name: "verification", seconds: report.seconds))
            verification = report
        default: break
        }
    }

    var recorded: (steps: [RehearsalReport.Step], verification: VerificationReport?) {
        lock.lock()
        defer { lock.unlock() }
        return (steps, verification)
    }
}

extension Ferry {
    /// Rehearses an upgrade: runs preflight on the live database, copies it
    /// with the engine's online copy (SQLite: the backup API; PostgreSQL:
    /// `pg_dump` and `pg_restore`) to a temporary database, runs the whole upgrade on the copy (migrations, hooks,
    /// verification), measures it, and deletes the copy.
    ///
    /// The live database is only read, never locked for writing: the
    /// application keeps working meanwhile.
    ///
    /// - Parameters:
    ///   - options: As for ``upgrade(_:onEvent:)``.
    ///   - onEvent: Called for each event of the upgrade on the copy.
    /// - Returns: Step durations, row counts and sizes before and after, and
    ///   the predicted duration.
    /// - Throws: ``FerryError``: a preflight refusal, or the failure the
    ///   upgrade meets on the copy. The live database is unchanged either way.
    public func rehearse(
        _ options: UpgradeOptions = UpgradeOptions(),
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> RehearsalReport {
        let clock = ContinuousClock()
        let preflightStart = clock.now
        let preflight = try await check(options)
        let preflightSeconds = (clock.now - preflightStart).inSeconds
        onEvent?(.preflightCompleted(preflight))
        if let refusal = preflight.refusal(force: options.force) { throw refusal }
        let copyStart = clock.now
        do {
            return try await configuration.engine.withRehearsalCopy { copy in
                CrashPoint.reach("rehearsal.copied")
                let copySeconds = (clock.now - copyStart).inSeconds
                var configuration = self.configuration
                configuration.engine = copy
                // Preflight on the live database already refused a missing one that may not be created.
                configuration.createsDatabase = true
                let exists = try await copy.readState().exists
                let rowsBefore =
                    exists ? try await copy.withInspection { try await $0.rowCounts() } : [:]
                let bytesBefore = copy.localFile.map { FileSafety.size(of: $0.path) }
                let recorder = StepRecorder()
                var rehearsalOptions = options
                rehearsalOptions.skipsPreflight = true
                rehearsalOptions.skipBackup = true  // the copy itself stands for the backup
                let logger = configuration.logger
                let report = try await Upgrade(
                    ferry: Ferry(configuration), options: rehearsalOptions,
                    emit: { event in
                        logger.info("[rehearsal] \(event.message)")
                        recorder.record(event)
                        onEvent?(event)
                    }
                ).perform()
                let existsAfter = try await copy.readState().exists
                let rowsAfter =
                    existsAfter ? try await copy.withInspection { try await $0.rowCounts() } : [:]
                let recorded = recorder.recorded
                let steps =
                    [
                        RehearsalReport.Step(name: "preflight", seconds: preflightSeconds),
                        RehearsalReport.Step(
                            name: "copy (as the backup will)", seconds: copySeconds),
                    ]
                    + recorded.steps
                return RehearsalReport(
                    preflight: preflight, from: report.from, to: report.to, applied: report.applied,
                    steps: steps,
                    rowsBefore: rowsBefore, rowsAfter: rowsAfter, bytesBefore: bytesBefore,
                    bytesAfter: copy.localFile.map { FileSafety.size(of: $0.path) },
                    copySeconds: copySeconds,
                    upgradeSeconds: report.seconds, verification: recorded.verification)
            }
        } catch var error as FerryError {
            error.markedMessage = "The rehearsal failed on the copy: \(error.markedMessage)"
            error.changes = "Nothing was changed: the rehearsal ran on a copy, which is deleted."
            throw error
        }
    }
}
