/// What an upgrade would do, computed without changing anything.
public struct Plan: Sendable {
    /// An applied migration whose script changed since.
    public struct ChangedMigration: Sendable {
        /// The history row.
        public let applied: AppliedMigration
        /// The migration as the program has it now.
        public let current: Migration
    }

    /// The release of this program.
    public let programRelease: Release
    /// The release the upgrade goes to: the program's, or the one asked for.
    public let targetRelease: Release
    /// The database as read.
    public let database: DatabaseState
    /// The migrations the upgrade would apply, in order.
    public let pending: [Migration]
    /// Applied migrations whose script changed since.
    public let changed: [ChangedMigration]
    /// Applied migrations this program does not know, from a release it also knows.
    public let missing: [AppliedMigration]
    /// Pending migrations of a release that the database has already reached:
    /// added to a release after it was applied.
    public let outOfOrder: [Migration]
    /// A release newer than this program that wrote the database, if any.
    public let newerDatabaseRelease: String?
    /// The hooks whose ranges match this upgrade, in the order they run
    /// (after every migration, inside the upgrade's transaction).
    public internal(set) var hooks: [Hook] = []
    /// Applied migrations registered in Swift by the application, which this
    /// program does not see (the `ferry` tool): neither unknown nor compared.
    public internal(set) var appliedByApplication: [AppliedMigration] = []
    /// Applied migrations, among ``missing``, that another tool's folder
    /// still holds under another release: the folder's releases moved.
    public internal(set) var moved: [(applied: AppliedMigration, current: Migration)] = []
    /// The layout the migrations folder was read in, and whether it was
    /// detected; nil without a folder.
    public internal(set) var layout: ChosenLayout?

    /// For example `0.3.0/002_fill_rooms applied by the application (registered in Swift)`,
    /// or nil when there is none.
    public var appliedByApplicationSummary: String? {
        guard !appliedByApplication.isEmpty else { return nil }
        return appliedByApplication.map(\.id).joined(separator: ", ")
            + " applied by the application (registered in Swift): not checked by this program"
    }

    /// Whether the upgrade would write the target release (also with no
    /// migration to run, for a release that changed no schema).
    public var needsStamp: Bool { database.release != targetRelease }

    /// Whether there is nothing to do.
    public var isUpToDate: Bool { pending.isEmpty && !needsStamp }

    /// The releases the pending migrations belong to, oldest first.
    public var pendingReleases: [Release] {
        Array(Set(pending.map(\.release))).sorted()
    }

    /// Whether the database does not exist yet, or is empty and Ferry never
    /// upgraded it.
    public var isFreshInstall: Bool { hasNoHistory && database.unmanagedTables.isEmpty }

    /// Whether Ferry has no history and no release in the database.
    private var hasNoHistory: Bool { database.release == nil && database.applied.isEmpty }

    /// For example `Found 3 pending migrations in 2 releases (0.6.0 → 0.7.0)`.
    public var summary: String {
        let from = database.recordedRelease ?? "new database"
        if pending.isEmpty {
            return needsStamp
                ? "No pending migrations; the release changes (\(from) → \(targetRelease))"
                : "No pending migrations; the database is at \(targetRelease)"
        }
        let migrations =
            pending.count == 1 ? "1 pending migration" : "\(pending.count) pending migrations"
        let releaseCount = pendingReleases.count
        let releases = releaseCount == 1 ? "1 release" : "\(releaseCount) releases"
        return "Found \(migrations) in \(releases) (\(from) → \(targetRelease))"
    }

    /// What to write in `ferry.toml` when applied migrations of another
    /// tool's folder now fall in another release: the `[[release]]` that
    /// ends each release they were applied in; nil when none moved.
    var movedAdvice: String? {
        guard !moved.isEmpty else { return nil }
        var last: [Release: Migration] = [:]
        for (applied, current) in moved {
            guard let release = applied.release.release else { continue }
            if let other = last[release], !other.precedes(current) { continue }
            last[release] = current
        }
        guard !last.isEmpty else { return nil }
        let tables = last.keys.sorted().map { release in
            "[[release]] version = \"\(release)\" through = \"\(last[release]!.toolVersion ?? last[release]!.name)\""
        }
        return "They are still in the migrations folder, now under another release: "
            + moved.prefix(3).map { "\($0.applied.id) is now \($0.current.id)" }.joined(
                separator: ", ")
            + (moved.count > 3 ? ", …" : "")
            + ". Keep them in the release they were applied in: add "
            + tables.joined(separator: " and ") + " to ferry.toml."
    }

