import Ferry
import Logging
import NIOCore
import PostgresNIO

extension PostgresConnection {
    /// Sends a query, or fails at once when the connection is closed.
    ///
    /// PostgresNIO 1.33 drops a query written to a connection whose channel
    /// has closed (the server ended the session: `pg_terminate_backend`,
    /// `idle_session_timeout`, a restart) without ever answering it, so the
    /// caller would wait forever: Ferry hung after a lost session. Here a
    /// query on a closed connection fails with ``PostgresConnectionClosed``,
    /// and so does one still unanswered half a second after the connection
    /// closes (time for the server's own message to arrive first, when it
    /// sent one). Every query of Ferry's goes through this.
    ///
    /// - Throws: ``PostgresConnectionClosed``, or what PostgresNIO throws.
    func queryUnlessClosed(_ query: PostgresQuery, logger: Logger) async throws
        -> PostgresRowSequence
    {
        guard !isClosed else { throw PostgresConnectionClosed() }
        let once = Locked(false)
        return try await withCheckedThrowingContinuation { continuation in
            @Sendable func resume(_ result: Result<PostgresRowSequence, any Error>) {
                let isFirst = once.withLock { wasResumed in
                    defer { wasResumed = true }
                    return !wasResumed
                }
                if isFirst { continuation.resume(with: result) }
            }
            Task {
                do {
                    resume(.success(try await self.query(query, logger: logger)))
                } catch {
                    resume(.failure(error))
                }
            }
            let eventLoop = self.closeFuture.eventLoop
            self.closeFuture.whenComplete { _ in
                eventLoop.scheduleTask(in: .milliseconds(500)) {
                    resume(.failure(PostgresConnectionClosed()))
                }
            }
        }
    }
}

/// A query was not sent, or not answered, because its connection is closed.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection is closed" }
}
