/// A transaction that a process left unfinished (killed, or stopped by a
/// full disk) and that an engine rolled back before reading the database:
/// see ``DatabaseEngine/rollBackInterruptedTransaction(holder:timeout:)``.
public struct InterruptedTransaction: Sendable, Encodable {
    /// What held the unfinished transaction, such as SQLite's `app.db-journal`.
    public var file: String
    /// The release the database records now, after the rollback; nil when
    /// Ferry has not upgraded it.
    public var release: String?

    /// Describes a rolled-back transaction.
    public init(file: String, release: String?) {
        self.file = file
        self.release = release
    }
}
