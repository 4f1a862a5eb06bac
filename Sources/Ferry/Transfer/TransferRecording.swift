/// A statement that records the key and digest of rows a transfer moves or
/// copies (the `record(_:)` of a ``TransferringSession``).
public struct TransferRecording: Sendable {
    /// The statement.
    public var statement: HistoryStatement
    /// Whether it writes one pack and reads back how many rows the pack
    /// holds; else it inserts one row of `ferry_transfer_rows` per row.
    public var isPack: Bool

    /// Creates a recording.
    public init(statement: HistoryStatement, isPack: Bool) {
        self.statement = statement
        self.isPack = isPack
    }
}
