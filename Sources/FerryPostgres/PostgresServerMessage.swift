import Ferry
import PostgresNIO

/// What the PostgreSQL server said about an error: its SQLSTATE, message,
/// detail and hint, read from a `PSQLError`.
///
/// PostgresNIO's own description of an error deliberately says nothing (it
/// could hold bound values); this reads the fields the server sent, which
/// never hold the password.
struct PostgresServerMessage: Sendable {
    /// The SQLSTATE, such as `42P01`.
    let sqlState: String
    /// The primary message.
    let message: String
    /// The optional detail.
    let detail: String?
    /// The optional hint.
    let hint: String?
    /// The table and constraint the error is about, when the server names them.
    let table: String?
    let constraint: String?
    /// Where the server was (`COPY t, line 2, column n: "…"`), when it says.
    let context: String?

    init?(_ error: any Error) {
        guard let error = error as? PSQLError, error.code == .server, let info = error.serverInfo
        else {
            return nil
        }
        sqlState = info[.sqlState] ?? "?????"
        message = info[.message] ?? "(no message)"
        detail = info[.detail]
        hint = info[.hint]
        table = info[.tableName]
        constraint = info[.constraintName]
        context = info[.locationContext]
    }

    /// The row of a `COPY` the server stopped at (its `line N`, counted
    /// from 1 for each `COPY`), or nil when it does not say.
    var copyLine: Int? {
        guard let context, context.hasPrefix("COPY "),
            let range = context.range(of: ", line ")
        else { return nil }
        return Int(context[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }

    /// `ERROR 42P01: relation "x" does not exist`, then the detail and the
    /// hint on lines of their own.
    var text: String {
        var lines = ["\(sqlState): \(message)"]
        if let detail { lines.append("DETAIL: \(detail)") }
        if let hint { lines.append("HINT: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// Whether the statement cannot run inside a transaction block
    /// (`active_sql_transaction`, 25001).
    var refusesTransactionBlock: Bool { sqlState == "25001" }

    /// Whether an enum value added in the same transaction was used
    /// (`unsafe_new_enum_value_usage`, 55P04).
    var usesUncommittedEnumValue: Bool { sqlState == "55P04" }

    /// Whether the server refused for lack of a privilege (`insufficient_privilege`, 42501).
    var lacksPrivilege: Bool { sqlState == "42501" }
}

extension PSQLError {
    /// A description of a failure that is not the server's (the network, TLS,
    /// authentication), without any secret.
    var clientSideDescription: String {
        if let underlying { return "\(code): \(underlying)" }
        return "\(code)"
    }
}
