import Ferry
import PostgresNIO

/// A session of Ferry's that is gone: ended by the server
/// (`pg_terminate_backend`, `idle_session_timeout`, a shutdown or a crash:
/// SQLSTATE class 57 or 08) or lost with its connection.
///
/// The server rolls back the open transaction of a session it ends and
/// frees the session's advisory locks, the upgrade lock included, so what
/// Ferry says next must say so rather than blame a migration.
struct PostgresSessionLoss: Sendable {
    /// Why the session is gone, for a message: the server's words when it
    /// sent any.
    let reason: String

    /// A loss for a reason Ferry saw itself (the server stopped answering).
    init(reason: String) {
        self.reason = reason
    }

    /// Reads an error as a lost session, or nil when it is another failure.
    init?(_ error: any Error) {
        if let said = PostgresServerMessage(error) {
            guard Self.isSessionEnding(said.sqlState) else { return nil }
            reason = "the server ended it (\(said.text))"
            return
        }
        if error is PostgresConnectionClosed {
            reason = "its connection closed"
            return
        }
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            if let underlying = error.underlying, let said = PostgresServerMessage(underlying) {
                reason = "the server ended it (\(said.text))"
            } else {
                reason = "its connection closed (\(error.clientSideDescription))"
            }
        default:
            return nil
        }
    }

    /// Whether an SQLSTATE ends the session: operator intervention (57P01
    /// `admin_shutdown`, 57P02 `crash_shutdown`, 57P03 `cannot_connect_now`,
    /// 57P05 `idle_session_timeout`) or a connection exception (class 08).
    static func isSessionEnding(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("57P") || sqlState.hasPrefix("08")
    }

    /// The error to report: `message` (what Ferry was doing), then why, what
    /// that changed and what to do.
    ///
    /// - Parameter holdsLock: Whether the session held the upgrade lock.
    func error(_ message: String, holdsLock: Bool) -> FerryError {
        FerryError(
            .databaseUnavailable,
            "\(message): \(reason)."
                + (holdsLock
                    ? " It held the upgrade lock, which the server released with it." : ""),
            changes:
                "Nothing was committed: the server rolls back the open transaction of a session it ends.",
            advice:
                "See why the session ended (the server's log: pg_terminate_backend, idle_session_timeout, "
                + "a restart), check the database with \(run: .status), and run again.")
    }
}
