import Foundation

/// A folder of another tool's migrations, read by its layout's reader, with
/// each migration given its release.
///
/// By default every migration belongs to the program's release. `[[release]]
/// through` boundaries (``ReleaseBoundary``), or else Sqitch's tags, put the
/// migrations up to a boundary in its release; those after the last one
/// belong to the program's release. Repeatable migrations belong to the
/// newest release, so that they run after every other migration.
public struct ForeignMigrationFolder: Sendable {
    /// The folder.
    public let url: URL
    /// Its layout; not ``MigrationLayout/ferry``.
    public let layout: MigrationLayout
    /// Where releases end, oldest first.
    public let boundaries: [ReleaseBoundary]
    /// The program's release, if configured.
    public let programRelease: Release?
    /// Reads the releases out of the file names instead of boundaries.
    public let pattern: ReleasePattern?

    /// Creates a reader.
    public init(
        url: URL, layout: MigrationLayout, boundaries: [ReleaseBoundary] = [],
        programRelease: Release? = nil, pattern: ReleasePattern? = nil
    ) {
        self.url = url
        self.layout = layout
        self.boundaries = boundaries
        self.programRelease = programRelease
        self.pattern = pattern
    }

    /// The migrations with their releases, in the order they run, and the
    /// releases.
    ///
    /// - Throws: ``FerryError``: `invalidMigrations` naming a file the tool
    ///   would refuse; `invalidConfiguration` when a boundary names no
    ///   migration, or migrations belong to no release because none is
    ///   configured.
    public func read() throws -> (releases: [Release], migrations: [Migration]) {
        guard let reader = layout.reader else {
            return try MigrationFolder(url: url).read()
        }
        let found = try reader.migrations(in: url)
        let releases = try releasesOf(found)
        let newest = releases.max()
        var migrations: [Migration] = []
        migrations.reserveCapacity(found.count)
        for (position, (migration, release)) in zip(found, releases).enumerated() {
            migrations.append(
                Migration(
                    release: migration.isRepeatable ? newest ?? release : release,
                    name: migration.name, body: .sql(migration.up), down: migration.down,
                    verify: migration.verify, checksum: migration.checksum,
                    transaction: migration.transaction, legacyChecksum: migration.legacyChecksum,
                    number: position + 1, isRepeatable: migration.isRepeatable,
                    toolVersion: migration.version))
        }
        let known = Set(migrations.map(\.release) + boundaries.map(\.release))
        return (known.sorted(), migrations)
    }

    /// The releases that a pattern reads out of the files' names: a file
    /// that does not match is in the release of the one before it.
    private func patternReleases(of migrations: [LayoutMigration], by pattern: ReleasePattern)
        throws
        -> [Release?]
    {
        var current: Release?
        var releases: [Release?] = []
        for migration in migrations {
            let file = migration.up.file ?? migration.name
            if let read = try pattern.release(in: file) {
                if let current, read < current {
                    throw FerryError(
                        .invalidConfiguration,
                        "pattern = '\(pattern.text)' reads release \(read) out of \(file), which runs after a migration of \(current).",
                        changes: "Nothing was changed.",
                        advice:
                            "Releases go forward in the order the migrations run: fix the file's name or the pattern."
                    )
                }
                current = read
            }
            guard current != nil || migration.isRepeatable else {
                throw FerryError(
                    .invalidConfiguration,
                    "pattern = '\(pattern.text)' reads no release out of \(file), the first migration of the \(layout.rawValue) folder \(url.path).",
                    changes: "Nothing was changed.",
                    advice: "The first migration's name must hold its release.")
            }
            releases.append(current)
        }
        return releases
    }

    /// The release of each migration, in order.
    private func releasesOf(_ migrations: [LayoutMigration]) throws -> [Release] {
        var releases: [Release?] = Array(repeating: nil, count: migrations.count)
        if let pattern {
            releases = try patternReleases(of: migrations, by: pattern)
        } else if !boundaries.isEmpty {
            var start = 0
            var previous: ReleaseBoundary?
            for boundary in boundaries.sorted(by: { $0.release < $1.release }) {
                guard
                    let end = migrations.firstIndex(where: {
                        $0.version == boundary.through || $0.name == boundary.through
                    })
                else {
                    throw FerryError(
                        .invalidConfiguration,
                        "[[release]] \(boundary.release) ends at '\(boundary.through)', which is not a migration of "
                            + "the \(layout.rawValue) folder \(url.path).",
                        changes: "Nothing was changed.",
                        advice: "Name the version of the release's last migration, one of: "
                            + migrations.suffix(8).map(\.version).joined(separator: ", ") + ".")
                }
                guard end >= start else {
                    throw FerryError(
                        .invalidConfiguration,
                        "[[release]] \(boundary.release) ends at '\(boundary.through)', which comes before the end of "
                            + "\(previous.map { "\($0.release) ('\($0.through)')" } ?? "an older release").",
                        changes: "Nothing was changed.",
                        advice:
                            "Newer releases end at later migrations: fix the order of the [[release]] tables."
                    )
                }
                for index in start...end { releases[index] = boundary.release }
                start = end + 1
                previous = boundary
            }
        } else {
            for (index, migration) in migrations.enumerated() {
                releases[index] = migration.taggedRelease
            }
        }
        let unassigned = releases.indices.filter {
            releases[$0] == nil && !migrations[$0].isRepeatable
        }
        if let first = unassigned.first {
            let newestAssigned = releases.compactMap { $0 }.max()
            guard let programRelease, newestAssigned.map({ programRelease > $0 }) ?? true else {
                let named = migrations[first].up.file ?? migrations[first].name
                throw FerryError(
                    .invalidConfiguration,
                    programRelease == nil
                        ? "\(named) and the \(layout.rawValue) migrations after it belong to no release: "
                            + "no release is configured for them."
                        : "\(named) and the migrations after it would belong to the program's release "
                            + "\(programRelease!), which is not newer than \(newestAssigned!).",
                    changes: "Nothing was changed.",
                    advice:
                        "Set [app] release (the program's release, which they belong to), or end releases "
                        + "with [[release]] version = \"X\" through = \"<migration version>\" in ferry.toml."
                )
            }
            for index in unassigned { releases[index] = programRelease }
        }
        let fallback = programRelease ?? releases.compactMap { $0 }.max()
        guard let fallback else {
            // Only repeatable migrations and no release: they too need one.
            if let first = migrations.first {
                throw FerryError(
                    .invalidConfiguration,
                    "\(first.up.file ?? first.name) belongs to no release: no release is configured.",
                    changes: "Nothing was changed.",
                    advice: "Set [app] release in ferry.toml.")
            }
            return []
        }
        return releases.map { $0 ?? fallback }
    }
}
