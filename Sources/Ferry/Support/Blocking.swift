import Dispatch

/// Runs blocking work (a long SQLite call, a file's sync or checksum) on a
/// Dispatch thread, so that it does not hold one of the few threads of
/// Swift's cooperative pool; on a ``ThreadExecutor``'s thread, which may
/// block, where it is.
package func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    if ThreadExecutor.isCurrent { return try work() }
    return try await onDispatchThread(work)
}

/// Runs `body` while blocking work runs beside it on a Dispatch thread (a
/// copy's sync while the copy is checked), and waits for both; the body's
/// error comes first.
///
/// The work starts at once, wherever the caller runs: an `async let` child
/// would wait for the caller's thread when that is a ``ThreadExecutor``'s,
/// until the caller waits for something, and overlap nothing.
package func whileBlocking<Result>(
    alongside work: @escaping @Sendable () throws -> Void, _ body: () async throws -> Result
) async throws -> Result {
    try await whileRunning(Task.detached { try await onDispatchThread(work) }, body).body
}

/// Runs `body` while `side`, a task already started, goes on, and waits for
/// both: the body's error first, and the side's end awaited either way.
package func whileRunning<Result, Side: Sendable>(
    _ side: Task<Side, any Error>, _ body: () async throws -> Result
) async throws -> (body: Result, alongside: Side) {
    let result: Result
    do {
        result = try await body()
    } catch {
        _ = try? await side.value
        throw error
    }
    return (result, try await side.value)
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
