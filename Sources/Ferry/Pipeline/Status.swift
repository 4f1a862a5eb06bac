/// Where a database stands: the program's release, the database's, what is
/// applied and pending, and who holds the upgrade lock.
public struct Status: Sendable, Encodable, WordedForReader {
    /// This program's release.
    public let release: Release
    /// The release recorded in the database, or nil for a new database.
    public let databaseRelease: String?
    /// The ids of the applied migrations, in the order they were applied
    /// (empty when ``isBusy``: the history was not read).
    public let applied: [String]
    /// The ids of the applied migrations that the application registered in
    /// Swift and this program does not see (the `ferry` tool), which it
    /// neither knows nor compares.
    public var appliedByApplication: [String] = []
    /// The ids of the pending migrations, in the order they would run
    /// (empty when ``isBusy``).
    public let pending: [String]
    /// Whether an upgrade would do nothing.
    public let upToDate: Bool
    /// Whether the database exists.
    public let databaseExists: Bool
    /// The database, without any password.
    public let database: String
    /// Who holds the upgrade lock, if anyone.
    public let lockHolder: LockHolder?
    /// Why an upgrade would be refused, if it would.
    public var problem: String? { markedProblem?.worded(for: wording) }
    /// Who reads the status: its problem may name a setting or a command.
    public var wording: FerryError.Wording = .library
    /// ``problem`` as written, with its settings and commands marked.
    let markedProblem: MarkedText?
    /// Why the database refuses every change, naming where changes go (a
    /// PostgreSQL hot standby), or nil when it accepts them.
    public var readOnly: String?
    /// Whether another process holds the upgrade lock, so that this status
    /// was answered from the lock alone, without reading the database.
    public var isBusy = false

    private enum CodingKeys: String, CodingKey {
        case release, databaseRelease, applied, appliedByApplication, pending, upToDate,
            databaseExists, database, lockHolder, readOnly, isBusy
        case markedProblem = "problem"
    }

    /// Builds the status from a plan.
    public init(plan: Plan, lockHolder: LockHolder?, database: String) {
        self.release = plan.programRelease
        self.databaseRelease = plan.database.recordedRelease
        self.applied = plan.database.applied.map(\.id)
        self.appliedByApplication = plan.appliedByApplication.map(\.id)
        self.pending = plan.pending.map(\.id)
        self.upToDate = plan.isUpToDate && plan.refusal(allowingChanged: false) == nil
        self.databaseExists = plan.database.exists
        self.database = database
        self.lockHolder = lockHolder
        self.markedProblem = (plan.refusal(allowingChanged: false)?.markedMessage).map(
            MarkedText.init)
    }

    /// The status of a database whose upgrade lock another process holds:
    /// answered from the lock, without reading the database (which that
    /// process may keep busy until it ends).
    public init(programRelease: Release, lockHolder: LockHolder, database: String) {
        self.release = programRelease
        self.databaseRelease = nil
        self.applied = []
        self.pending = []
        self.upToDate = false
        self.databaseExists = true
        self.database = database
        self.lockHolder = lockHolder
        self.markedProblem = MarkedText(
            "Busy: an upgrade (or restore) holds the lock, so the database was not read "
                + "(\(lockHolder.step ?? "starting")). Run \(run: .status) again when it has finished."
        )
        self.isBusy = true
    }
}
