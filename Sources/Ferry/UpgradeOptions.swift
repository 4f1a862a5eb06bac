/// What an upgrade is asked to do.
public struct UpgradeOptions: Sendable {
    /// The release to go to; nil for this program's release.
    public var target: Release?
    /// Whether changed, missing and out-of-order migrations are accepted,
    /// which the history records.
    public var allowChanged: Bool
    /// Whether to skip the pre-upgrade backup (`--no-backup`), which the
    /// history records.
    public var skipBackup: Bool
    /// Whether preflight warnings are overridden (`--force`); blockers never are.
    public var force: Bool
    /// Whether preflight is left out (rehearsals run it on the live
    /// database; `test-paths` works on scratch databases).
    var skipsPreflight = false

    /// Creates options.
    public init(target: Release? = nil, allowChanged: Bool = false, skipBackup: Bool = false, force: Bool = false) {
        self.target = target
        self.allowChanged = allowChanged
        self.skipBackup = skipBackup
        self.force = force
    }
}

/// What an upgrade did.
public struct UpgradeReport: Sendable, Encodable {
    /// The release the database was at before, if any.
    public let from: String?
    /// The release the database is at now.
    public let to: Release
    /// The ids of the migrations applied, in order.
    public let applied: [String]
    /// How long the upgrade took, in seconds.
    public let seconds: Double
    /// Whether there was nothing to do.
    public let wasUpToDate: Bool
    /// The pre-upgrade backup's name, if one was taken.
    public var backup: String? = nil
}
