/// Which databases this program may upgrade: those at
/// `minimum_upgradable_from` or later.
///
/// Older databases must first pass through an older release of the
/// application, which the refusal names, so that a program can drop the
/// migrations (and the code) that only old databases need.
public struct UpgradePolicy: Sendable {
    /// The oldest release this program upgrades from; nil allows any.
    public let minimumUpgradableFrom: Release?
    /// This program's release.
    public let programRelease: Release

    /// Creates the policy.
    public init(minimumUpgradableFrom: Release?, programRelease: Release) {
        self.minimumUpgradableFrom = minimumUpgradableFrom
        self.programRelease = programRelease
    }

    /// The preflight check of the path from a database's release.
    ///
    /// - Parameter plan: The upgrade's plan.
    public func check(_ plan: Plan) -> PreflightCheck {
        let name = "upgrade path"
        guard let current = plan.database.release else {
            return PreflightCheck(
                name: name, status: .ok,
                detail: plan.isFreshInstall
                    ? "fresh install of \(plan.targetRelease)"
                    : "the database records no release; every migration up to \(plan.targetRelease) runs"
            )
        }
        if let minimum = minimumUpgradableFrom, current < minimum {
            return PreflightCheck(
                name: name, status: .blocker,
                detail: refusalText(current: current, minimum: minimum))
        }
        if plan.isUpToDate {
            return PreflightCheck(
                name: name, status: .ok, detail: "already at \(plan.targetRelease)")
        }
        let through = plan.pendingReleases.filter { $0 != plan.targetRelease }
        let via =
            through.isEmpty ? "" : " through " + through.map(\.description).joined(separator: ", ")
        return PreflightCheck(
            name: name, status: .ok, detail: "\(current) → \(plan.targetRelease)\(via), in one run")
    }

    /// "This database is at 0.2.1. This program (0.4.0) upgrades databases
    /// from 0.3.0 or later: install 0.3.x, run it once, then install 0.4.0."
    public func refusalText(current: Release, minimum: Release) -> String {
        "This database is at \(current). This program (\(programRelease)) upgrades databases from \(minimum) "
            + "or later: install \(minimum.major).\(minimum.minor).x, run it once, then install \(programRelease)."
    }
}
