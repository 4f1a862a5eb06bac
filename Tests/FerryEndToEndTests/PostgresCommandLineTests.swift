import FerryTestSupport
import Foundation
import Testing

/// The `ferry` binary on PostgreSQL: every read command and the upgrade with
/// a password-protected role, the password taken from the URL, `PGPASSWORD`
/// or `~/.pgpass`, and never printed, in text, JSON or errors; and a server
/// that cannot be reached.
@Suite(
    "ferry on PostgreSQL", .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason)
)
struct PostgresCommandLineTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// A role with a password that owns a fresh database.
    struct Owner {
        let role: String
        let password: String

        init(of database: TestDatabase) async throws {
            role = "ferry_owner_" + UUID().uuidString.prefix(8).lowercased()
            // Characters that must be percent-encoded in a URL, and a quote for .pgpass.
            password = "s3cr:t@" + UUID().uuidString.prefix(12) + "/x"
            // CREATEDB: each backup is checked by loading it into a scratch database.
            try await database.psql([
                "-c", "CREATE ROLE \(role) LOGIN CREATEDB PASSWORD '\(password)'",
            ])
            try await database.psql([
                "-c", "ALTER DATABASE \(database.postgresDatabase!) OWNER TO \(role)",
            ])
        }

        func url(of database: TestDatabase, password: String?) throws -> String {
            try PostgresTestServer.url(
                database: database.postgresDatabase!, user: role, password: password)
        }

        func drop(_ database: TestDatabase) async {
            await database.remove()
            _ = try? await PostgresTestServer.psql(
                ["-c", "DROP ROLE IF EXISTS \(role)"], database: "postgres")
        }
    }

    func expectNoSecret(
        _ output: FerryProcess.Output, _ secret: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
        #expect(
            !output.stdout.contains(secret) && !output.stderr.contains(secret), "\(output)",
            sourceLocation: sourceLocation)
        #expect(
            !output.stdout.contains(encoded) && !output.stderr.contains(encoded),
            sourceLocation: sourceLocation)
        #expect(
            !output.stdout.contains(String(secret.suffix(14)))
                && !output.stderr.contains(String(secret.suffix(14))),
            sourceLocation: sourceLocation)
    }

    /// Makes a fresh database owned by a role with a password, and drops both afterwards.
    func withOwnedDatabase(_ body: (TestDatabase, Owner) async throws -> Void) async throws {
        let database = try await TestDatabase.make(.postgres)
        let owner = try await Owner(of: database)
        try await withCleanup {
            try await body(database, owner)
        } cleanup: {
            await owner.drop(database)
        }
    }

    @Test func everyCommandWorksWithAPasswordInTheURLAndNeverPrintsIt() async throws {
        try await withOwnedDatabase { database, owner in
            let url = try owner.url(of: database, password: owner.password)
            let migrations = try ExampleApplication.copyMigrations(
                for: .postgres, to: database.folder.url)
            let arguments = ["--database", url, "--migrations", migrations.path]

            for command in ["status", "plan", "validate", "history"] {
                for json in [[], ["--json"]] {
                    let output = try await FerryProcess.run([command] + arguments + json)
                    #expect(output.status == 0, "\(command) \(json): \(output)")
                    expectNoSecret(output, owner.password)
                }
            }
            let status = try await FerryProcess.run(["status", "--json"] + arguments)
            let object = try #require(try status.jsonLines().first)
            #expect(
                object["database"] as? String
                    == "postgres://\(owner.role)@\(try host()):\(try port())/\(database.postgresDatabase!)"
            )
            #expect(object["databaseExists"] as? Bool == true)
            #expect((object["pending"] as? [String])?.count == 14)

            let upgrade = try await FerryProcess.run(["upgrade", "--no-backup"] + arguments)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(upgrade.stdout.contains("Found 14 pending migrations in 5 releases"))
            #expect(upgrade.lines.last == "[END UPGRADE SUCCESS]")
            expectNoSecret(upgrade, owner.password)

            let history = try await FerryProcess.run(["history"] + arguments)
            #expect(history.lines.count == 14)
            let validate = try await FerryProcess.run(["validate"] + arguments)
            #expect(validate.stdout.contains("All 14 applied migrations match their files."))

            // A failing upgrade, in text and JSON: the error names the file and the server's message, not the password.
            try database.folder.write(
                "migrations/0.6.0/001_bad.sql",
                "INSERT INTO devices (name, kind) VALUES (NULL, 'lamp');")
            let failed = try await FerryProcess.run(["upgrade", "--no-backup"] + arguments)
            #expect(failed.status == 1, "\(failed)")
            #expect(failed.stderr.contains("0.6.0/001_bad.sql, line 1"))
            #expect(failed.stderr.contains("23502"))
            #expect(failed.stderr.contains("Nothing was changed"))
            expectNoSecret(failed, owner.password)
            let json = try await FerryProcess.run(["upgrade", "--no-backup", "--json"] + arguments)
            let error = try #require(try json.jsonLines().last?["error"] as? [String: Any])
            #expect(error["engineCode"] as? String == "23502")
            expectNoSecret(json, owner.password)
        }
    }

    @Test func backupsRestoresDowngradesAndRehearsalsNeverPrintThePassword() async throws {
        try await withOwnedDatabase { database, owner in
            let url = try owner.url(of: database, password: owner.password)
            let migrations = try ExampleApplication.copyMigrations(
                for: .postgres, to: database.folder.url)
            let withoutCatalog = ["--database", url, "--migrations", migrations.path]
            let arguments = withoutCatalog + database.backupArguments
            let first = try await FerryProcess.run(["upgrade", "--to", "0.3.0"] + arguments)
            #expect(first.status == 0, "\(first)")
            try await database.load(
                String(
                    contentsOf: ExampleApplication.fixture("0.3.0", for: .postgres), encoding: .utf8
                ))

            let refused = try await FerryProcess.run(["upgrade"] + withoutCatalog)
            #expect(refused.status == 3, "\(refused)")
            #expect(refused.stderr.contains("no backup folder"), "\(refused)")
            expectNoSecret(refused, owner.password)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.3.0")

            var outputs: [FerryProcess.Output] = []
            for command in [
                ["upgrade", "--rehearse"], ["upgrade"], ["backup", "--format", "sql", "--json"],
                ["backup", "--note", "by hand"], ["backups"], ["backups", "--json"],
                ["restore", "--before-upgrade-to", "0.5.0", "--yes"], ["upgrade", "--json"],
                ["downgrade", "--to", "0.4.0", "--yes"],
            ] {
                let output = try await FerryProcess.run(command + arguments)
                #expect(output.status == 0, "\(command): \(output)")
                expectNoSecret(output, owner.password)
                outputs.append(output)
            }
            #expect(outputs[0].stdout.contains("Rehearsal of 0.3.0 → 0.5.0 succeeded"))
            #expect(
                outputs[1].stdout.contains("pre-upgrade backup")
                    || outputs[1].stdout.contains("Backup"))
            #expect(outputs[6].stdout.contains("Restored app-0.3.0-to-0.5.0-"), "\(outputs[6])")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.4.0")
            // A damaged backup is refused, and the message holds no secret either.
            let backups = try FileManager.default.contentsOfDirectory(
                atPath: database.backupsFolder.path)
            let dump = try #require(backups.first { $0.hasSuffix(".dump") })
            let file = database.backupsFolder.appendingPathComponent(dump)
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: file)
            let damaged = try await FerryProcess.run(["restore", dump, "--yes"] + arguments)
            #expect(damaged.status != 0, "\(damaged)")
            #expect(damaged.stderr.contains("does not match its manifest"))
            expectNoSecret(damaged, owner.password)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.4.0")
        }
    }

    @Test func thePasswordComesFromPGPASSWORDOrThePasswordFile() async throws {
        try await withOwnedDatabase { database, owner in
            let url = try owner.url(of: database, password: nil)
            let arguments = [
                "status", "--database", url, "--migrations",
                ExampleApplication.migrations(for: .postgres).path,
            ]

            let none = try await FerryProcess.run(
                arguments, environment: ["HOME": database.folder.url.path])
            #expect(none.status == 2, "\(none)")
            #expect(
                none.stderr.contains(
                    "asks for a password for role \(owner.role), and none was given"))

            let fromEnvironment = try await FerryProcess.run(
                arguments, environment: ["PGPASSWORD": owner.password])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
            expectNoSecret(fromEnvironment, owner.password)

            let wrong = try await FerryProcess.run(
                arguments, environment: ["PGPASSWORD": "not-the-password-123"])
            #expect(wrong.status == 2, "\(wrong)")
            #expect(
                wrong.stderr.contains(
                    "refused the login of role \(owner.role) (with the password from PGPASSWORD)"))
            #expect(wrong.stderr.contains("28P01"))
            expectNoSecret(wrong, "not-the-password-123")

            // ~/.pgpass, with ':' escaped; ignored (as libpq does) while others may read it.
            let escaped = owner.password.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(
                    of: ":", with: "\\:")
            let line = "\(try host()):\(try port()):*:\(owner.role):\(escaped)\n"
            let passwordFile = try database.folder.write(
                ".pgpass", "# host:port:database:user:password\n" + line)
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o644], ofItemAtPath: passwordFile.path)
            let home = ["HOME": database.folder.url.path]
            let readable = try await FerryProcess.run(arguments, environment: home)
            #expect(readable.status == 2, "\(readable)")
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
            let fromFile = try await FerryProcess.run(arguments, environment: home)
            #expect(fromFile.status == 0, "\(fromFile)")
            expectNoSecret(fromFile, owner.password)
        }
    }

    @Test func testPathsRunsEveryUpgradePathOnScratchDatabases() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(for: .postgres, to: folder.url)
        try FileManager.default.copyItem(
            at: ExampleApplication.fixture("0.1.0", for: .postgres).deletingLastPathComponent(),
            to: folder.url.appendingPathComponent("fixtures"))
        let arguments = [
            "test-paths", "--database", try PostgresTestServer.url(database: "postgres"),
            "--migrations",
            migrations.path,
        ]
        // Dead scratch databases only: those of other tests running now (the down steps' suites) are
        // alive, their makers holding the advisory lock that marks them (ScratchDatabases.swift).
        let scratch =
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'ferry\\_scratch\\_%' "
            + "AND pg_try_advisory_lock(hashtextextended(datname::text, \(0x66_6572_7279)))"

        let same = try await FerryProcess.run(arguments)
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout.contains("0.1.0 → 0.5.0  fixtures/0.1.0.sql  ok"))
        #expect(same.stdout.contains("Every upgrade path ends at a fresh install's schema."))

        // A migration whose effect depends on the data: upgraded databases get an index a fresh install lacks.
        try folder.write(
            "migrations/0.5.0/004_index_if_busy.sql",
            """
            DO $$
            BEGIN
              IF EXISTS (SELECT 1 FROM devices) THEN
                EXECUTE 'CREATE INDEX devices_kind ON devices (kind)';
              END IF;
            END
            $$;
            """)
        let differs = try await FerryProcess.run(arguments)
        #expect(differs.status == 1, "\(differs)")
        #expect(
            differs.stdout.contains(
                "only after upgrading from 0.1.0: index CREATE INDEX devices_kind"))
        #expect(
            try await PostgresTestServer.psql(["-At", "-c", scratch], database: "postgres") == "0\n"
        )
    }

    @Test func theExamplesPostgresConfigurationChecksUpgradesAndVerifies() async throws {
        try await withTestDatabase(.postgres) { database in
            try await ExampleApplication.makeDatabase(at: "0.2.0", in: database)
            let config = ExampleApplication.folder.appendingPathComponent("postgres/ferry.toml")
                .path
            let arguments =
                ["--config", config, "--database", database.location] + database.backupArguments

            let check = try await FerryProcess.run(["check"] + arguments)
            #expect(check.status == 0, "\(check)")
            #expect(check.stdout.contains("postgresql"))
            let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(upgrade.stdout.contains("Verification: "))
            let verify = try await FerryProcess.run(["verify"] + arguments)
            #expect(verify.status == 0, "\(verify)")
            #expect(
                verify.stdout.contains("readings -> sensor_history")
                    || verify.stdout.contains("every sensor"))
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test func aServerThatCannotBeReachedIsNamedWithItsError() async throws {
        let closed = try closedPort()
        let secret = "hidden-" + UUID().uuidString
        let url = "postgres://app:\(secret)@127.0.0.1:\(closed)/app"
        for json in [[], ["--json"]] {
            let output = try await FerryProcess.run(
                [
                    "upgrade", "--database", url, "--migrations",
                    ExampleApplication.migrations(for: .postgres).path,
                ] + json)
            #expect(output.status == 1, "\(output)")
            let text = output.stdout + output.stderr
            #expect(text.contains("Cannot reach the PostgreSQL server at 127.0.0.1:\(closed)"))
            #expect(text.contains("refused") || text.contains("Connection refused"))
            #expect(text.contains("[END UPGRADE ERROR]"))
            expectNoSecret(output, secret)
        }
        let badURL = try await FerryProcess.run([
            "status", "--database", "postgres://app:\(secret)@127.0.0.1:99999/app",
        ])
        #expect(badURL.status == 2, "\(badURL)")
        expectNoSecret(badURL, secret)
    }

    func host() throws -> String {
        try #require(URLComponents(string: try PostgresTestServer.requireURL())?.host)
    }

    func port() throws -> Int {
        try #require(URLComponents(string: try PostgresTestServer.requireURL())?.port)
    }

    /// A port on 127.0.0.1 that nothing listens on.
    func closedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(socket, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
