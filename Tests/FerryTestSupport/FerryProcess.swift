import Foundation

/// The built `ferry` binary, run as a user runs it.
public enum FerryProcess {
    /// The binary: `FERRY_BINARY` if set, else `ferry` beside the test bundle.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["FERRY_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let testBundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = testBundle.deletingLastPathComponent()
        // On Linux the tests run as .build/debug/FerryPackageTests.xctest; elsewhere inside a bundle.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("ferry").path),
            folder.pathComponents.count > 1
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("ferry")
    }

    /// What a finished run printed, and its exit code.
    public struct Output: Sendable, CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// Creates the output of a run made another way (on a terminal, by `script`).
        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }

        /// Standard output's lines.
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// Standard output's lines parsed as JSON objects.
        public func jsonLines() throws -> [[String: Any]] {
            try lines.map { line in
                guard
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                        as? [String: Any]
                else {
                    throw CocoaError(.coderReadCorrupt)
                }
                return object
            }
        }

        public var description: String {
            "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
        }
    }

    /// A started process whose output is collected in files.
    public final class Running: @unchecked Sendable {
        public let process: Process
        let stdoutFile: URL
        let stderrFile: URL

        init(process: Process, stdoutFile: URL, stderrFile: URL) {
            self.process = process
            self.stdoutFile = stdoutFile
            self.stderrFile = stderrFile
        }

        /// What the process has printed so far on standard output.
        public var stdoutSoFar: String {
            (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
        }

        /// Waits (without blocking a thread) for the process to end.
        public func finish() async -> Output {
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            process.waitUntilExit()
            let output = Output(
                status: process.terminationStatus, stdout: stdoutSoFar,
                stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
            try? FileManager.default.removeItem(at: stdoutFile)
            try? FileManager.default.removeItem(at: stderrFile)
            return output
        }

        /// Waits until standard output contains a text, or the process ends.
        public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async
            -> Bool
        {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if stdoutSoFar.contains(text) { return true }
                if !process.isRunning { return stdoutSoFar.contains(text) }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }

        /// Waits until the process has stopped itself (`FERRY_TEST_STOP_AT`),
        /// as `/proc` shows it, or has ended; returns whether it stopped.
        public func waitUntilStopped(timeout: Duration = .seconds(60)) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            let stat = "/proc/\(process.processIdentifier)/stat"
            while ContinuousClock.now < deadline, process.isRunning {
                // The state follows the command name in parentheses: `1234 (ferry) T …`.
                if let text = try? String(contentsOfFile: stat, encoding: .utf8),
                    let close = text.lastIndex(of: ")"),
                    text[text.index(after: close)...].split(separator: " ").first == "T"
                {
                    return true
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }

        /// Sends a signal to the process (by its pid).
        public func kill(_ signal: Int32) {
            Foundation.kill(process.processIdentifier, signal)
        }
    }

    /// Starts `ferry` with arguments in a folder, with extra environment variables.
    public static func start(
        _ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]
    ) throws -> Running {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FERRY_") }
        variables.merge(environment) { $1 }
        process.environment = variables
        let id = UUID().uuidString
        let stdoutFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-out-\(id)")
        let stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-err-\(id)")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, stdoutFile: stdoutFile, stderrFile: stderrFile)
    }

    /// Runs `ferry` to the end.
    public static func run(
        _ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]
    ) async throws -> Output {
        try await start(arguments, in: folder, environment: environment).finish()
    }
}
