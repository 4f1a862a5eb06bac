import Ferry
import FerryTestSupport
import Foundation
import Testing

@Suite struct SettingsTests {
    @Test func flagsBeatTheEnvironmentWhichBeatsTheFile() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "conf/ferry.toml",
            """
            [app]
            name = "sensorhub"
            release = "0.7.0"
            minimum_upgradable_from = "0.3.0"

            [database]
            url = "data/sensorhub.db"
            migrations = "migrations"
            lock_timeout = 5

            [backups]
            directory = "data/backups"
            keep = 4
            check = "quick"
            """)
        let fromFile = try Settings.file(at: file)
        let base = folder.url.appendingPathComponent("conf").standardizedFileURL.path
        #expect(fromFile.database == base + "/data/sensorhub.db")
        #expect(fromFile.migrations == base + "/migrations")
        #expect(fromFile.backups == base + "/data/backups")
        #expect(fromFile.keepBackups == 4)
        #expect(fromFile.backupCheck == .quick)
        #expect(fromFile.lockTimeout == 5)

        let environment = try Settings.environment([
            "FERRY_DATABASE": "env.db", "FERRY_BACKUPS_KEEP": "7", "FERRY_JSON": "1",
        ])
        let flags = Settings { $0.database = "flag.db" }
        let merged = fromFile.overridden(by: environment).overridden(by: flags)
        #expect(merged.database == "flag.db")
        #expect(merged.keepBackups == 7)
        #expect(merged.json == true)
        #expect(merged.appName == "sensorhub")
        #expect(fromFile.overridden(by: environment).database == "env.db")

        let configuration = try merged.configuration { location, _ in
            #expect(location == "flag.db")
            return NoEngine()
        }
        #expect(configuration.release == Release(0, 7, 0))
        #expect(configuration.minimumUpgradableFrom == Release(0, 3, 0))
        #expect(configuration.lockTimeout == .seconds(5))
        #expect(configuration.backupsToKeep == 7)
        #expect(configuration.backupCheck == .quick)
        let full = try Settings.environment(["FERRY_BACKUPS_CHECK": "full"])
        #expect(
            try merged.overridden(by: full).configuration { _, _ in NoEngine() }.backupCheck
                == .full)
    }

    @Test func refusesAnUnknownBackupCheckLevel() throws {
        let error = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_DATABASE": "app.db", "FERRY_BACKUPS_CHECK": "fast"])
        }
        #expect(error.message.contains("'fast' is not a backup check level"))
        #expect(error.advice?.contains("quick") == true)
        #expect(error.category == .usage)
    }

    @Test(arguments: [
        ("[databse]\nurl = \"x\"", "unknown table [databse]"),
        ("[database]\nulr = \"x\"", "unknown key 'ulr'"),
        ("[backups]\nkeep = \"ten\"", "keep must be a whole number"),
        ("[app\nname = 1", "is not valid TOML"),
        // Found by the fuzzer: toml++ aborted on a header with no name instead of reporting it.
        ("[\n", "at line 1, the table header has no name"),
        ("[app]\nname = \"a\"\n\n[[ \t\n", "at line 4, the table header has no name"),
        ("[ # note\n[app]", "at line 1, the table header has no name"),
        ("[\u{e9}]\n", "at line 1, the table header has no name"),
        // Found by the fuzzer: toml++ aborted on a '}' where an array expects a value.
        ("a = [}", "at line 1, an array holds a '}'"),
        ("[app]\nname = [1, }", "at line 2, an array holds a '}'"),
        ("x = [\n  # a note\n\n}]", "at line 4, an array holds a '}'"),
        ("x = { a = [ [ } ] ] }", "at line 1, an array holds a '}'"),
        ("x = [{}, }]", "at line 1, an array holds a '}'"),
    ])
    func refusesBadFilesClearly(text: String, expected: String) throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("ferry.toml", text)
        let error = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(error.message.contains(expected))
        #expect(error.category == .usage)
    }

    @Test func readsArraysAndStringsThatLookLikeTableHeaders() throws {
        let text = #"""
            [app]
            name = "a ['quoted'] name" # [ not a header
            notes = """
            [
            """
            nested = [
            [
            1, 2],
            ]
            [database]
            url = "app.db"
            """#
        #expect(TOMLAssertionGuard.firstTrap(in: text) == nil)
        #expect(TOMLAssertionGuard.firstTrap(in: "a = '''\n[\n'''\n[\n")?.line == 4)
        // A '}' that closes an inline table in an array, or sits in a string or a comment, is no trap.
        #expect(
            TOMLAssertionGuard.firstTrap(
                in: "a = [{ b = 1 }, { c = [2] }]\nd = [\"}\", '}', # }\n]\ne = { f = [] }\n")
                == nil)
    }

    @Test func readsDatabaseLocations() throws {
        let srv = URL(fileURLWithPath: "/srv")
        #expect(DatabaseLocation.scheme(of: "SQLite:data/app.db") == "sqlite")
        #expect(DatabaseLocation.scheme(of: "C:app.db") == nil)
        #expect(DatabaseLocation.resolving("app.db", against: srv) == "/srv/app.db")
        #expect(
            DatabaseLocation.resolving("sqlite:data/app.db", against: srv)
                == "sqlite:/srv/data/app.db")
        #expect(DatabaseLocation.resolving("/abs/app.db", against: srv) == "/abs/app.db")
        #expect(
            DatabaseLocation.resolving("postgres://db.local/app", against: srv)
                == "postgres://db.local/app")
        #expect(
            !DatabaseLocation.redactingPassword(in: "postgres://ferry:s3cret@db.local:5432/app")
                .contains("s3cret"))
        #expect(throws: FerryError.self) { try DatabaseEngines([]).kind(for: "mysql://db/app") }
        #expect(throws: FerryError.self) { try Settings().databaseLocation() }
    }
}

/// An engine for tests that only build a configuration.
struct NoEngine: DatabaseEngine {
    var engineName: String { "none" }
    var displayName: String { "none" }
    func readState() async throws -> DatabaseState { .missing }
    func lockHolder() async throws -> LockHolder? { nil }
    func withUpgradeLock<Result: Sendable>(
        holder: LockHolder, timeout: Duration, onWait: @Sendable (LockHolder?) -> Void,
        _ body: () async throws -> Result
    ) async throws -> Result { try await body() }
    func withSession<Result: Sendable>(_ body: (any MigrationSession) async throws -> Result)
        async throws -> Result
    {
        throw FerryError(.databaseUnavailable, "No database in this test.")
    }
}
