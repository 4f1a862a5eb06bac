import Foundation

/// One database's result in a fleet run.
public struct FleetResult: Sendable {
    /// The database.
    public let member: FleetMember
    /// What became of it.
    public var outcome: FleetOutcome
    /// What the operation reported, when it ran to the end.
    public var summary: FleetSummary?
    /// The error, when it failed (or why it was skipped).
    public var error: FerryError?
    /// How long its work took, in seconds (0 when it did not start).
    public var seconds: Double

    /// Creates a result.
    public init(
        member: FleetMember, outcome: FleetOutcome, summary: FleetSummary? = nil,
        error: FerryError? = nil, seconds: Double = 0
    ) {
        self.member = member
        self.outcome = outcome
        self.summary = summary
        self.error = error
        self.seconds = seconds
    }
}

/// What an operation on one database of a fleet reports: the releases it
/// went from and to, and the backup it took.
public struct FleetSummary: Sendable, Codable, Hashable {
    /// The database's release before (nil for a new database).
    public var from: String?
    /// The database's release after.
    public var to: String?
    /// The backup's name, when one was taken.
    public var backup: String?
    /// How many migrations were applied or are pending, as the operation counts them.
    public var migrations: Int?

    /// Creates a summary.
    public init(
        from: String? = nil, to: String? = nil, backup: String? = nil, migrations: Int? = nil
    ) {
        self.from = from
        self.to = to
        self.backup = backup
        self.migrations = migrations
    }
}

extension FleetSummary {
    /// What one database's upgrade did.
    public init(_ report: UpgradeReport) {
        self.init(
            from: report.from, to: report.to.description, backup: report.backup,
            migrations: report.applied.count)
    }
}

/// What a fleet run says as it goes.
public enum FleetEvent: Sendable {
    /// Work on a database began.
    case started(FleetMember)
    /// A database's result is known (also for one skipped or not started).
    case finished(FleetResult)
}
