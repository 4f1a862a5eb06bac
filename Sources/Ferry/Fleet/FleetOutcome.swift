/// What became of one database in a fleet run.
public enum FleetOutcome: String, Sendable, Codable, CaseIterable {
    /// The operation succeeded.
    case succeeded
    /// The operation failed or was refused; the result holds the error.
    case failed
    /// The database does not exist and was not created: nothing was done.
    case skipped
    /// The run stopped before this database (an earlier failure, a failed
    /// canary): it was not touched.
    case notStarted = "not started"
}
