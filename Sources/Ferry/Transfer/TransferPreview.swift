/// What a transfer would do, computed without changing anything: shown
/// before the confirmation, and compared at commit with what it did.
public struct TransferPreview: Sendable, Hashable, Codable {
    /// The request previewed.
    public var request: TransferRequest
    /// The definition it uses, and how it was found.
    public var definition: TransferDefinition
    /// The source's rows that match (the condition applied).
    public var matching: Int
    /// The rows that would move or be copied.
    public var rows: Int
    /// The matching rows that conflict with a row of the target.
    public var conflicts: Int
    /// The target's rows that would be deleted (policy replace).
    public var replaced: Int
    /// The first and last of the matching rows' ``TransferDefinition/order`` values.
    public var firstAt: String?
    /// The last of them.
    public var lastAt: String?
    /// The table's columns, for ``firstRows`` and ``lastRows``.
    public var columns: [String]
    /// The first few matching rows, as text (nil for NULL).
    public var firstRows: [[String?]]
    /// The last few.
    public var lastRows: [[String?]]
    /// The target's rows in the same span of ``TransferDefinition/order``
    /// (all the target's rows when there is no order).
    public var targetRowsInSpan: Int
    /// The source entity's rows left in the table afterwards.
    public var sourceRowsLeft: Int
    /// The other rows that reference the source entity, as `table.column: N`.
    public var otherReferences: [String]
    /// Whether the source entity would be deleted (``TransferRequest/deletesEmptySource``
    /// and nothing references it afterwards).
    public var deletesSource: Bool
    /// What else changes, in words, one line each. The pre-transfer backup
    /// is not among them: ``Ferry/transfer(_:expecting:takingBackup:onEvent:)``'s
    /// caller decides it (the `ferry` tool adds it unless `--no-backup`).
    public var alsoChanges: [String]
    /// The id of the past transfer this one repeats, when it was done
    /// already: then nothing is left to do and nothing changes.
    public var doneBy: Int?

    /// Whether the transfer would refuse because of conflicts.
    public var isRefusedByConflicts: Bool { request.policy == .refuse && conflicts > 0 }
}
