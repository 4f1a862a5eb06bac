import Foundation

/// An SQL migration to run and record in one pass of
/// ``MigrationSession/runAndRecord(_:onStart:onFinish:)``: its script and
/// its history row.
public struct ScriptStep: Sendable {
    /// The migration's up script.
    public var script: SQLScript
    /// Its history row; the session sets ``AppliedMigration/appliedAt`` and
    /// ``AppliedMigration/duration`` when the script has run.
    public var row: AppliedMigration

    /// Creates a step.
    public init(script: SQLScript, row: AppliedMigration) {
        self.script = script
        self.row = row
    }
}

extension MigrationSession {
    /// Runs each step's script and records its history row, one after the
    /// other, with one call per script and one per row.
    ///
    /// Engines that can do better (SQLite: every step in one access to the
    /// connection, the history rows written after the last script with one
    /// prepared `INSERT`) implement it themselves.
    public func runAndRecord(
        _ steps: [ScriptStep], onStart: @escaping @Sendable (Int) -> Void,
        onFinish: @escaping @Sendable (Int, AppliedMigration) -> Void
    ) async throws {
        let clock = ContinuousClock()
        for (index, step) in steps.enumerated() {
            onStart(index)
            let started = clock.now
            var row = step.row
            row.appliedAt = Date()
            try await run(step.script)
            row.duration = (clock.now - started).inSeconds
            try await record(row)
            onFinish(index, row)
        }
    }
}
