import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of one test's own, for faults that the shared test
/// server must not suffer: a restart, a crash (`kill -9` of the postmaster),
/// a data folder on a small full disk, a hot standby.
///
/// ```swift
/// let primary = try await PrivatePostgresServer.start()
/// defer { primary.remove() }
/// let standby = try await primary.startStandby()
/// defer { standby.remove() }
/// ```
///
/// `initdb` makes it in a temporary folder (as the user `postgres`, through
/// `runuser -u postgres --`, when the tests run as root: the server refuses
/// root), with a superuser role `ferry` trusted on 127.0.0.1 and every other
/// role asked for a password; it listens on a free port of 127.0.0.1 only.
/// It is started, stopped and killed by its pid, never by name, and
/// ``remove()`` stops it and deletes its folder (unmounting its small disk).
/// The programs are those of `pg_config --bindir` (PostgreSQL 15 here).
public final class PrivatePostgresServer: @unchecked Sendable {
    /// The folder that holds everything: the data folder, the socket, the log.
    public let folder: URL
    /// The server's data folder.
    public let dataFolder: URL
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// The folder of PostgreSQL's programs.
    public let programs: URL
    /// The small disk (tmpfs) mounted for the data folder, if any.
    public let disk: URL?
    /// Settings given to the server on its command line (`-c name=value`).
    public let settings: [String: String]
    private let isRemoved = LockedFlag()

    private init(
        folder: URL, dataFolder: URL, port: Int, programs: URL, disk: URL?,
        settings: [String: String]
    ) {
        self.folder = folder
        self.dataFolder = dataFolder
        self.port = port
        self.programs = programs
        self.disk = disk
        self.settings = settings
    }

    /// The URL of a database on the server, as the superuser `ferry` (or another role).
    public func url(database: String = "postgres", user: String = "ferry", password: String? = nil)
        -> String
    {
        let credentials = password.map { "\(user):\($0)" } ?? user
        return "postgres://\(credentials)@127.0.0.1:\(port)/\(database)"
    }

    /// Makes and starts a new server.
    ///
    /// - Parameters:
    ///   - settings: Server settings, such as `["max_wal_size": "32MB"]`.
    ///   - diskMegabytes: When given, the data folder lives on a tmpfs of this
    ///     size (its WAL beside it, on the ordinary disk), which
    ///     ``fillDisk(leaving:)`` can fill up. A new server's databases take
    ///     about 8 MB each, and it has three.
    public static func start(
        settings: [String: String] = [:], diskMegabytes: Int? = nil
    ) async throws -> PrivatePostgresServer {
        let programs = try await bindir()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-private-postgres-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var disk: URL?
        var dataParent = folder
        if let diskMegabytes {
            let mountPoint = folder.appendingPathComponent("disk")
            try FileManager.default.createDirectory(
                at: mountPoint, withIntermediateDirectories: true)
            try await run([
                "/bin/mount", "-t", "tmpfs", "-o", "size=\(diskMegabytes)m", "tmpfs",
                mountPoint.path,
            ])
            disk = mountPoint
            dataParent = mountPoint
        }
        let dataFolder = dataParent.appendingPathComponent("data")
        try await giveToOwner(folder)
        let server = PrivatePostgresServer(
            folder: folder, dataFolder: dataFolder, port: freePort(), programs: programs,
            disk: disk,
            settings: settings)
        do {
            var initdb = [
                programs.appendingPathComponent("initdb").path, "-D", dataFolder.path, "-U",
                "ferry", "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync",
            ]
            // The WAL stays on the ordinary disk: a full data disk then fails statements (53100)
            // rather than crashing the server, which cannot write WAL.
            if diskMegabytes != nil {
                initdb += ["--waldir", folder.appendingPathComponent("wal").path]
            }
            try await run(asOwner(initdb))
            try server.writeAccessRules()
            try await server.startServer()
        } catch {
            server.remove()
            throw error
        }
        return server
    }

