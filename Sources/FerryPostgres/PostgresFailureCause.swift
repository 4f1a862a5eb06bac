import Ferry
import Foundation

/// Why PostgreSQL stopped some work when the cause is the server's state
/// rather than the work itself: out of disk space or another resource, a
/// session ended by an administrator or a shutdown, a lost connection, or a
/// read-only server (a hot standby).
///
/// Read from a SQLSTATE (its class: 53, 57, 08; and 25006), or from what
/// `psql` and `pg_restore` printed (the SQLSTATE when `VERBOSITY=verbose`,
/// else the server's words), so that such a failure is not mistaken for a
/// damaged backup, a missing privilege or a wrong migration.
enum PostgresFailureCause: Sendable, Equatable {
    /// Class 53: disk full, out of memory, too many connections.
    case insufficientResources
    /// Class 57: the session was ended by an administrator
    /// (`pg_terminate_backend`), a shutdown or a crash, or its statement canceled.
    case operatorIntervention
    /// Class 08, or the connection closed under the program.
    case connectionLost
    /// 25006: the server (or the transaction) is read-only.
    case readOnly

    /// The cause of a SQLSTATE, or nil when the work itself failed.
    init?(sqlState: String) {
        if sqlState == "25006" {
            self = .readOnly
        } else if sqlState.hasPrefix("53") {
            self = .insufficientResources
        } else if sqlState.hasPrefix("57") {
            self = .operatorIntervention
        } else if sqlState.hasPrefix("08") {
            self = .connectionLost
        } else {
            return nil
        }
    }

    /// The cause in what a program printed, or nil.
    init?(programOutput text: String) {
        // psql with VERBOSITY=verbose: `ERROR:  53100: could not extend file …`.
        if let range = text.range(
            of: #"(ERROR|FATAL|PANIC):  [0-9A-Z]{5}:"#, options: .regularExpression)
        {
            let code = text[range].split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
            if let cause = PostgresFailureCause(sqlState: code) {
                self = cause
                return
            }
        }
        let lowered = text.lowercased()
        let signs: [(PostgresFailureCause, [String])] = [
            (.readOnly, ["in a read-only transaction", "recovery is in progress"]),
            (
                .insufficientResources,
                [
                    "no space left on device", "could not extend file", "out of memory",
                    "too many clients",
                    "remaining connection slots are reserved", "disk quota exceeded",
                ]
            ),
            (
                .operatorIntervention,
                [
                    "terminating connection due to administrator command",
                    "the database system is shutting down",
                    "the database system is starting up", "the database system is in recovery mode",
                    "canceling statement due to user request",
                    "because of crash of another server process",
                    "terminating connection due to idle",
                ]
            ),
            (
                .connectionLost,
                [
                    "server closed the connection unexpectedly", "no connection to the server",
                    "connection to server",
                    "could not receive data from server", "could not send data to server",
                    "ssl syscall error",
                ]
            ),
        ]
        for (cause, phrases) in signs where phrases.contains(where: { lowered.contains($0) }) {
            self = cause
            return
        }
        return nil
    }

    /// What happened, for the middle of a sentence.
    var summary: String {
        switch self {
        case .insufficientResources:
            return
                "the PostgreSQL server ran out of a resource (disk space, memory or connections: see its message)"
        case .operatorIntervention:
            return
                "the PostgreSQL server ended the session (an administrator's pg_terminate_backend, a shutdown, "
                + "a restart or a crash)"
        case .connectionLost:
            return
                "the connection to the PostgreSQL server was lost (the server ended the session, for example by "
                + "pg_terminate_backend, a restart or a crash, or the network failed)"
        case .readOnly:
            return
                "the PostgreSQL server is read-only (a hot standby in recovery, or default_transaction_read_only)"
        }
    }

    /// What to do next.
    var advice: String {
        switch self {
        case .insufficientResources:
            return
                "Free space on the server's data disk (a full backup check needs room for a second copy of the "
                + "database), or raise the limit its message names, then run again."
        case .operatorIntervention:
            return "Find out from the server's log who or what ended the session, then run again."
        case .connectionLost:
            return
                "Check that the server is running and reachable (its log says whether it ended the session), "
                + "then run again."
        case .readOnly:
            return
                "Run it against the primary; on a standby, back up with \(.backupCheck, .given("quick", swift: ".quick")) (the full check "
                + "needs a scratch database, which a standby cannot create)."
        }
    }

    /// The error code: a read-only server refuses before anything is
    /// changed; the others stop work that was rolled back.
    var code: FerryError.Code {
        self == .readOnly ? .databaseReadOnly : .databaseUnavailable
    }
}
