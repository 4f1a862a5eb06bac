import Foundation

/// Every migration this program knows, from the folder and from Swift, in
/// the order they run, with the releases they belong to.
public struct MigrationCatalog: Sendable {
    /// The migrations in the order they run.
    public let migrations: [Migration]
    /// Every known release, oldest first: the release folders (also empty
    /// ones) and the releases of registered migrations.
    public let releases: [Release]
    /// The releases' baseline scripts, oldest first (see
    /// ``MigrationFolder/baselines()``).
    public private(set) var baselines: [Migration] = []
    /// The version-range hooks, from the folder and from Swift, in the order
    /// they run.
    public private(set) var hooks: [Hook] = []
    /// Whether the program sees the application's Swift migrations (see
    /// ``Ferry/Configuration/seesSwiftMigrations``): when false, applied
    /// Swift migrations missing from ``migrations`` are the application's,
    /// not unknown.
    public var seesSwiftMigrations = true
    /// The layout the migrations folder was read in, and whether it was
    /// detected; nil without a folder.
    public private(set) var layout: ChosenLayout?

    /// Creates a catalog from migrations and the releases that exist.
    ///
    /// - Throws: ``FerryError`` when two migrations share an id, or two
    ///   migrations of a release share a number.
    public init(migrations: [Migration], releases: [Release] = []) throws {
        /// A release's migration number.
        struct Numbered: Hashable {
            let release: Release
            let number: Int
        }
        var seen = Set<String>(minimumCapacity: migrations.count)
        var numbers: [Numbered: String] = [:]
        numbers.reserveCapacity(migrations.count)
        for migration in migrations {
            guard seen.insert(migration.id).inserted else {
                throw FerryError(
                    .invalidMigrations,
                    "Migration \(migration.id) is defined twice (in the folder and in Swift?).",
                    advice: "Give each migration its own name.")
            }
            if let number = migration.number {
                let key = Numbered(release: migration.release, number: number)
                if let other = numbers.updateValue(migration.name, forKey: key) {
                    throw FerryError(
                        .invalidMigrations,
                        "\(migration.release)/\(other) and \(migration.id) have the same number \(number).",
                        advice: "Give each migration of a release its own number.")
                }
            }
        }
        // Usually in order already (the folder's releases, then registrations): a sort of
        // thousands of migrations is then only the check.
        // By position: a pair of migrations copied out of the array is two dozen references.
        let isInOrder = migrations.indices.dropFirst().allSatisfy {
            !migrations[$0].precedes(migrations[$0 - 1])
        }
        self.migrations = isInOrder ? migrations : migrations.sorted { $0.precedes($1) }
        self.releases = Array(Set(releases + migrations.map(\.release))).sorted()
    }

    /// Loads the folder (when given) and adds the registered migrations and hooks.
    ///
    /// - Throws: ``FerryError`` naming the malformed file or registration.
    ///
    /// - Parameters:
    ///   - folder: The migrations folder, or nil for registered migrations only.
    ///   - layout: The folder's layout; nil detects it
    ///     (``MigrationLayout/detect(in:)``).
    ///   - boundaries: Where releases end in another tool's folder.
    ///   - releasePattern: Reads the releases out of another tool's file names instead.
    ///   - programRelease: The configured release of the program, which the
    ///     migrations of another tool's folder belong to by default.
    ///   - registry: The migrations the application registered in Swift.
    ///   - hooks: The hooks the application registered in Swift.
    public init(
        folder: URL?, layout: MigrationLayout? = nil, boundaries: [ReleaseBoundary] = [],
        releasePattern: ReleasePattern? = nil, programRelease: Release? = nil,
        registry: MigrationRegistry,
        hooks: HookRegistry = HookRegistry()
    ) throws {
        let chosen = try folder.map { folder in
            try layout.map { ChosenLayout($0, isDetected: false) }
                ?? ChosenLayout(MigrationLayout.detect(in: folder), isDetected: true)
        }
        let contents = try folder.map { folder in
            try ForeignMigrationFolder(
                url: folder, layout: chosen?.layout ?? .ferry, boundaries: boundaries,
                programRelease: programRelease, pattern: releasePattern
            ).read()
        }
        let registered = registry.migrations
        try self.init(
            migrations: registered.isEmpty
                ? contents?.migrations ?? [] : (contents?.migrations ?? []) + registered,
            releases: contents?.releases ?? [])
        self.layout = chosen
        if chosen?.layout == .ferry {
            baselines = try folder.map { try MigrationFolder(url: $0).baselines() } ?? []
        }
        let allHooks =
            try
            (folder.map { try HookFolder(url: $0.appendingPathComponent("hooks")).hooks() } ?? [])
            + hooks.hooks
        var names = Set<String>()
        for hook in allHooks where !names.insert(hook.name).inserted {
            throw FerryError(
                .invalidMigrations,
                "Hook \(hook.name) is defined twice (in migrations/hooks and in Swift?).",
                advice: "Give each hook its own name.")
        }
        self.hooks = allHooks.sorted { $0.precedes($1) }
    }

    /// The newest baseline at or below a release, if any.
    public func baseline(atOrBelow release: Release) -> Migration? {
        baselines.last { $0.release <= release }
    }

    /// The newest known release, or nil when there is none.
    public var newestRelease: Release? { releases.last }

    /// The migration with this id.
    public func migration(id: String) -> Migration? {
        migrations.first { $0.id == id }
    }
}