    /// Makes a hot standby of this server with `pg_basebackup -R` (which
    /// writes `standby.signal` and `primary_conninfo`) and starts it on a
    /// port of its own; it replays the primary's changes and refuses writes.
    public func startStandby() async throws -> PrivatePostgresServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-private-standby-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await Self.giveToOwner(folder)
        let standby = PrivatePostgresServer(
            folder: folder, dataFolder: folder.appendingPathComponent("data"),
            port: Self.freePort(),
            programs: programs, disk: nil, settings: settings.merging(["hot_standby": "on"]) { $1 })
        do {
            try await Self.run(
                Self.asOwner([
                    programs.appendingPathComponent("pg_basebackup").path, "-D",
                    standby.dataFolder.path, "-h",
                    "127.0.0.1", "-p", String(port), "-U", "ferry", "-R", "-X", "stream",
                    "--no-sync",
                ]))
            try await standby.startServer()
        } catch {
            standby.remove()
            throw error
        }
        return standby
    }

    // MARK: Running and stopping

    /// The postmaster's pid, read from `postmaster.pid`; nil when it is not running.
    public var pid: pid_t? {
        guard
            let text = try? String(
                contentsOf: dataFolder.appendingPathComponent("postmaster.pid"), encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first)
        else { return nil }
        return Glibc.kill(pid, 0) == 0 ? pid : nil
    }

    /// Starts the server (again) and waits until it accepts connections.
    public func startServer() async throws {
        var options =
            "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder.path) -c fsync=off"
            + " -c full_page_writes=off -c max_connections=100"
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            options += " -c \(name)=\(value)"
        }
        do {
            try await Self.run(
                Self.asOwner([
                    programs.appendingPathComponent("pg_ctl").path, "-D", dataFolder.path, "-l",
                    folder.appendingPathComponent("server.log").path, "-w", "-t", "60", "-o",
                    options, "start",
                ]))
        } catch {
            throw TestServerError("\(error)\n--- server log\n\(log)")
        }
    }

    /// Stops the server cleanly (`pg_ctl stop -m fast`), by its data folder's pid.
    public func stopServer() async throws {
        guard pid != nil else { return }
        try await Self.run(
            Self.asOwner([
                programs.appendingPathComponent("pg_ctl").path, "-D", dataFolder.path, "-m", "fast",
                "-w", "stop",
            ]))
    }

    /// Stops the server and starts it again.
    public func restart() async throws {
        try await stopServer()
        try await startServer()
    }

    /// Kills the postmaster with `kill -9`, as a crash would; its backends
    /// end when they notice, and the next start recovers.
    public func crash() async {
        guard let pid else { return }
        Glibc.kill(pid, SIGKILL)
        while Glibc.kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(20)) }
        // The backends notice their postmaster's death on their own; wait for the port to be released.
        for _ in 0..<250 where Self.isListening(port) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// What the server wrote to its log.
    public var log: String {
        (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8))
            ?? ""
    }

    /// Fills the small disk with a ballast file until about `bytes` are left
    /// free; returns the ballast, whose removal frees the disk again.
    @discardableResult
    public func fillDisk(leaving bytes: Int64) throws -> URL {
        guard let disk else {
            throw TestServerError("This server has no small disk: start it with diskMegabytes.")
        }
        let ballast = disk.appendingPathComponent("ballast")
        let values = try disk.resourceValues(forKeys: [.volumeAvailableCapacityKey])
        let free = Int64(values.volumeAvailableCapacity ?? 0)
        let size = max(0, free - bytes)
        _ = FileManager.default.createFile(atPath: ballast.path, contents: nil)
        let handle = try FileHandle(forWritingTo: ballast)
        defer { try? handle.close() }
        let chunk = Data(count: 1 << 20)
        var written: Int64 = 0
        while written < size {
            let part = chunk.prefix(Int(min(Int64(chunk.count), size - written)))
            try handle.write(contentsOf: part)
            written += Int64(part.count)
        }
        return ballast
    }

    /// Stops the server (immediately, by its pid), unmounts its small disk and
    /// deletes its folder. Safe to call more than once.
    public func remove() {
        guard isRemoved.set() else { return }
        if let pid {
            Glibc.kill(pid, SIGQUIT)  // the postmaster's "immediate shutdown"
            for _ in 0..<500 where Glibc.kill(pid, 0) == 0 { usleep(10_000) }
            if Glibc.kill(pid, 0) == 0 { Glibc.kill(pid, SIGKILL) }
        }
        if let disk {
            Self.runNow(["/bin/umount", "-l", disk.path])
        }
        try? FileManager.default.removeItem(at: folder)
    }

    deinit {
        remove()
    }

    /// Runs the real `psql` on a database of this server as `ferry`, stopping
    /// at the first error, and returns what it printed (`-A -t`: bare values).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await PostgresTestServer.psql(
            ["-A", "-t", "-c", sql], database: database, url: url(database: database))
    }

    // MARK: Helpers

    private func writeAccessRules() throws {
        // `ferry` logs in without a password (and may stream WAL to a standby); every other role gives one.
        let rules = """
            local all all trust
            host all ferry 127.0.0.1/32 trust
            host replication ferry 127.0.0.1/32 trust
            host all all 127.0.0.1/32 scram-sha-256

            """
        try Data(rules.utf8).write(to: dataFolder.appendingPathComponent("pg_hba.conf"))
    }

    private static func bindir() async throws -> URL {
        let output = try await run(["/usr/bin/env", "pg_config", "--bindir"])
        return URL(fileURLWithPath: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether the tests run as root, so that the server runs as `postgres`.
    private static var isRoot: Bool { getuid() == 0 }

    private static func asOwner(_ command: [String]) -> [String] {
        isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command
    }

    private static func giveToOwner(_ folder: URL) async throws {
        if isRoot { try await run(["/bin/chown", "-R", "postgres:postgres", folder.path]) }
    }

    /// A port of 127.0.0.1 that nothing listens on now.
    private static func freePort() -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketDescriptor, $0, length)
            }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(socketDescriptor, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func isListening(_ port: Int) -> Bool {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Runs a program to its end without holding a thread; throws with what
    /// it printed when it fails.
    ///
    /// Spawned and reaped by hand: `pg_ctl start` leaves a server behind that
    /// inherits the program's descriptors, and Foundation's `Process` then
    /// never sees the program end.
    @discardableResult
    static func run(_ command: [String]) async throws -> String {
        let id = UUID().uuidString
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-private-out-\(id)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &arguments, environ)
        guard spawned == 0 else {
            throw TestServerError("\(command[0]) cannot be started (error \(spawned)).")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw TestServerError(
                "\(command.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    /// Runs a short program synchronously, for clean-up outside async code.
    private static func runNow(_ command: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }
}

/// A flag set once, from any thread.
private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false

    /// Sets the flag; returns whether it was not set before.
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        defer { isSet = true }
        return !isSet
    }
}
