import Ferry
import Foundation
import Testing

/// The PostgreSQL server the tests run against, named by the environment
/// variable `FERRY_TEST_POSTGRES_URL` (`scripts/test.sh` starts a throwaway
/// server on 127.0.0.1 and sets it).
///
/// Without the variable the PostgreSQL suites are skipped, and say so; on CI
/// (`CI` set) they are never skipped: they run and fail, saying the variable
/// is missing. The role in the URL must be a superuser: tests create a
/// database each (`ferry_test_<uuid>`, dropped afterwards) and roles.
///
/// The tests talk to the server through the real `psql`, not through
/// Ferry's engine, so that what they check does not depend on what they test.
public enum PostgresTestServer {
    /// The variable that names the server.
    public static let urlVariable = "FERRY_TEST_POSTGRES_URL"

    /// The server's URL, if given.
    public static var url: String? {
        ProcessInfo.processInfo.environment[urlVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether this is a CI run, where no suite may be skipped.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return !value.isEmpty && value != "0" && value != "false"
    }

    /// Whether the PostgreSQL suites run: a server is given, or this is CI
    /// (where a missing server makes them fail rather than skip).
    public static var isEnabled: Bool {
        if url == nil && !isCI {
            announceSkip()
        }
        return url != nil || isCI
    }

    /// Why the PostgreSQL suites are skipped.
    public static let skipReason: Comment =
        "PostgreSQL suite skipped: FERRY_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server and sets it)"

    private static let announcement: Void = {
        print("◇ \(skipReason)")
    }()

    private static func announceSkip() {
        _ = announcement
    }

    /// The server's URL.
    ///
    /// - Throws: when it is not given (only reached on CI, where the suites
    ///   must not be skipped).
    public static func requireURL() throws -> String {
        guard let url else {
            throw TestServerError(
                "CI is set but \(urlVariable) is not: the PostgreSQL suite must run on CI. "
                    + "Run scripts/test.sh, which starts a PostgreSQL server and sets it.")
        }
        return url
    }

    /// The server's URL with another database, user or password.
    public static func url(database: String, user: String? = nil, password: String? = nil) throws
        -> String
    {
        guard var components = URLComponents(string: try requireURL()) else {
            throw TestServerError("\(urlVariable) does not parse as a URL.")
        }
        components.path = "/" + database
        if let user { components.user = user }
        if let password { components.password = password }
        return components.string!
    }

    /// Creates a database of its own for one test.
    ///
    /// - Parameter template: A database to copy (`CREATE DATABASE … TEMPLATE`),
    ///   or none for an empty one.
    public static func createDatabase(template: String? = nil) async throws -> String {
        let name =
            "ferry_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let create = ["-c", "CREATE DATABASE \(name)" + (template.map { " TEMPLATE \($0)" } ?? "")]
        // A template must have no session. On a busy server a session the test has just closed
        // (Ferry's, on the template it made) can take seconds to end, and an autovacuum worker may
        // start on the template (the server ends those itself, waiting up to 5 s): tried again for
        // up to 60 s, and then the sessions still there are named in the error.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while true {
            do {
                try await psql(create, database: "postgres")
                return name
            } catch let error as TestServerError
                where error.description.contains("is being accessed by other users")
            {
                guard let template else { throw error }
                if clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                let sessions =
                    (try? await psql(
                        [
                            "-At", "-c",
                            "SELECT pid, backend_type, application_name, state, backend_start, "
                                + "state_change, left(query, 200) FROM pg_stat_activity "
                                + "WHERE datname = \(SQLLiteral.quoted(template))",
                        ], database: "postgres")) ?? "(not read)"
                throw TestServerError("\(error.description)\nSessions on it: \(sessions)")
            }
        }
    }

    /// Drops a test's database, ending any session still connected to it.
    public static func dropDatabase(_ name: String) async {
        _ = try? await psql(
            ["-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"], database: "postgres")
    }

    /// Whether the server has a database of that name.
    public static func databaseExists(_ name: String) async throws -> Bool {
        try await psql(
            [
                "-At", "-c",
                "SELECT count(*) FROM pg_database WHERE datname = \(SQLLiteral.quoted(name))",
            ],
            database: "postgres") == "1\n"
    }

    /// Runs the real `psql` on a database of the server as the URL's role,
    /// stopping at the first error, and returns what it printed.
    ///
    /// - Parameters:
    ///   - arguments: psql's arguments, such as `["-c", "SELECT 1"]`.
    ///   - database: The database.
    @discardableResult
    public static func psql(_ arguments: [String], database: String, url: String? = nil)
        async throws
        -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", try url ?? self.url(database: database)]
            + arguments
        // Output goes to files and the process is polled: blocking reads would hold threads
        // of Swift's small cooperative pool, which the tests' own connections need.
        let id = UUID().uuidString
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-psql-out-\(id)")
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-psql-err-\(id)")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let complaint = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw TestServerError("psql \(arguments.joined(separator: " ")) failed: \(complaint)")
        }
        return (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }
}

/// A problem with the test server itself.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
