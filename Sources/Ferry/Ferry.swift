import Foundation
import Logging

/// Carries an application's database from one release to the next.
///
/// An application upgrades its database at start-up:
///
/// ```swift
/// try await Ferry(configuration).upgrade()
/// ```
///
/// When nothing is pending this reads the history and returns; otherwise it
/// takes the upgrade lock, applies every pending migration of every release
/// up to this program's in one transaction, and records each one and the new
/// release inside that transaction, so the database ends at the old release
/// or the new one, never between.
public struct Ferry: Sendable {
    /// The configuration.
    public let configuration: Configuration

    /// The catalog a fleet run read once for all its databases; nil reads
    /// the migrations on each use.
    var preparedCatalog: MigrationCatalog? = nil

    /// Creates Ferry for a configuration.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Reads the migrations folder and the registered migrations.
    ///
    /// - Throws: ``FerryError`` naming a malformed file.
    public func catalog() throws -> MigrationCatalog {
        if let preparedCatalog { return preparedCatalog }
        var catalog = try MigrationCatalog(
            folder: configuration.migrationsDirectory, layout: configuration.migrationLayout,
            boundaries: configuration.releaseBoundaries,
            releasePattern: configuration.releasePattern, programRelease: configuration.release,
            registry: configuration.migrations, hooks: configuration.hooks)
        catalog.seesSwiftMigrations = configuration.seesSwiftMigrations
        if let layout = catalog.layout, layout.isDetected, layout.layout != .ferry {
            configuration.logger.info(
                "Migrations folder read in the \(layout.summary)",
                metadata: ["layout": "\(layout.layout.rawValue)"])
        }
        return catalog
    }

    /// This program's release: the configured one, or the newest known.
    ///
    /// The one place that decides it: start-up's fast path passes the
    /// release folders' names (read without the scripts),
    /// ``programRelease(in:)`` a catalog's releases.
    ///
    /// - Parameter known: The releases known from the migrations.
    /// - Returns: The release, or nil when none is configured or known.
    func programRelease(among known: some Sequence<Release>) -> Release? {
        configuration.release ?? known.max()
    }

    /// This program's release: the configured one, or else the newest in
    /// the migrations (read only when none is configured).
    ///
    /// - Throws: ``FerryError`` when neither is there, or naming a malformed
    ///   migration file.
    public func programRelease() throws -> Release {
        if let release = configuration.release { return release }
        return try programRelease(in: try catalog())
    }

    /// This program's release: the configured one, or the newest known.
    ///
    /// - Throws: ``FerryError`` when neither is there.
    public func programRelease(in catalog: MigrationCatalog) throws -> Release {
        guard let newest = programRelease(among: catalog.releases) else {
            throw FerryError(
                .invalidConfiguration,
                "No release is known: the migrations folder has no release folder and no release is configured.",
                advice:
                    "Create a release folder such as migrations/0.1.0, or set [app] release in ferry.toml."
            )
        }
        return newest
    }

    /// Computes what an upgrade would do, changing nothing.
    ///
    /// - Parameter target: The release to go to; nil for this program's.
    /// - Throws: ``FerryError`` when the configuration, the migrations or the
    ///   target are wrong, or the database cannot be read.
    public func plan(to target: Release? = nil) async throws -> Plan {
        // The database is read beside the migrations, each on a core of its own; a folder that
        // is refused is said at once, without waiting for the read (which ends on its own).
        // When the engine's files show that a process may have died in a write, what it left
        // is rolled back only once the migrations are known to be good, and the database read
        // after it.
        let engine = configuration.engine
        let reading: Task<DatabaseState, any Error>? =
            engine.mayHoldInterruptedTransaction ? nil : Task { try await engine.readState() }
        let catalog: MigrationCatalog
        do {
            catalog = try self.catalog()
        } catch {
            reading?.cancel()
            throw error
        }
        let state: DatabaseState
        if let reading {
            state = try await reading.value
        } else {
            try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
            state = try await engine.readState()
        }
        var plan = try Planner.plan(
            catalog: catalog, state: state,
            programRelease: try programRelease(in: catalog), target: target,
            minimumUpgradableFrom: configuration.minimumUpgradableFrom)
        plan.layout = catalog.layout
        return plan
    }

