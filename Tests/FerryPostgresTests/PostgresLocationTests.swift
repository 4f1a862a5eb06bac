import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// Reading `postgres://` URLs as psql does: defaults from the environment,
/// the password's sources in order, and never a password in what is shown.
@Suite struct PostgresLocationTests {
    @Test func readsEveryPartOfAURL() throws {
        let location = try PostgresLocation(
            url:
                "postgresql://app%40corp:p%40ss@db.example.com:6543/sensor%20hub?sslmode=require&connect_timeout=3",
            environment: [:])
        #expect(location.user == "app@corp")
        #expect(location.host == "db.example.com")
        #expect(location.port == 6543)
        #expect(location.database == "sensor hub")
        #expect(location.tls == .require)
        #expect(location.connectTimeout == .seconds(3))
        #expect(location.passwordSource == "the URL")
        #expect(location.description == "postgres://app@corp@db.example.com:6543/sensor hub")
        #expect(!location.description.contains("p@ss"))
    }

    @Test func fillsWhatTheURLLeavesOutFromTheEnvironment() throws {
        let environment = [
            "PGHOST": "10.0.0.5", "PGPORT": "5433", "PGUSER": "ops", "PGDATABASE": "inventory",
        ]
        let location = try PostgresLocation(url: "postgres://", environment: environment)
        #expect(location.server == "10.0.0.5:5433")
        #expect(location.user == "ops")
        #expect(location.database == "inventory")
        #expect(location.tls == .prefer)
        let defaults = try PostgresLocation(url: "postgres://alice@/", environment: [:])
        #expect(defaults.server == "localhost:5432")
        #expect(defaults.database == "alice", "the database is named like the user by default")
        let socket = try PostgresLocation(
            url: "postgres://alice@/app?host=/var/run/postgresql", environment: [:])
        #expect(socket.isUnixSocket)
        #expect(socket.server == "/var/run/postgresql/.s.PGSQL.5432")
        let bracketed = try PostgresLocation(
            url: "postgres://alice@[::1]:5544/app", environment: [:])
        #expect(bracketed.server == "[::1]:5544")
    }

    @Test func takesThePasswordFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "pgpass",
            """
            # comments and lines that do not match are skipped
            other.example.com:5432:*:alice:wrong
            db.example.com:*:app:alice:from\\:file\\\\
            *:*:*:*:catch-all
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let environment = ["PGPASSFILE": file.path]

        let fromURL = try PostgresLocation(
            url: "postgres://alice:url-secret@db.example.com/app",
            environment: environment.merging(["PGPASSWORD": "env"]) { $1 })
        #expect(fromURL.passwordSource == "the URL")
        let fromEnvironment = try PostgresLocation(
            url: "postgres://alice@db.example.com/app",
            environment: environment.merging(["PGPASSWORD": "env"]) { $1 })
        #expect(fromEnvironment.passwordSource == "PGPASSWORD")
        let fromFile = try PostgresLocation(
            url: "postgres://alice@db.example.com/app", environment: environment)
        #expect(fromFile.passwordSource == file.path)

        // A file that others may read is ignored, as libpq ignores it.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let ignored = try PostgresLocation(
            url: "postgres://alice@db.example.com/app", environment: environment)
        #expect(ignored.passwordSource == nil)
    }

    @Test func refusesWhatItDoesNotUnderstandWithoutShowingThePassword() {
        for url in [
            "postgres://alice:hunter2@db/app?sslmode=sometimes",
            "postgres://alice:hunter2@db/app?tcp_keepalives=1",
            "postgres://alice:hunter2@db:0/app",
        ] {
            let error = #expect(throws: FerryError.self) {
                try PostgresLocation(url: url, environment: [:])
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.category == .usage)
            #expect(error.map { !$0.description.contains("hunter2") } == true, "\(url)")
        }
    }

    @Test func redactsPasswordsInURLsAndParameters() {
        #expect(
            DatabaseLocation.redactingPassword(in: "postgres://alice:hunter2@db/app")
                == "postgres://alice:***@db/app")
        #expect(
            DatabaseLocation.redactingPassword(
                in: "postgres://alice@db/app?password=hunter2&sslmode=require")
                == "postgres://alice@db/app?password=***&sslmode=require")
        #expect(
            !DatabaseLocation.redactingPassword(in: "postgres://alice:hun ter2@db/app").contains(
                "hun ter2"))
        #expect(DatabaseLocation.redactingPassword(in: "data/app.db") == "data/app.db")
    }
}
