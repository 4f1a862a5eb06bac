import Ferry
import Foundation

/// The events of one operation as server-sent events, kept so that a client
/// that connects late, or again, reads them all from the start, then follows
/// until the end event.
///
/// Appending is synchronous (behind a lock), so that the events keep the
/// order in which the work emitted them.
final class OperationLog: Sendable {
    private struct State: Sendable {
        var frames: [String] = []
        var lastIsProgress = false
        var isFinished = false
        var followers: [UUID: AsyncStream<String>.Continuation] = [:]
    }

    private let state = Locked(State())

    /// Adds an event (its frame already encoded); ignored after the end.
    /// Followers get every frame; the log keeps only the newest of a run of
    /// progress frames, so that a long operation's log does not grow ten
    /// frames a second.
    func append(_ frame: String, isProgress: Bool = false) {
        state.withLock { state in
            guard !state.isFinished else { return }
            if isProgress && state.lastIsProgress && !state.frames.isEmpty {
                state.frames[state.frames.count - 1] = frame
            } else {
                state.frames.append(frame)
            }
            state.lastIsProgress = isProgress
            for follower in state.followers.values { follower.yield(frame) }
        }
    }

    /// Adds the last frames and ends the log: followers' streams end after them.
    func finish(with last: [String]) {
        let followers = state.withLock { state in
            guard !state.isFinished else { return [AsyncStream<String>.Continuation]() }
            state.frames += last
            for follower in state.followers.values {
                for frame in last { follower.yield(frame) }
            }
            state.isFinished = true
            defer { state.followers = [:] }
            return Array(state.followers.values)
        }
        // Outside the lock: finishing a stream runs its termination handler, which takes the lock.
        for follower in followers { follower.finish() }
    }

    /// Every frame so far, then each new one until the log ends.
    func follow() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: String.self, bufferingPolicy: .unbounded)
        let id = UUID()
        state.withLock { state in
            for frame in state.frames { continuation.yield(frame) }
            if state.isFinished {
                continuation.finish()
            } else {
                state.followers[id] = continuation
            }
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { $0.followers[id] = nil }
        }
        return stream
    }

    /// Whether the end event was written.
    var hasEnded: Bool { state.value.isFinished }
}
