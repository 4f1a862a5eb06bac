/// Code or SQL that runs when an upgrade goes from a release in one range to
/// a release in another.
///
/// A hook runs when its ``from`` range holds the release the database was at
/// before the upgrade and its ``to`` range holds the release the upgrade goes
/// to. Hooks run inside the upgrade's transaction, after every migration, in
/// the order of their names (the leading number, then the name), and each
/// run is recorded in the history with the kind `hook`. They never run on a
/// fresh install, which has no release to come from.
///
/// Hooks come from SQL files in `migrations/hooks/`, whose header names the
/// ranges, and from Swift (``Ferry/Configuration/onUpgrade(from:to:name:_:)``):
///
/// ```sql
/// -- ferry:from <0.6.4
/// -- ferry:to >=1.0.0
/// UPDATE settings SET value = 'new' WHERE key = 'theme';
/// ```
public struct Hook: Sendable, Identifiable {
    /// The hook's name, such as `001_reset_theme`; unique among all hooks.
    public let name: String
    /// The releases the database may come from.
    public let from: ReleaseRange
    /// The releases the upgrade may go to.
    public let to: ReleaseRange
    /// What the hook runs.
    public let body: Migration.Body
    /// The SHA-256 of the script (or the Swift hook's marker), recorded in
    /// the history.
    public let checksum: String

    /// Creates a hook.
    public init(
        name: String, from: ReleaseRange, to: ReleaseRange, body: Migration.Body, checksum: String
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.body = body
        self.checksum = checksum
    }

    /// `hooks/<name>`.
    public var id: String { "hooks/\(name)" }

    /// Whether the hook runs in an upgrade from one release to another.
    ///
    /// - Parameters:
    ///   - origin: The database's release before the upgrade; nil for a
    ///     fresh install, in which no hook runs.
    ///   - destination: The release the upgrade goes to.
    public func runs(from origin: Release?, to destination: Release) -> Bool {
        guard let origin, origin != destination else { return false }
        return from.contains(origin) && to.contains(destination)
    }

    /// Whether `self` runs before `other`: by the leading number of the
    /// name, then by name.
    public func precedes(_ other: Hook) -> Bool {
        let left = Int(name.prefix(while: { $0.isASCII && $0.isNumber }))
        let right = Int(other.name.prefix(while: { $0.isASCII && $0.isNumber }))
        switch (left, right) {
        case (let left?, let right?) where left != right: return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        default: return name < other.name
        }
    }
}