    /// The refusal this plan calls for, or nil when the upgrade may run.
    ///
    /// - Parameter allowingChanged: Whether changed, missing and
    ///   out-of-order migrations are accepted (`--allow-changed`).
    public func refusal(allowingChanged: Bool) -> FerryError? {
        if let newer = newerDatabaseRelease {
            return FerryError(
                .databaseIsNewer,
                "This database was written by release \(newer), newer than this program (\(programRelease)).",
                changes: "Nothing was changed.",
                advice:
                    "Run release \(newer) or newer of the application, or restore a backup made before that upgrade."
            )
        }
        if hasNoHistory && !database.unmanagedTables.isEmpty {
            let shown =
                database.unmanagedTables.prefix(10).joined(separator: ", ")
                + (database.unmanagedTables.count > 10
                    ? " and \(database.unmanagedTables.count - 10) more" : "")
            // Another tool's history table says which command takes the database over.
            let histories = Set(ForeignTool.allCases.map(\.historyTable))
                .intersection(database.unmanagedTables).sorted()
            if !histories.isEmpty {
                return FerryError(
                    .unmanagedDatabase,
                    "This database has tables (\(shown)) but no Ferry history: another migration tool "
                        + "managed it (\(histories.joined(separator: ", "))).",
                    changes: "Nothing was changed.",
                    advice:
                        "Take its history over with \(run: .adopt), which records what that tool applied; "
                        + "the upgrade then applies the rest.")
            }
            return FerryError(
                .unmanagedDatabase,
                "This database has tables (\(shown)) but no Ferry history: Ferry did not make it, "
                    + "so it is not a fresh install and its migrations would meet tables that already exist.",
                changes: "Nothing was changed.",
                advice:
                    "Check that \(.database) names the application's database. If it is, and its schema is "
                    + "already that of a release, its history must first be taken over: with \(run: .adopt) "
                    + "when another migration tool managed it, or \(run: .baseline) when none did.")
        }
        if allowingChanged { return nil }
        if let first = changed.first {
            let list = changed.map {
                "  \($0.applied.id): recorded \($0.applied.checksum.prefix(12))…, file now \($0.current.checksum.prefix(12))…"
            }
            return FerryError(
                .migrationChanged,
                "\(changed.count == 1 ? "An applied migration has" : "\(changed.count) applied migrations have") changed since \(changed.count == 1 ? "it was" : "they were") applied (SHA-256 differs):\n"
                    + list.joined(separator: "\n"),
                changes: "Nothing was changed.",
                advice:
                    "Put back the file as it was when applied (for example from version control: \(first.current.id)), "
                    + "add a new migration for the change, or pass \(.allowChanged) to accept the files as they are now (recorded in the history)."
            )
        }
        if let advice = movedAdvice {
            return FerryError(
                .migrationMissing,
                "\(missing.count == 1 ? "An applied migration is" : "\(missing.count) applied migrations are") unknown to this program: "
                    + missing.map(\.id).joined(separator: ", ") + ".",
                changes: "Nothing was changed.", advice: advice)
        }
        if !missing.isEmpty {
            return FerryError(
                .migrationMissing,
                "\(missing.count == 1 ? "An applied migration is" : "\(missing.count) applied migrations are") unknown to this program: "
                    + missing.map(\.id).joined(separator: ", ") + ".",
                changes: "Nothing was changed.",
                advice:
                    "Check that \(.migrations) points at this release's migrations folder and that no file was deleted, "
                    + "or pass \(.allowChanged) to go on without them (recorded in the history).")
        }
        if !outOfOrder.isEmpty {
            return FerryError(
                .migrationOutOfOrder,
                "\(outOfOrder.map(\.id).joined(separator: ", ")) \(outOfOrder.count == 1 ? "is" : "are") not applied, "
                    + "but the database is already at \(database.recordedRelease ?? "?"): migrations were added to a release after it was applied.",
                changes: "Nothing was changed.",
                advice:
                    "Put the new migrations in a newer release: a newer release folder, or, in another tool's folder, "
                    + "[[release]] version = \"\(database.recordedRelease ?? "X")\" through = \"<its last migration>\" in ferry.toml and a newer [app] release; "
                    + "or pass \(.allowChanged) to apply them now (recorded in the history)."
            )
        }
        return nil
    }
}
