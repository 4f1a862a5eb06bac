import Foundation

/// How a downgrade would take the database back to an older release.
public struct DowngradePlan: Sendable {
    /// How the downgrade goes back.
    public enum Method: Sendable {
        /// Running the down scripts of these applied migrations, newest first,
        /// in one transaction: data written since the upgrade is kept.
        case downScripts([AppliedMigration])
        /// Restoring the backup taken before the upgrade from the target
        /// release: every write since it was made is lost.
        case backup(Backup)
        /// Nothing: the database is at the target release already.
        case nothingToDo
    }

    /// The release to go back to.
    public let target: Release
    /// The release the database is at now.
    public let currentRelease: String?
    /// How.
    public let method: Method
    /// Applied migrations after the target that have no down script.
    public let withoutDownScript: [String]

    /// Whether the database is at the target already, so the downgrade
    /// changes nothing.
    public var isAlreadyDone: Bool {
        if case .nothingToDo = method { return true }
        return false
    }

    /// For people: what the downgrade does and what it loses.
    public var summary: String {
        switch method {
        case .nothingToDo:
            return
                "The database is at release \(currentRelease ?? "\(target)") already: there is nothing to downgrade, "
                + "and nothing was changed."
        case .downScripts(let migrations):
            return
                "Downgrade \(currentRelease ?? "?") → \(target) by running \(migrations.count) down script\(migrations.count == 1 ? "" : "s") in one transaction, newest first: "
                + migrations.map(\.id).joined(separator: ", ")
                + ". Data written since the upgrade is kept where the down scripts keep it."
        case .backup(let backup):
            let since = Timestamp.string(from: backup.manifest.created)
            let span = Duration.seconds(max(0, Date().timeIntervalSince(backup.manifest.created)))
                .text
            return
                "\(withoutDownScript.joined(separator: ", ")) \(withoutDownScript.count == 1 ? "has" : "have") no down script, "
                + "so the downgrade restores \(backup.name), the backup taken before upgrading from \(target). "
                + "Every write made since \(since) (\(span) ago) will be LOST."
        }
    }
}

/// What a downgrade did.
public struct DowngradeReport: Sendable, Encodable {
    /// The release the database is at now.
    public let release: Release
    /// The migrations reverted by down scripts, if that was the method.
    public let reverted: [String]
    /// The backup restored, if that was the method.
    public let restored: String?
    /// The backup taken before the downgrade changed anything.
    public let backup: String?

    // A backup is named under `backup` or a key ending in `Backup` in every JSON Ferry writes (docs/JSON.md).
    private enum CodingKeys: String, CodingKey {
        case release, reverted
        case restored = "restoredBackup"
        case backup
    }
}

extension Ferry {
    /// Works out how to take the database back to an older release, changing nothing.
    ///
    /// - Returns: The plan; one that does nothing (``DowngradePlan/isAlreadyDone``)
    ///   when the database is at the target already.
    /// - Throws: ``FerryError`` when the target is newer than the
    ///   database, or neither down scripts nor a backup can do it.
    public func downgradePlan(to target: Release) async throws -> DowngradePlan {
        try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
        let state = try await configuration.engine.readState()
        if let current = state.release, current == target {
            return DowngradePlan(
                target: target, currentRelease: state.recordedRelease, method: .nothingToDo,
                withoutDownScript: [])
        }
        guard let current = state.release, target < current else {
            throw FerryError(
                .invalidTarget,
                "The database is at \(state.recordedRelease ?? "no release"), not newer than \(target).",
                changes: "Nothing was changed.",
                advice: "A downgrade goes to an older release than the database's.")
        }
        let catalog = try catalog()
        // A release the database can be at: one of the migrations folder, or one its history
        // went through. Another would be recorded as the database's release without being one.
        let known = Set(catalog.releases + state.applied.compactMap(\.release.release))
        guard known.contains(target) else {
            let older = known.filter { $0 < current }.sorted().map(\.description)
            throw FerryError(
                .invalidTarget, "\(.target) \(target) is not a release this program knows.",
                changes: "Nothing was changed.",
                advice:
                    "Known releases older than \(current): "
                    + (older.isEmpty ? "none" : older.joined(separator: ", ")) + ".")
        }
        let toRevert = Self.migrationsToRevert(in: state, downTo: target)
        let withoutDown = Self.withoutDownScript(toRevert, in: catalog)
        if withoutDown.isEmpty {
            return DowngradePlan(
                target: target, currentRelease: state.recordedRelease,
                method: .downScripts(toRevert), withoutDownScript: [])
        }
        let listing = try backupCatalog().listing()
        let backup = listing.backups.first {
            $0.manifest.kind == .preUpgrade && $0.manifest.release.flatMap(Release.init) == target
        }
        try refuseUnusable(
            newerThan: backup, kinds: [.preUpgrade], in: listing,
            selection: "\(named: .downgrade(to: target))")
        guard let backup else {
            throw FerryError(
                .backupNotFound,
                "\(withoutDown.joined(separator: ", ")) \(withoutDown.count == 1 ? "has" : "have") no down script, and no backup was taken before an upgrade from \(target).",
                changes: "Nothing was changed.",
                advice:
                    "Add the missing .down.sql files, or restore an older backup with \(run: .restore()) (\(run: .backups) lists them)."
            )
        }
        return DowngradePlan(
            target: target, currentRelease: state.recordedRelease, method: .backup(backup),
            withoutDownScript: withoutDown)
    }

