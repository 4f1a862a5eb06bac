import Dispatch

/// Runs blocking work (a long SQLite call, a file's sync or checksum) on a
/// Dispatch thread, so that it does not hold one of the few threads of
/// Swift's cooperative pool; on a ``ThreadExecutor``'s thread, which may
/// block, where it is.
package func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    if ThreadExecutor.isCurrent { return try work() }
    return try await onDispatchThread(work)
}

/// Starts blocking work on a Dispatch thread now, beside the caller's own
/// (a copy's sync while the copy is checked); the task's value is its
/// result.
///
/// Unlike `async let`, whose child task waits for the caller's thread when
/// that is a ``ThreadExecutor``'s (until the caller waits for something),
/// the work starts at once, wherever the caller runs.
package func blockingAlongside<T: Sendable>(_ work: @escaping @Sendable () throws -> T) -> Task<
    T, any Error
> {
    Task.detached { try await onDispatchThread(work) }
}

private func onDispatchThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws
    -> T
{
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
