/// Where a release ends in a folder of another tool's migrations:
/// `[[release]] version = "2.0.0" through = "<migration version>"`.
///
/// Other tools number migrations without releases. The migrations up to and
/// including `through` (and after the previous boundary) belong to
/// `version`; those after the last boundary to the program's release. So
/// policy, hooks, backups named from→to and downgrades by release work as
/// with Ferry's own layout.
public struct ReleaseBoundary: Sendable, Equatable {
    /// The release.
    public var release: Release
    /// The tool's version of the release's last migration (`1.10`,
    /// `20240101120000`, a Sqitch change), or its name.
    public var through: String

    /// Creates a boundary.
    public init(release: Release, through: String) {
        self.release = release
        self.through = through
    }
}