    /// Carries out a downgrade plan.
    ///
    /// By down scripts: under the upgrade lock, after a `pre-downgrade`
    /// backup, every down script runs newest first in one transaction that
    /// also removes their history rows and records the target release. By
    /// backup: the backup is restored (see ``restore(_:onEvent:)``).
    ///
    /// - Throws: ``FerryError``; the database is then as it was.
    @discardableResult
    public func downgrade(_ plan: DowngradePlan, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil)
        async throws -> DowngradeReport
    {
        switch plan.method {
        case .nothingToDo:
            return DowngradeReport(release: plan.target, reverted: [], restored: nil, backup: nil)
        case .backup(let backup):
            let report = try await restore(backup, onEvent: onEvent)
            return DowngradeReport(
                release: plan.target, reverted: [], restored: backup.name,
                backup: report.preRestoreBackup)
        case .downScripts(let migrations):
            let emit = eventEmitter(onEvent)
            let catalog = try catalog()
            let engine = configuration.engine
            return try await engine.withUpgradeLock(
                holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
            ) {
                try await rollBackInterruptedTransaction(emit: emit)
                let state = try await engine.readState()
                guard state.recordedRelease == plan.currentRelease,
                    Set(state.applied.map(\.id)).isSuperset(of: migrations.map(\.id))
                else {
                    throw FerryError(
                        .invalidTarget, "The database changed since the downgrade was planned.",
                        changes: "Nothing was changed.",
                        advice: "Run the downgrade again.")
                }
                let backup = try await takeBackup(
                    kind: .preDowngrade, format: .native, state: state, upgradeTo: nil,
                    note: "before downgrading to \(plan.target)", emit: emit)
                emit(.downgradeStarted(to: plan.target, migrations: migrations.count))
                do {
                    try await engine.withSession { session in
                        try await session.inTransaction(for: .downgrade) {
                            try await Self.revert(migrations, catalog: catalog, in: session)
                            try await session.recordEvent(
                                HistoryEvent(
                                    kind: .downgrade, at: Date(),
                                    fromRelease: plan.currentRelease.map { RecordedRelease($0) },
                                    toRelease: .release(plan.target), backup: backup.name,
                                    note: "reverted " + migrations.map(\.id).joined(separator: ", ")
                                ))
                            try await session.stamp(release: plan.target, at: Date())
                            CrashPoint.reach("downgrade.before-commit")
                        }
                    }
                } catch var error as FerryError {
                    error.changes =
                        "Nothing was changed: the database is still at \(plan.currentRelease ?? "its release")."
                    throw error
                }
                try? applyRetention(protecting: [backup.name], emit: emit)
                return DowngradeReport(
                    release: plan.target, reverted: migrations.map(\.id), restored: nil,
                    backup: backup.name)
            }
        }
    }

    /// The applied migrations a downgrade to `target` reverts: those of
    /// newer releases (and hooks' runs recorded with them), newest first.
    static func migrationsToRevert(in state: DatabaseState, downTo target: Release)
        -> [AppliedMigration]
    {
        state.applied
            .filter { $0.release.release.map { $0 > target } ?? true }
            .sorted { $0.sequence > $1.sequence }
    }

    /// The ids of those migrations that have no down script in the catalog.
    static func withoutDownScript(_ migrations: [AppliedMigration], in catalog: MigrationCatalog)
        -> [String]
    {
        // A hook's run has nothing to revert: its history row just goes.
        migrations
            .filter { $0.kind != .hook && catalog.migration(id: $0.id)?.down == nil }
            .map(\.id)
    }

    /// Runs the down scripts of applied migrations in the order given
    /// (newest first) and removes their history rows, inside the session's
    /// open transaction: what a downgrade by down scripts does, and what
    /// `test-paths` walks on scratch databases.
    ///
    /// - Throws: ``FerryError`` from the failing down script, its message
    ///   naming the migration, with the file, line, statement and engine
    ///   message the script runner gives.
    static func revert(
        _ migrations: [AppliedMigration], catalog: MigrationCatalog,
        in session: any MigrationSession
    ) async throws {
        for applied in migrations {
            if let down = catalog.migration(id: applied.id)?.down {
                do {
                    try await session.run(down)
                } catch var error as FerryError {
                    error.markedMessage =
                        "The down script of \(applied.id) failed: \(error.markedMessage)"
                    throw error
                }
            }
            try await session.deleteHistory(id: applied.id)
            CrashPoint.reach("downgrade.reverted")
        }
    }
}
