/// Something installed alongside the application (a plugin, an extension)
/// whose compatibility with the release an upgrade goes to is checked before
/// the upgrade.
///
/// ```toml
/// [[component]]
/// name = "zigbee-bridge"
/// version = "2.4.1"
/// compatible = ">=0.3.0 <0.6.0"   # releases this version is known to work with
/// remove_before = ">=0.6.0"       # releases that cannot run with it: remove it first
/// remove_after = ">=0.5.0"        # releases that replace it: remove it after upgrading
/// ```
///
/// Its ``State`` for the target release is decided in this order: in
/// `remove_before` → obsolete (a blocker); in `remove_after` → to be removed
/// after upgrading (a warning); in `compatible` → compatible; otherwise
/// unconfirmed (a warning).
public struct Component: Sendable, Hashable {
    /// A component's compatibility with a release.
    public enum State: String, Sendable, Encodable {
        /// Known to work with the release.
        case compatible
        /// Not known to work with the release (a warning).
        case unconfirmed
        /// Cannot run with the release: remove it before upgrading (a blocker).
        case obsolete
        /// Works during the upgrade but is replaced by the release: remove it
        /// after upgrading (a warning).
        case removeAfterUpgrade = "remove-after-upgrade"
    }

    /// The component's name.
    public var name: String
    /// The installed version, shown in the check.
    public var version: String?
    /// The releases this version is known to work with.
    public var compatible: ReleaseRange?
    /// The releases that cannot run with it.
    public var removeBefore: ReleaseRange?
    /// The releases that replace it.
    public var removeAfter: ReleaseRange?

    /// Creates a component.
    public init(
        name: String, version: String? = nil, compatible: ReleaseRange? = nil,
        removeBefore: ReleaseRange? = nil,
        removeAfter: ReleaseRange? = nil
    ) {
        self.name = name
        self.version = version
        self.compatible = compatible
        self.removeBefore = removeBefore
        self.removeAfter = removeAfter
    }

    /// The component's state for a release.
    public func state(for release: Release) -> State {
        if removeBefore?.contains(release) == true { return .obsolete }
        if removeAfter?.contains(release) == true { return .removeAfterUpgrade }
        if compatible?.contains(release) == true { return .compatible }
        return .unconfirmed
    }

    /// The preflight check for an upgrade to a release.
    public func check(for release: Release) -> PreflightCheck {
        let title = "component \(name)" + (version.map { " \($0)" } ?? "")
        switch state(for: release) {
        case .compatible:
            return PreflightCheck(name: title, status: .ok, detail: "compatible with \(release)")
        case .unconfirmed:
            let known =
                compatible.map { "it is known to work with \($0)" }
                ?? "no compatible releases are declared"
            return PreflightCheck(
                name: title, status: .warning,
                detail: "unconfirmed: not known to work with \(release) (\(known))")
        case .obsolete:
            return PreflightCheck(
                name: title, status: .blocker,
                detail: "obsolete: \(release) cannot run with it; remove it before upgrading")
        case .removeAfterUpgrade:
            return PreflightCheck(
                name: title, status: .warning,
                detail: "to be removed after upgrading: \(release) replaces it")
        }
    }
}
