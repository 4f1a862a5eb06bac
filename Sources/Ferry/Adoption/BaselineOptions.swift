/// What `ferry baseline` is asked to do.
public struct BaselineOptions: Sendable {
    /// The release whose schema the database has.
    public var release: Release
    /// Whether to compare only, recording nothing.
    public var dryRun: Bool

    /// Creates options.
    public init(release: Release, dryRun: Bool = false) {
        self.release = release
        self.dryRun = dryRun
    }
}

/// What `ferry baseline` did: the schema matched, and the release's
/// migrations were recorded (or would be, for a dry run).
public struct BaselineReport: Sendable, Encodable {
    /// The release recorded.
    public let release: Release
    /// Whether nothing was changed because only a comparison was asked for.
    public let dryRun: Bool
    /// The migrations recorded as applied (kind `baseline`), in order.
    public let recorded: [String]
    /// How many schema objects (tables, columns, keys, indexes, views,
    /// triggers, …) were compared.
    public let objectsCompared: Int
    /// The backup taken before anything was recorded.
    public let backup: String?
}