    /// The releases, the history, the pending migrations and the lock.
    ///
    /// - Throws: ``FerryError`` when the configuration or the migrations are
    ///   wrong, or the database cannot be read.
    public func status() async throws -> Status {
        // While an upgrade runs, its transaction may keep readers waiting until it ends: answer from
        // the lock at once instead (who, since when, which step).
        if let holder = try await configuration.engine.lockHolder() {
            return Status(
                programRelease: try programRelease(in: try catalog()), lockHolder: holder,
                database: configuration.engine.displayName)
        }
        let plan = try await plan()
        var status = Status(
            plan: plan, lockHolder: try await configuration.engine.lockHolder(),
            database: configuration.engine.displayName)
        status.readOnly = await configuration.engine.readOnlyReason()
        return status
    }

    /// The applied migrations, in the order they were applied.
    public func history() async throws -> [AppliedMigration] {
        try await historyWithEvents().applied
    }

    /// The applied migrations, in the order they were applied, and the
    /// events of `ferry_events` (downgrades, restores, accepted changes),
    /// oldest first.
    public func historyWithEvents() async throws -> (
        applied: [AppliedMigration], events: [HistoryEvent]
    ) {
        try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
        let state = try await configuration.engine.readState()
        return (state.applied, state.events)
    }

    /// Checks that every applied migration still matches its file and that
    /// none is unknown.
    ///
    /// - Returns: The plan the check was made on.
    /// - Throws: ``FerryError`` (a refusal) describing every changed,
    ///   missing or out-of-order migration, or a database newer than this program.
    @discardableResult
    public func validate() async throws -> Plan {
        let plan = try await plan()
        if let refusal = plan.refusal(allowingChanged: false) {
            throw refusal.describingChanges("Nothing was changed: validation only reads.")
        }
        return plan
    }

    /// Accepts the applied migrations' files as they are now: changed
    /// checksums and missing files are recorded in the history, with a note,
    /// as `upgrade --allow-changed` does, and nothing else is applied.
    ///
    /// - Returns: The plan read again after the acceptance, and the ids of
    ///   the migrations accepted (empty when every file matched).
    /// - Throws: ``FerryError``: a refusal that accepting cannot lift (a
    ///   database newer than this program, migrations out of order, which
    ///   only `upgrade --allow-changed` applies), or a failure after which the
    ///   history is as it was.
    @discardableResult
    public func acceptChanges(
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> (plan: Plan, accepted: [String]) {
        let plan = try await plan()
        // Missing files accepted before stay in `missing`, with their note: they are not accepted again.
        let missing = plan.missing.filter { $0.acceptance != .missing }
        guard let release = plan.database.release, plan.outOfOrder.isEmpty,
            plan.newerDatabaseRelease == nil,
            !plan.changed.isEmpty || !missing.isEmpty
        else {
            return (try await validate(), [])
        }
        // An upgrade to the recorded release applies nothing: it only records the acceptances.
        try await upgrade(
            UpgradeOptions(
                target: release, allowChanged: true, skipBackup: true, verifiesChecksums: true),
            onEvent: onEvent)
        return (try await self.plan(), plan.changed.map(\.applied.id) + missing.map(\.id))
    }

    /// Applies every pending migration up to the target release.
    ///
    /// - Parameters:
    ///   - options: The target release and what to accept.
    ///   - onEvent: Called for each event as it happens (each is also logged).
    /// - Returns: What was done.
    /// - Throws: ``FerryError``: a refusal (nothing changed), or a failure
    ///   after which the database is as it was before.
    @discardableResult
    public func upgrade(
        _ options: UpgradeOptions = UpgradeOptions(),
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> UpgradeReport {
        let emit = eventEmitter(onEvent)
        return try await reportingProgress(to: onEvent, through: emit) {
            try await Upgrade(ferry: self, options: options, emit: emit).perform()
        }
    }
}
