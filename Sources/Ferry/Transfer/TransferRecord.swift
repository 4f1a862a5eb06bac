import Foundation

/// A transfer as Ferry's history keeps it (`ferry_transfers`): what moved,
/// from whom to whom, how, when and by whom, and whether it was undone.
public struct TransferRecord: Sendable, Hashable, Codable {
    /// Its number, for `ferry transfer --undo ID`.
    public var id: Int
    /// The definition's name.
    public var name: String
    /// The table whose rows moved.
    public var table: String
    /// The owner column.
    public var owner: String
    /// The source entity's key.
    public var from: String
    /// The target entity's key.
    public var to: String
    /// The condition given, if any.
    public var condition: String?
    /// Move or copy.
    public var mode: TransferRequest.Mode
    /// The conflict policy.
    public var policy: TransferConflictPolicy
    /// The rows moved or copied.
    public var rows: Int
    /// The target's rows deleted by policy replace.
    public var replaced: Int
    /// Whether the source entity was deleted.
    public var deletedSource: Bool
    /// The pre-transfer backup.
    public var backup: String?
    /// Who ran it (`user@host`).
    public var by: String
    /// When it committed.
    public var at: Date
    /// When it was undone, if it was.
    public var undoneAt: Date?
}
