/// What `ferry adopt` is asked to do.
public struct AdoptOptions: Sendable {
    /// The tool whose history to take over; nil detects it (refused when
    /// the database holds none or several).
    public var tool: ForeignTool?
    /// Whether files that changed since the tool applied them are adopted
    /// as they are now, and history entries that no file matches left out
    /// (the history notes both).
    public var allowChanged: Bool
    /// Whether to work out and report what would be recorded, changing nothing.
    public var dryRun: Bool

    /// Creates options.
    public init(tool: ForeignTool? = nil, allowChanged: Bool = false, dryRun: Bool = false) {
        self.tool = tool
        self.allowChanged = allowChanged
        self.dryRun = dryRun
    }
}

/// What `ferry adopt` did, or would do in a dry run.
public struct AdoptReport: Sendable, Encodable {
    /// The tool whose history was adopted.
    public let tool: ForeignTool
    /// The table (or registry table) read.
    public let table: String
    /// Whether nothing was changed because only a plan was asked for.
    public let dryRun: Bool
    /// The migrations recorded (or to record) in Ferry's history, kind `adopted`.
    public let adopted: [AdoptionPlan.Adopted]
    /// Entries of the tool's history that no file matches, left out with `allowChanged`.
    public let leftOut: [String]
    /// The release stamped (or to stamp), or nil when no release's migrations are all applied.
    public let release: String?
    /// The migrations the tool never applied, which the next upgrade applies.
    public let pending: [String]
    /// The backup taken before anything was recorded.
    public let backup: String?
}
