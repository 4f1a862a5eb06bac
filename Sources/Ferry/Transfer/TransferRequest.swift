/// One transfer as the user asks for it: which definition, from which
/// entity to which, and how.
public struct TransferRequest: Sendable, Hashable, Codable {
    /// Whether rows move (their owner changes) or are copied (new rows,
    /// new keys, the source keeps its own).
    public enum Mode: String, Sendable, Hashable, Codable {
        /// The owner column of each row is changed.
        case move
        /// Each row is inserted again with the target as owner.
        case copy
    }

    /// The definition's name (``TransferDefinition/name``).
    public var name: String
    /// The source entity's key, as text.
    public var from: String
    /// The target entity's key, as text.
    public var to: String
    /// A condition on the rows, in the engine's SQL (`taken_at >= '2024-01-01'`).
    public var condition: String?
    /// Move or copy.
    public var mode: Mode
    /// What to do with conflicting rows.
    public var policy: TransferConflictPolicy
    /// Whether to delete the source entity when no row references it afterwards.
    public var deletesEmptySource: Bool

    /// Creates a request.
    public init(
        name: String, from: String, to: String, condition: String? = nil, mode: Mode = .move,
        policy: TransferConflictPolicy = .refuse, deletesEmptySource: Bool = false
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.condition = condition
        self.mode = mode
        self.policy = policy
        self.deletesEmptySource = deletesEmptySource
    }
}
