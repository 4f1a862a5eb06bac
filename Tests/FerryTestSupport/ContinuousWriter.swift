import Foundation
import GRDB

/// An application writing continuously into its database while Ferry works
/// beside it: a thread inserting one row per transaction into a table of its
/// own (`app_heartbeat`), a few milliseconds apart, recording how long each
/// write took (waiting for locks included) under the name of the stage that
/// was running, and every write that failed.
///
/// On SQLite it writes through GRDB in WAL mode, waiting up to a minute for
/// a lock as applications do (`busy_timeout`), each write an immediate
/// transaction; on PostgreSQL through one `psql` session fed a statement at a
/// time, whose `\timing` says how long each took.
public final class ContinuousWriter: @unchecked Sendable {
    /// What the writer saw while one stage ran.
    public struct Stage: Sendable, CustomStringConvertible {
        /// The stage's name.
        public let name: String
        /// The writes that succeeded.
        public var writes = 0
        /// The longest write, in milliseconds.
        public var longestMilliseconds = 0.0
        /// What the failed writes said.
        public var failures: [String] = []

        public var description: String {
            "\(name): \(writes) writes, longest \(Int(longestMilliseconds.rounded())) ms, "
                + "\(failures.count) failed \(failures.prefix(3))"
        }
    }

    private let lock = NSLock()
    private var stages: [Stage] = []
    private var isStopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let database: TestDatabase
    private var psql: Process?
    private var psqlInput: FileHandle?
    private var psqlOutput: URL?

    /// Starts writing into a database, in the stage `idle`.
    ///
    /// - Parameter database: The database; its table `app_heartbeat` is made
    ///   if missing, and on SQLite it is put in WAL mode.
    public init(_ database: TestDatabase) async throws {
        self.database = database
        stages = [Stage(name: "idle")]
        switch database.kind {
        case .sqlite:
            var configuration = Configuration()
            configuration.busyMode = .timeout(60)
            let queue = try DatabaseQueue(path: database.location, configuration: configuration)
            try await queue.writeWithoutTransaction { db in
                try db.execute(
                    sql: """
                        PRAGMA journal_mode = WAL;
                        CREATE TABLE IF NOT EXISTS app_heartbeat (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
                        """)
            }
            let thread = Thread { [self] in writeToSQLite(queue) }
            thread.start()
        case .postgres:
            try await database.load(
                "CREATE TABLE IF NOT EXISTS app_heartbeat (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"
            )
            try startPsql()
            let thread = Thread { [self] in writeToPostgres() }
            thread.start()
        }
    }

    /// Names the stage that the following writes belong to.
    ///
    /// - Parameter name: The stage, such as the command Ferry runs.
    public func begin(_ name: String) {
        if let psqlInput {
            // The session reports the stage in its output, in order with its writes.
            lock.withLock { try? psqlInput.write(contentsOf: Data("\\echo stage:\(name)\n".utf8)) }
        } else {
            lock.withLock { stages.append(Stage(name: name)) }
        }
    }

    /// Stops writing, and returns what each stage saw.
    public func stop() async throws -> [Stage] {
        lock.withLock { isStopping = true }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [finished] in
                finished.wait()
                continuation.resume()
            }
        }
        if database.kind == .postgres { try readPsqlOutput() }
        return lock.withLock { stages }
    }

    private var shouldStop: Bool { lock.withLock { isStopping } }

    private func writeToSQLite(_ queue: DatabaseQueue) {
        while !shouldStop {
            let start = ContinuousClock.now
            do {
                try queue.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        try db.execute(
                            sql:
                                "INSERT INTO app_heartbeat (at) VALUES (strftime('%Y-%m-%d %H:%M:%f'))"
                        )
                        return .commit
                    }
                }
                let milliseconds = Self.milliseconds(ContinuousClock.now - start)
                lock.withLock {
                    stages[stages.count - 1].writes += 1
                    stages[stages.count - 1].longestMilliseconds = max(
                        stages[stages.count - 1].longestMilliseconds, milliseconds)
                }
            } catch {
                lock.withLock { stages[stages.count - 1].failures.append("\(error)") }
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        try? queue.close()
        finished.signal()
    }

    private func startPsql() throws {
        // A session ended by the server must fail writes, not kill the test with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let url = try PostgresTestServer.url(database: database.postgresDatabase!)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-A", "-t", url]
        let input = Pipe()
        let output = database.folder.url.appendingPathComponent("writer-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        psql = process
        psqlInput = input.fileHandleForWriting
        psqlOutput = output
        try psqlInput!.write(contentsOf: Data("\\timing on\n".utf8))
    }

    private func writeToPostgres() {
        let statement = Data("INSERT INTO app_heartbeat (at) VALUES (clock_timestamp());\n".utf8)
        while !shouldStop {
            lock.withLock { try? psqlInput?.write(contentsOf: statement) }
            Thread.sleep(forTimeInterval: 0.002)
        }
        try? psqlInput?.close()
        psql?.waitUntilExit()
        finished.signal()
    }

    /// Reads the session's output: `Time: 1.234 ms` after each statement,
    /// `stage:NAME` where a stage began, `ERROR: …` for a failed write.
    private func readPsqlOutput() throws {
        let text = try String(contentsOf: psqlOutput!, encoding: .utf8)
        var stages = [Stage(name: "idle")]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("stage:") {
                stages.append(Stage(name: String(line.dropFirst("stage:".count))))
            } else if line.hasPrefix("Time: "),
                let value = Double(line.dropFirst("Time: ".count).split(separator: " ")[0])
            {
                stages[stages.count - 1].writes += 1
                stages[stages.count - 1].longestMilliseconds = max(
                    stages[stages.count - 1].longestMilliseconds, value)
            } else if line.contains("ERROR") || line.contains("FATAL") {
                stages[stages.count - 1].failures.append(String(line))
            }
        }
        lock.withLock { self.stages = stages }
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
