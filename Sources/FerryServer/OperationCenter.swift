import Ferry
import Foundation

/// Runs the admin server's long operations (upgrade, rehearsal, backup,
/// restore), one at a time, and keeps the logs of the last few.
///
/// Every operation's log ends in an end event, `[END … SUCCESS]` or
/// `[END … ERROR]`: the work's result or error is written, then the end,
/// whatever way the work stops (returns, throws, or its task is cancelled),
/// so that a page following the log never waits forever.
actor OperationCenter {
    /// An operation that runs or ran.
    struct Operation: Sendable, Encodable {
        let id: String
        let kind: OperationKind
        let startedAt: Date

        /// `upgrade (operation ID, started TIME)`: who holds the server.
        var summary: String {
            "\(kind.rawValue) (operation \(id), started \(Timestamp.string(from: startedAt)))"
        }
    }

    /// The work of an operation: it reports events through `emit` and
    /// returns its result document (the command's `--json` result).
    typealias Work =
        @Sendable (_ emit: @escaping @Sendable (UpgradeEvent) -> Void) async throws ->
        any Encodable & Sendable

    private(set) var current: Operation?
    private var logs: [String: (operation: Operation, log: OperationLog)] = [:]
    private var order: [String] = []
    private var tasks: [String: Task<Void, Never>] = [:]
    private let encode: @Sendable (any Encodable) -> String
    private let onEnd: @Sendable () async -> Void
    private let announce: @Sendable (_ line: String, _ success: Bool) -> Void

    /// How many finished operations' logs are kept.
    private let kept = 20

    /// - Parameters:
    ///   - encode: Encodes a document as the server's JSON (one line).
    ///   - onEnd: Called after each operation ends (the health reading is then stale).
    ///   - announce: Given the lines that end each operation in the
    ///     server's own log (its error, then its end marker), and whether it
    ///     succeeded.
    init(
        encode: @escaping @Sendable (any Encodable) -> String,
        onEnd: @escaping @Sendable () async -> Void = {},
        announce: @escaping @Sendable (_ line: String, _ success: Bool) -> Void = { _, _ in }
    ) {
        self.encode = encode
        self.onEnd = onEnd
        self.announce = announce
    }

    /// Starts an operation, unless one runs.
    ///
    /// - Returns: The operation.
    /// - Throws: ``Busy`` naming the operation that runs.
    func start(_ kind: OperationKind, work: @escaping Work) throws -> Operation {
        if let current { throw Busy(holder: current) }
        let operation = Operation(
            id: UUID().uuidString.lowercased(), kind: kind, startedAt: Date())
        let log = OperationLog()
        current = operation
        logs[operation.id] = (operation, log)
        order.append(operation.id)
        while order.count > kept, let oldest = order.first, oldest != operation.id {
            order.removeFirst()
            logs[oldest] = nil
        }
        let encode = self.encode
        let emit: @Sendable (UpgradeEvent) -> Void = { event in
            let isProgress: Bool
            if case .progress = event { isProgress = true } else { isProgress = false }
            log.append(
                ServerSentEvent.frame(encode(TimedEvent(at: Date(), event: event))),
                isProgress: isProgress)
        }
        tasks[operation.id] = Task {
            var failure: FerryError?
            var last = ""
            do {
                let result = try await work(emit)
                last = encode(result)
            } catch let error as FerryError {
                failure = error
            } catch is CancellationError {
                failure = FerryError(
                    .interrupted, "The \(kind.rawValue) was cancelled.",
                    changes:
                        "An upgrade's or restore's open transaction is not committed and is rolled back.",
                    advice: "Look at the status, then start it again.")
            } catch {
                failure = FerryError(
                    .unexpected, "\(error)",
                    changes:
                        "The \(kind.rawValue) stopped on an unexpected error; look at the status to see the database."
                )
            }
            if let failure {
                last = encode(ErrorResult(command: kind.command, error: failure))
                announce("The \(kind.rawValue) \(operation.id) failed: \(failure.message)", false)
            }
            await self.end(operation, log: log, result: last, success: failure == nil)
        }
        return operation
    }

    /// Writes the result and the end event, and frees the server.
    private func end(_ operation: Operation, log: OperationLog, result: String, success: Bool) async
    {
        let end = EndEvent(
            at: Date(), ok: success, operation: operation.id,
            marker: operation.kind.endMarker(success: success))
        announce(end.marker, success)
        log.finish(with: [
            ServerSentEvent.frame(result), ServerSentEvent.frame(encode(end), event: "end"),
        ])
        if current?.id == operation.id { current = nil }
        tasks[operation.id] = nil
        await onEnd()
    }

    /// The operation with this id and its log.
    func find(_ id: String) -> (operation: Operation, log: OperationLog)? {
        logs[id]
    }

    /// Cancels the running operation's task (the server is stopping); its
    /// log still ends in an end event.
    func cancelAll() {
        for task in tasks.values { task.cancel() }
    }

    /// Waits until no operation runs (for tests and a clean stop).
    func waitUntilIdle() async {
        while let id = current?.id, let task = tasks[id] { await task.value }
    }

    /// A second operation while one runs.
    struct Busy: Error, Sendable {
        let holder: Operation
    }
}

/// The last event of every operation's log.
struct EndEvent: Encodable {
    let event = "end"
    let at: Date
    let ok: Bool
    let operation: String
    let marker: String
}

extension FerryError.Code {
    /// An operation whose task was cancelled (the server stopped).
    static let interrupted = FerryError.Code(rawValue: "interrupted")
    /// An error that is not one of Ferry's.
    static let unexpected = FerryError.Code(rawValue: "unexpected")
}
