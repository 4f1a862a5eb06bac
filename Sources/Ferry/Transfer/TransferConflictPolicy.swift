/// What a transfer does with a row whose `unique` columns match a row the
/// target already has.
public enum TransferConflictPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Refuse the whole transfer, changing nothing (the default).
    case refuse
    /// Leave the conflicting rows with the source; move the others.
    case skip
    /// Delete the target's conflicting rows, then move every row.
    case replace

    /// Reads a policy's name.
    public init?(parsing text: String) {
        self.init(rawValue: text.lowercased())
    }
}
