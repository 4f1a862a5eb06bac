import Ferry
import Foundation
import PostgresNIO

/// Watches a session that Ferry holds for a long time (the upgrade lock's,
/// a scratch database's maker) while it waits between statements: every
/// second it is idle, it asks the server `SELECT 1`, with a bounded wait.
///
/// A session that the server ends while it is idle (`pg_terminate_backend`,
/// `idle_session_timeout`, a restart) is then noticed within seconds, not at
/// Ferry's next statement; an answer that does not come within ``deadline``
/// closes the connection, which fails every statement waiting on it, so
/// that nothing Ferry does can wait forever on a dead session. The pings
/// also keep `idle_session_timeout` from ending a session that Ferry still
/// needs, such as the lock's while `pg_dump` writes the backup.
///
/// Statements of Ferry's own are marked with ``during(_:)``: the watch never
/// pings while one runs, so a long migration is never taken for a dead
/// session.
final class PostgresSessionWatch: Sendable {
    /// How long a ping may wait for its answer before the session is given up.
    static let deadline: Duration = .seconds(20)
    /// How often an idle session is pinged.
    static let interval: Duration = .seconds(1)

    let connection: PostgresConnection
    private let busy = Locked(0)
    private let loss = Locked<PostgresSessionLoss?>(nil)

    init(_ connection: PostgresConnection) {
        self.connection = connection
    }

    /// Why the session is gone, once the watch has noticed it.
    var lost: PostgresSessionLoss? { loss.value }

    /// Runs some of Ferry's own work on the session, during which it is not pinged.
    func during<T>(_ work: () async throws -> T) async rethrows -> T {
        busy.withLock { $0 += 1 }
        defer { busy.withLock { $0 -= 1 } }
        return try await work()
    }

    /// Runs `body` while the session is watched, and stops watching afterwards.
    func watching<T>(_ body: () async throws -> T) async rethrows -> T {
        let pinger = Task { [self] in await self.pingWhileIdle() }
        defer { pinger.cancel() }
        return try await body()
    }

    /// Runs a short statement of Ferry's (releasing the lock) with a bounded
    /// wait: if no answer comes within ``deadline``, the connection is
    /// closed, which ends the statement with an error.
    func bounded<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        let answered = Locked(false)
        let connection = self.connection
        let timer = Task {
            try? await Task.sleep(for: Self.deadline)
            guard !Task.isCancelled, !answered.value else { return }
            try? await connection.close()
        }
        defer {
            answered.value = true
            timer.cancel()
        }
        return try await during(work)
    }

    private func pingWhileIdle() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.interval)
            guard !Task.isCancelled else { return }
            if busy.value > 0 { continue }
            guard await ping() else { return }
        }
    }

    /// Pings once; false when the session is gone (and then closed).
    private func ping() async -> Bool {
        let answered = Locked(false)
        let connection = self.connection
        let loss = self.loss
        let timer = Task {
            try? await Task.sleep(for: Self.deadline)
            guard !Task.isCancelled, !answered.value else { return }
            loss.withLock {
                if $0 == nil {
                    $0 = PostgresSessionLoss(
                        reason: "the server did not answer for \(Self.deadline.text)")
                }
            }
            try? await connection.close()
        }
        defer { timer.cancel() }
        do {
            try await PostgresScriptRunner.runToTheEnd(sql: "SELECT 1", on: connection)
            answered.value = true
            return true
        } catch {
            answered.value = true
            guard let gone = PostgresSessionLoss(error) else { return true }
            loss.withLock { if $0 == nil { $0 = gone } }
            try? await connection.close()
            return false
        }
    }
}
