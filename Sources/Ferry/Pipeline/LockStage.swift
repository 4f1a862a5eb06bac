import Foundation

/// Step 1 of the upgrade pipeline, open and lock: one upgrader at a time
/// across processes.
///
/// A second upgrader waits up to the configured timeout, saying who holds
/// the lock, then refuses. Everything that changes the database runs in
/// the session lent under the lock.
struct LockStage {
    let ferry: Ferry
    let emit: @Sendable (UpgradeEvent) -> Void

    /// Whether another upgrader holds the lock now: its transaction may keep
    /// readers out, so the upgrade waits for the lock before reading.
    func isHeld() async throws -> Bool {
        try await ferry.configuration.engine.lockHolder() != nil
    }

    /// Takes the upgrade lock, then lends `body` a session on the database.
    ///
    /// - Throws: ``FerryError`` when the lock is not free within the timeout
    ///   (naming its holder), or what `body` throws.
    func run<Result: Sendable>(_ body: (any MigrationSession) async throws -> Result) async throws
        -> Result
    {
        let engine = ferry.configuration.engine
        let timeout = ferry.configuration.lockTimeout
        let emit = self.emit
        return try await engine.withUpgradeLock(
            holder: .currentProcess(), timeout: timeout,
            onWait: { holder in emit(.waitingForLock(holder: holder, timeout: timeout)) }
        ) {
            CrashPoint.reach("upgrade.locked")
            return try await engine.withSession(body)
        }
    }
}
