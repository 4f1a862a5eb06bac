import Foundation

extension Ferry {
    /// Upgrades every database of a fleet, each exactly as ``upgrade(_:onEvent:)``
    /// upgrades one: its own lock, preflight, backup, transaction and
    /// verification.
    ///
    /// The migrations are read and checked once, before any database is
    /// touched. Each database's backups go to a folder of its own, named
    /// after it, inside the configured backups folder (or the engine's
    /// default one).
    ///
    /// ```swift
    /// for try await event in ferry.upgradeAll(fleet, options: FleetOptions(canary: 2)) {
    ///     if case .finished(let result) = event { print(result.member.name, result.outcome) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - fleet: The databases.
    ///   - options: Parallelism, canaries and what a failure stops.
    ///   - upgrade: The options of each database's upgrade.
    /// - Returns: The events of the run: each database's start and result;
    ///   every database gets a result, also one not started.
    public func upgradeAll(
        _ fleet: Fleet, options: FleetOptions = FleetOptions(),
        upgrade: UpgradeOptions = UpgradeOptions()
    ) -> AsyncThrowingStream<FleetEvent, any Error> {
        runAll(fleet, options: options) { ferry in
            FleetSummary(try await ferry.upgrade(upgrade))
        }
    }

    /// Runs an operation on every database of a fleet, with a bounded
    /// number at once, and reports each result as it comes.
    ///
    /// The same runner serves every fleet command (status, check, verify,
    /// backup, validate): the operation is the single-database call.
    ///
    /// - Parameters:
    ///   - fleet: The databases.
    ///   - options: Parallelism, canaries and what a failure stops.
    ///   - operation: The work on one database, given the ``Ferry`` for it.
    /// - Returns: The events of the run. The stream throws only when the
    ///   run cannot start (the migrations cannot be read): nothing was
    ///   touched then.
    public func runAll(
        _ fleet: Fleet, options: FleetOptions = FleetOptions(),
        _ operation: @escaping @Sendable (Ferry) async throws -> FleetSummary
    ) -> AsyncThrowingStream<FleetEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let catalog = try self.catalog()
                    _ = try self.programRelease(in: catalog)
                    let runner = FleetRunner(
                        template: self, catalog: catalog, fleet: fleet, options: options,
                        operation: operation, emit: { continuation.yield($0) })
                    await ScratchReuse.during { await runner.run() }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
