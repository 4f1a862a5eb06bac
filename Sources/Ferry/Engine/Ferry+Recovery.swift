extension Ferry {
    /// Rolls back a transaction that a dead process left in the database,
    /// before anything reads it, and says so in one event.
    ///
    /// Every command that opens the database calls this first: a SQLite
    /// database with a hot journal cannot be read by a read-only connection,
    /// and only a read-write one, under the upgrade lock, rolls it back.
    /// When nothing was left, this costs the engine a look at its files.
    func rollBackInterruptedTransaction(emit: @Sendable (UpgradeEvent) -> Void) async throws {
        let engine = configuration.engine
        guard
            let rolledBack = try await engine.rollBackInterruptedTransaction(
                holder: .currentProcess(), timeout: configuration.lockTimeout)
        else { return }
        emit(.interruptedTransactionRolledBack(database: engine.displayName, rolledBack))
    }
}
