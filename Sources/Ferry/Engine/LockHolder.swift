import Foundation

/// Who holds (or asks for) the upgrade lock of a database.
///
/// For SQLite the holder writes it into the lock file; for PostgreSQL it is
/// read from `pg_stat_activity`: the client's address, the session's
/// `application_name`, and the server process that serves the session.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The holder's machine: its host name, or its address as the database
    /// server sees it.
    public var host: String
    /// The holder's process id on that machine, or nil when the engine
    /// cannot tell.
    public var pid: Int32?
    /// The command line or application name.
    public var command: String
    /// When the lock was taken.
    public var since: Date
    /// The database server's process serving the holder's session (what
    /// PostgreSQL's `pg_terminate_backend` takes), for server engines.
    public var serverPID: Int32?
    /// What the holder is doing now (the last event of its upgrade, restore
    /// or backup, such as `Applying 0.6.0/001_archive (1/3)…`), nil before
    /// its first event or where the engine cannot tell.
    public var step: String?

    /// Creates a holder description.
    public init(host: String, pid: Int32?, command: String, since: Date, serverPID: Int32? = nil) {
        self.host = host
        self.pid = pid
        self.command = command
        self.since = since
        self.serverPID = serverPID
    }

    /// This process, now.
    public static func currentProcess(command: String? = nil) -> LockHolder {
        LockHolder(
            host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier,
            command: command ?? CommandLine.arguments.map(Self.shortened).joined(separator: " "),
            since: Date())
    }

    private static func shortened(_ argument: String) -> String {
        argument.count > 200 ? String(argument.prefix(200)) + "…" : argument
    }

    /// For example `host db1, pid 4242, "ferry upgrade", since 2026-11-21T18:00:00Z`.
    public var description: String {
        var parts = ["host \(host)"]
        if let pid { parts.append("pid \(pid)") }
        parts.append("\"\(command)\"")
        if let serverPID { parts.append("server pid \(serverPID)") }
        parts.append("since \(Timestamp.string(from: since))")
        if let step { parts.append("now: \(step)") }
        return parts.joined(separator: ", ")
    }
}
