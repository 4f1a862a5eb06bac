/// The statements that move a transfer's rows and record each moved row's
/// key and digest, for an engine to run the way it does best
/// (``TransferringSession/move(_:)``).
public struct TransferMove: Sendable {
    /// The transfer's id in `ferry_transfers`.
    public var transfer: Int
    /// Records each row that moves, before the move: in
    /// `ferry_transfer_rows`, or in one pack where the engine packs in a statement.
    public var record: TransferRecording
    /// Moves the rows: one `UPDATE` of the owner column.
    public var move: HistoryStatement
    /// Moves the rows and records each as it goes, through the dialect's
    /// ``TransferDialect/recording(_:key:digestOf:)``; nil when the engine
    /// has no such expression.
    public var recordingMove: HistoryStatement?

    /// Creates the statements of a move.
    public init(
        transfer: Int, record: TransferRecording, move: HistoryStatement,
        recordingMove: HistoryStatement?
    ) {
        self.transfer = transfer
        self.record = record
        self.move = move
        self.recordingMove = recordingMove
    }
}
