import Foundation

/// Who holds (or asks for) the upgrade lock of a database.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The host name of the machine.
    public var host: String
    /// The process id on that machine, or nil when the engine cannot tell.
    public var pid: Int32?
    /// The command line or application name.
    public var command: String
    /// When the lock was taken.
    public var since: Date

    /// Creates a holder description.
    public init(host: String, pid: Int32?, command: String, since: Date) {
        self.host = host
        self.pid = pid
        self.command = command
        self.since = since
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
        parts.append("since \(Timestamp.string(from: since))")
        return parts.joined(separator: ", ")
    }
}
