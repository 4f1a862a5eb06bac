/// How a fleet run goes through its databases.
public struct FleetOptions: Sendable {
    /// How many databases are worked on at once; nil for the default: the
    /// number of cores when every database is a local file, else 4 (a
    /// bounded pool of server connections).
    public var parallel: Int?
    /// How many databases, first in the listed order, go first as canaries:
    /// when any of them fails, no other database is touched.
    public var canary: Int
    /// Whether the run goes on after a database fails. When false, the run
    /// starts no new database after the first failure and lets the running
    /// ones finish.
    public var continuesOnError: Bool
    /// Whether a database that does not exist is created (an upgrade) rather
    /// than skipped.
    public var createsMissing: Bool

    /// Creates the options; by default one canary-less pass that stops at
    /// the first failure and skips missing databases.
    public init(
        parallel: Int? = nil, canary: Int = 0, continuesOnError: Bool = false,
        createsMissing: Bool = false
    ) {
        self.parallel = parallel
        self.canary = canary
        self.continuesOnError = continuesOnError
        self.createsMissing = createsMissing
    }
}
