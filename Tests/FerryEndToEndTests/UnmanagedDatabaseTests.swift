import FerryTestSupport
import Foundation
import Testing

/// A database that Ferry did not make (tables, no Ferry history) is never
/// taken for a fresh install: every command says so, and an upgrade is
/// refused before any backup, with the database untouched.
enum UnmanagedDatabaseScenario {
    /// The application's tables, made by hand with the engine's own shell.
    static let handMadeSchema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);
        INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace');
        INSERT INTO posts (id, user_id, body) VALUES (1, 1, 'hello');
        """

    static func run(on database: TestDatabase) async throws {
        switch database.kind {
        case .sqlite:
            let script = try database.folder.write("schema.sql", handMadeSchema)
            let shell = try sqlite3Shell(database.location, input: script)
            #expect(shell.status == 0, "\(shell.stderr)")
        case .postgres:
            try await database.load(handMadeSchema)
        }
        let before = try await database.snapshot()
        let arguments =
            [
                "--database", database.location, "--migrations",
                ExampleApplication.migrations(for: database.kind).path,
            ]
            + database.backupArguments

        let status = try await FerryProcess.run(["status"] + arguments)
        #expect(status.stdout.contains("no Ferry history"), "\(status)")
        #expect(status.stdout.contains("posts") && status.stdout.contains("users"), "\(status)")
        #expect(!status.stdout.contains("Run 'ferry upgrade'"), "\(status)")

        let plan = try await FerryProcess.run(["plan"] + arguments)
        #expect(plan.status == 3, "\(plan)")
        #expect(!plan.stdout.contains("fresh install"), "\(plan)")

        let check = try await FerryProcess.run(["check"] + arguments)
        #expect(check.status == 3, "\(check)")
        #expect(check.stdout.contains("no Ferry history"), "\(check)")

        let upgrade = try await FerryProcess.run(["upgrade", "--json"] + arguments)
        #expect(upgrade.status == 3, "\(upgrade)")
        let result = try #require(try upgrade.jsonLines().last)
        let error = try #require(result["error"] as? [String: Any])
        #expect(error["code"] as? String == "unmanagedDatabase")
        #expect((error["message"] as? String)?.contains("users") == true)
        #expect(error["changes"] as? String == "Nothing was changed.")

        // Refused before the backup: the catalog is empty, the database as it was.
        let backups =
            (try? FileManager.default.contentsOfDirectory(atPath: database.backupsFolder.path))
            ?? []
        #expect(backups.filter { !$0.hasPrefix(".") }.isEmpty, "\(backups)")
        #expect(try await database.snapshot() == before)
    }
}

@Suite struct UnmanagedDatabaseTests {
    @Test func aHandMadeSQLiteDatabaseIsRefusedBeforeAnyBackup() async throws {
        try await withTestDatabase(.sqlite) { try await UnmanagedDatabaseScenario.run(on: $0) }
    }

    @Test(.enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
    func aHandMadePostgreSQLDatabaseIsRefusedBeforeAnyBackup() async throws {
        _ = try PostgresTestServer.requireURL()
        try await withTestDatabase(.postgres) { try await UnmanagedDatabaseScenario.run(on: $0) }
    }
}
