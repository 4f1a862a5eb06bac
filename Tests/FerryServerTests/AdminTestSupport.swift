import Ferry
import FerryPostgres
import FerrySQLite
import FerryServer
import FerryTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting

/// The token the tests' servers take.
let testToken = "test-token-0123456789abcdef"

/// The admin routes of `ferry` on a router of their own, as an application
/// mounts them, for Hummingbird's test client.
///
/// Health answers are read anew for every request (`healthMaximumAge: .zero`),
/// so that a test sees each change at once.
func adminApplication(_ ferry: Ferry) throws -> (app: some ApplicationProtocol, admin: FerryAdmin) {
    // A reading of the database on a machine busy with the whole suite may take seconds: these
    // tests read what it says, not how soon (the bound has tests of its own, ServeCommandTests).
    let admin = FerryAdmin(
        ferry: ferry, token: try ServerToken(testToken), healthMaximumAge: .zero,
        healthAnswerWithin: .seconds(60))
    let router = Router()
    router.addRoutes(admin.routes())
    return (Application(router: router), admin)
}

/// `Authorization: Bearer TOKEN`.
func authorized(_ token: String = testToken) -> HTTPFields {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(token)"
    return headers
}

/// The JSON object of a response body.
func object(_ body: ByteBuffer) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
    guard let object = value as? [String: Any] else { throw TestFailure("not an object: \(value)") }
    return object
}

/// The `data:` of each server-sent event of a stream, decoded.
func events(_ body: ByteBuffer) throws -> [[String: Any]] {
    String(buffer: body).components(separatedBy: "\n\n").compactMap { frame in
        let data = frame.split(separator: "\n").filter { $0.hasPrefix("data: ") }
            .map { $0.dropFirst(6) }.joined(separator: "\n")
        guard !data.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]
    }
}

/// A check of the health document: `checks[name][0]`.
func check(_ health: [String: Any], _ name: String) -> [String: Any]? {
    ((health["checks"] as? [String: Any])?[name] as? [[String: Any]])?.first
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The engines the tool links.
let testEngines = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])

/// A loopback port that nothing listens on: bound by the system, then closed.
func closedLoopbackPort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw TestFailure("socket: \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The real `ferry serve` on a free loopback port, stopped by its pid.
final class ServedFerry: @unchecked Sendable {
    let running: FerryProcess.Running
    /// `http://127.0.0.1:PORT/` (`https://` with a certificate).
    let url: String

    /// Starts `ferry serve ARGUMENTS --listen 127.0.0.1:0` and waits until it listens.
    init(_ arguments: [String], in folder: URL? = nil, environment: [String: String]) async throws {
        running = try FerryProcess.start(
            ["serve"] + arguments + ["--listen", "127.0.0.1:0"], in: folder,
            environment: environment)
        guard await running.waitForOutput(containing: "Listening on ") else {
            let output = await running.finish()
            throw TestFailure("ferry serve did not start: \(output)")
        }
        let line = running.stdoutSoFar.split(separator: "\n").first {
            $0.hasPrefix("Listening on ")
        }
        url = String(line?.split(separator: " ")[2] ?? "")
    }

    /// Stops the server with SIGTERM and returns what it printed.
    func stop() async -> FerryProcess.Output {
        running.kill(SIGTERM)
        return await running.finish()
    }
}
