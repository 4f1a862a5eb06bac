import Ferry
import GRDB

extension DatabaseQueue {
    /// `writeWithoutTransaction`, run where the caller is when it runs on a
    /// ``ThreadExecutor``'s thread (no hand-off to the queue's thread and
    /// back), else on the queue's thread.
    func writeWithoutTransactionHere<T: Sendable>(
        _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        if ThreadExecutor.isCurrent { return try inDatabase(work) }
        return try await writeWithoutTransaction(work)
    }

    /// `read`, run where the caller is when it runs on a ``ThreadExecutor``'s
    /// thread, else on the queue's thread.
    func readHere<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws
        -> T
    {
        if ThreadExecutor.isCurrent { return try readNow(work) }
        return try await read(work)
    }

    /// GRDB's synchronous `read`: from an `async` function, the same call
    /// with a `Sendable` closure resolves to the asynchronous one.
    private func readNow<T>(_ work: (Database) throws -> T) throws -> T { try read(work) }
}
