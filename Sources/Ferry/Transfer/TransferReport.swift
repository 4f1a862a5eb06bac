/// What a transfer, or its undo, did.
public struct TransferReport: Sendable, Hashable, Codable {
    /// What happened.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// The rows moved or were copied, and the transfer was recorded.
        case transferred
        /// The same transfer was done before (``TransferPreview/doneBy``):
        /// nothing changed.
        case alreadyDone = "already-done"
        /// The transfer was undone: the rows are back with their owner.
        case undone
        /// The transfer was undone before: nothing changed.
        case alreadyUndone = "already-undone"
    }

    /// What happened.
    public var outcome: Outcome
    /// The transfer's record (its id for `--undo`).
    public var transfer: TransferRecord
    /// The pre-transfer (or pre-undo) backup taken by this run, if any.
    public var backup: String?
    /// How long it took, in seconds.
    public var seconds: Double
}
