extension Ferry {
    /// Runs an operation with its long work's progress going to `onEvent`
    /// as ``UpgradeEvent/progress(_:)`` events (through `emit`, the
    /// operation's event sink), for every ``ProgressReporter`` made below
    /// it; with no `onEvent`, reporters find nobody and do nothing.
    ///
    /// - Parameters:
    ///   - onEvent: The caller's event callback, if any.
    ///   - emit: The operation's event sink, which passes events on to `onEvent`.
    ///   - operation: The operation.
    /// - Returns: What `operation` returns.
    /// - Throws: What `operation` throws.
    func reportingProgress<Result>(
        to onEvent: (@Sendable (UpgradeEvent) -> Void)?,
        through emit: @escaping @Sendable (UpgradeEvent) -> Void,
        _ operation: () async throws -> Result
    ) async throws -> Result {
        guard onEvent != nil else { return try await operation() }
        let listener = ProgressListener(sink: { emit(.progress($0)) })
        return try await ProgressReporter.$listener.withValue(listener) {
            try await operation()
        }
    }
}
