import Foundation

/// Debian's `chromium`, headless, driven through the DevTools protocol over
/// `--remote-debugging-pipe` (JSON messages ended by a NUL byte, written to
/// the browser's fd 3 and read from its fd 4): clicks, the DOM and
/// screenshots of a real browser without a WebSocket library.
final class HeadlessChromium {
    /// The browser binary: `CHROMIUM` if set, else the first found on PATH.
    static var binary: String? {
        if let path = ProcessInfo.processInfo.environment["CHROMIUM"], !path.isEmpty { return path }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private var nextID = 0
    private var pending = Data()
    /// The session of the page this browser opened.
    private var session: String = ""

    /// Starts the browser and opens `url` in a page of `width` × `height`.
    init(opening url: String, width: Int = 1000, height: Int = 1400) throws {
        guard let binary = Self.binary else { throw TestFailure("chromium is not installed") }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var commands: [Int32] = [0, 0]
        var events: [Int32] = [0, 0]
        guard pipe(&commands) == 0, pipe(&events) == 0 else { throw TestFailure("pipe: \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
        posix_spawn_file_actions_adddup2(&actions, events[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--remote-debugging-pipe", "--user-data-dir=\(profile.path)",
            "--window-size=\(width),\(height)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, binary, &actions, nil, &argv, environ)
        close(commands[0])
        close(events[1])
        guard spawned == 0 else { throw TestFailure("posix_spawn chromium: \(spawned)") }
        pid = child
        toBrowser = commands[1]
        fromBrowser = events[0]
        let target = try call("Target.createTarget", ["url": url], inPage: false)
        guard let targetID = target["targetId"] as? String else {
            throw TestFailure("no target: \(target)")
        }
        let attached = try call(
            "Target.attachToTarget", ["targetId": targetID, "flatten": true], inPage: false)
        session = attached["sessionId"] as? String ?? ""
        _ = try call("Runtime.enable")
        _ = try call(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600])
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser)
        close(fromBrowser)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends a command and waits for its answer's `result`.
    @discardableResult
    func call(_ method: String, _ parameters: [String: Any] = [:], inPage: Bool = true) throws
        -> [String: Any]
    {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": parameters]
        if inPage { message["sessionId"] = session }
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0)
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(toBrowser, bytes.baseAddress! + offset, bytes.count - offset)
                guard written > 0 else { throw TestFailure("write to chromium: \(errno)") }
                offset += written
            }
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            while let end = pending.firstIndex(of: 0) {
                let line = pending[pending.startIndex..<end]
                pending = Data(pending[(end + 1)...])
                guard let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any],
                    answer["id"] as? Int == nextID
                else { continue }
                if let error = answer["error"] { throw TestFailure("\(method): \(error)") }
                return answer["result"] as? [String: Any] ?? [:]
            }
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 1000) >= 0 else { continue }
            if poller.revents == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = read(fromBrowser, &buffer, buffer.count)
            guard count > 0 else { throw TestFailure("chromium closed its pipe") }
            pending.append(contentsOf: buffer[0..<count])
        }
        throw TestFailure("chromium did not answer \(method) in 60 s")
    }

    /// Evaluates JavaScript in the page and returns its value (awaiting a promise).
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let result = try call(
            "Runtime.evaluate",
            ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] {
            throw TestFailure("\(expression): \(exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until a JavaScript expression is true.
    func waitUntil(_ expression: String, timeout: TimeInterval = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try evaluate("Boolean(\(expression))") as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("not true after \(timeout) s: \(expression)")
    }

    /// Saves a PNG screenshot of the page.
    func screenshot(to file: URL) throws {
        let result = try call(
            "Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let text = result["data"] as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("no screenshot")
        }
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
    }
}
