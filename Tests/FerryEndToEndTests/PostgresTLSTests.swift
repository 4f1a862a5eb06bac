import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sslmode=verify-ca` and `verify-full` against a server of the test's own
/// with TLS on and a certificate signed by a certificate authority the test
/// makes with `openssl`: the real `ferry` connects only when the server
/// proves its identity as libpq would check it, and says so when it does not.
@Suite(
    "ferry on PostgreSQL with TLS",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason),
    .serialized)
struct PostgresTLSTests {
    /// Runs a program to its end; its output when it succeeds.
    @discardableResult
    func run(_ arguments: [String], in folder: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(
            decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError("\(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// Makes a certificate authority, another one, and a server certificate
    /// for the host name `localhost` only, signed by the first.
    func makeCertificates(in folder: URL) throws {
        let subject = ["-days", "2", "-nodes", "-newkey", "rsa:2048"]
        try run(
            [
                "openssl", "req", "-x509", "-keyout", "ca.key", "-out", "ca.crt", "-subj",
                "/CN=Ferry test CA",
            ] + subject, in: folder)
        try run(
            [
                "openssl", "req", "-x509", "-keyout", "other.key", "-out", "other.crt", "-subj",
                "/CN=Another CA",
            ] + subject, in: folder)
        try run(
            [
                "openssl", "req", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=localhost", "-nodes", "-newkey", "rsa:2048",
            ], in: folder)
        try Data("subjectAltName=DNS:localhost\n".utf8).write(
            to: folder.appendingPathComponent("server.ext"))
        try run(
            [
                "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "server.ext",
            ], in: folder)
    }

    @Test func verifyCAAndVerifyFullCheckTheServersCertificateAsLibpqDoes() async throws {
        let server = try await PrivatePostgresServer.start()
        defer { server.remove() }
        let folder = try TemporaryFolder()
        try makeCertificates(in: folder.url)
        // The server reads its key and certificate as its own user, from its own folder.
        let serverFiles = server.folder.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: serverFiles, withIntermediateDirectories: true)
        for name in ["server.crt", "server.key"] {
            try FileManager.default.copyItem(
                at: folder.url.appendingPathComponent(name),
                to: serverFiles.appendingPathComponent(name))
        }
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600],
            ofItemAtPath: serverFiles.appendingPathComponent("server.key").path)
        if getuid() == 0 {
            try run(["chown", "-R", "postgres:postgres", serverFiles.path], in: folder.url)
        }
        try await server.psql("ALTER SYSTEM SET ssl_cert_file = '\(serverFiles.path)/server.crt'")
        try await server.psql("ALTER SYSTEM SET ssl_key_file = '\(serverFiles.path)/server.key'")
        try await server.psql("ALTER SYSTEM SET ssl = on")
        try await server.psql("SELECT pg_reload_conf()")
        for _ in 0..<100 {
            if try await server.psql("SHOW ssl") == "on\n" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await server.psql("SHOW ssl") == "on\n", "\(server.log)")

        let home = folder.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let migrations = ExampleApplication.migrations(for: .postgres).path
        func status(
            host: String = "127.0.0.1", _ parameters: String, environment: [String: String] = [:]
        ) async throws
            -> FerryProcess.Output
        {
            try await FerryProcess.run(
                [
                    "status", "--database",
                    "postgres://ferry@\(host):\(server.port)/postgres?\(parameters)",
                    "--migrations", migrations,
                ], environment: ["HOME": home.path].merging(environment) { $1 })
        }
        let ca = folder.url.appendingPathComponent("ca.crt").path
        let other = folder.url.appendingPathComponent("other.crt").path

        let trusted = try await status("sslmode=verify-ca&sslrootcert=\(ca)")
        #expect(trusted.status == 0, "\(trusted)")
        let fromEnvironment = try await status(
            "sslmode=verify-ca", environment: ["PGSSLROOTCERT": ca])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment)")

        let untrusted = try await status("sslmode=verify-ca&sslrootcert=\(other)")
        #expect(untrusted.status == 2, "\(untrusted)")
        #expect(
            untrusted.stderr.contains("did not prove its identity: sslmode=verify-ca"),
            "\(untrusted)")
        #expect(untrusted.stderr.contains("Nothing was changed"), "\(untrusted)")

        let noRoot = try await status("sslmode=verify-ca")
        #expect(noRoot.status == 2, "\(noRoot)")
        #expect(
            noRoot.stderr.contains("\(home.path)/.postgresql/root.crt does not exist"), "\(noRoot)")
        // libpq's default file, once it is there.
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: ca), to: home.appendingPathComponent(".postgresql/root.crt"))
        let defaultRoot = try await status("sslmode=verify-ca")
        #expect(defaultRoot.status == 0, "\(defaultRoot)")

        // verify-full also checks the host name: the certificate names localhost, not 127.0.0.1.
        let wrongName = try await status("sslmode=verify-full&sslrootcert=\(ca)")
        #expect(wrongName.status == 2, "\(wrongName)")
        #expect(wrongName.stderr.contains("issued to 127.0.0.1"), "\(wrongName)")
        let rightName = try await status(host: "localhost", "sslmode=verify-full&sslrootcert=\(ca)")
        #expect(rightName.status == 0, "\(rightName)")

        let unknown = try await status("sslmode=verify-sometimes")
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("sslmode=verify-sometimes is not a TLS mode"), "\(unknown)")

        // pg_dump and the check's pg_restore verify the same way: a backup over verify-ca works.
        let backups = folder.url.appendingPathComponent("backups").path
        let backup = try await FerryProcess.run(
            [
                "backup", "--database",
                "postgres://ferry@127.0.0.1:\(server.port)/postgres?sslmode=verify-ca&sslrootcert=\(ca)",
                "--backups", backups,
            ], environment: ["HOME": home.path])
        #expect(backup.status == 0, "\(backup)")
    }
}
