import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// `sslmode` and the root certificates read as libpq reads them: what is
/// checked for each mode, where the certificate authorities come from, and
/// a refusal (never a weaker mode) when a mode that verifies has none.
@Suite struct PostgresTLSModeTests {
    @Test func eachModeChecksWhatLibpqChecks() throws {
        let folder = try TemporaryFolder()
        let root = try folder.write("ca.crt", "not parsed here\n")
        let home = ["HOME": folder.url.path]
        func location(_ parameters: String, _ environment: [String: String] = [:]) throws
            -> PostgresLocation
        {
            try PostgresLocation(
                url: "postgres://alice@db.example.com/app?\(parameters)",
                environment: home.merging(environment) { $1 })
        }
        #expect(try location("sslmode=disable").certificateCheck == .none)
        #expect(try location("sslmode=prefer").certificateCheck == .none)
        #expect(try location("sslmode=require").certificateCheck == .none)
        #expect(try location("sslmode=require&sslrootcert=\(root.path)").certificateCheck == .chain)
        let verifyCA = try location("sslmode=verify-ca&sslrootcert=\(root.path)")
        #expect(verifyCA.tls == .verifyCA)
        #expect(verifyCA.certificateCheck == .chain)
        #expect(verifyCA.rootCertificate == root.path)
        let verifyFull = try location("sslmode=verify-full", ["PGSSLROOTCERT": root.path])
        #expect(verifyFull.certificateCheck == .chainAndHostName)
        #expect(verifyFull.rootCertificate == root.path)
        #expect(
            try location(
                "connect_timeout=3", ["PGSSLMODE": "verify-ca", "PGSSLROOTCERT": "system"]
            ).rootCertificate == "system")

        // libpq's default file, ~/.postgresql/root.crt, once it exists; require then checks the chain too.
        _ = try folder.write(".postgresql/root.crt", "not parsed here\n")
        let byDefault = try location("sslmode=verify-ca")
        #expect(byDefault.rootCertificate == folder.url.path + "/.postgresql/root.crt")
        #expect(try location("sslmode=require").certificateCheck == .chain)
    }

    @Test func aModeThatVerifiesWithoutRootCertificatesIsRefused() throws {
        let folder = try TemporaryFolder()
        for mode in ["verify-ca", "verify-full"] {
            let error = #expect(throws: FerryError.self) {
                try PostgresLocation(
                    url: "postgres://alice:hunter2@db/app?sslmode=\(mode)",
                    environment: ["HOME": folder.url.path])
            }
            #expect(error?.category == .usage)
            #expect(
                error?.message.contains("\(folder.url.path)/.postgresql/root.crt does not exist")
                    == true)
            #expect(error.map { !$0.description.contains("hunter2") } == true)
        }
        let missing = #expect(throws: FerryError.self) {
            try PostgresLocation(
                url: "postgres://alice@db/app?sslmode=verify-ca&sslrootcert=/nowhere/ca.crt",
                environment: [:])
        }
        #expect(missing?.message.contains("/nowhere/ca.crt does not exist") == true)
    }

    @Test func aPasswordFileOpenToOthersIsNamedInAWarning() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("pgpass", "*:*:*:*:secret\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        let open = try PostgresLocation(
            url: "postgres://alice@db/app", environment: ["PGPASSFILE": file.path])
        #expect(open.passwordSource == nil)
        #expect(open.warnings.count == 1)
        #expect(
            open.warnings.first?.contains(
                "\(file.path) is ignored: it has group or world access (mode 640)") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let closed = try PostgresLocation(
            url: "postgres://alice@db/app", environment: ["PGPASSFILE": file.path])
        #expect(closed.passwordSource == file.path)
        #expect(closed.warnings.isEmpty)
    }
}
