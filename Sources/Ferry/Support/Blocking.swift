import Dispatch

/// Runs blocking work (a long SQLite call, a file's sync or checksum) on a
/// Dispatch thread, so that it does not hold one of the few threads of
/// Swift's cooperative pool; on a ``ThreadExecutor``'s thread, which may
/// block, where it is.
package func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    if ThreadExecutor.isCurrent { return try work() }
    return try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
