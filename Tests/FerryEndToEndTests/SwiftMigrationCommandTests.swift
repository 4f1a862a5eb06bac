import Ferry
import FerryTestSupport
import Foundation
import Testing

/// An application that registers a migration in Swift upgrades its own
/// database; the real `ferry` binary, which cannot see that code, then
/// reports the migration as applied by the application rather than refusing
/// it as unknown. The application itself, once it removed the migration from
/// its code, still refuses it.
struct SwiftMigrationScenarios {
    let engine: TestEngine

    func theToolReportsSwiftMigrationsAsTheApplications() async throws {
        try await withTestDatabase(engine) { database in
            let migrations = database.folder.url.appendingPathComponent("migrations")
            try write(
                "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\n",
                to: migrations.appendingPathComponent("1.0.0/001_create_notes.sql"))

            // The application: the folder plus a migration registered in Swift.
            func application(registering: Bool) throws -> Ferry.Configuration {
                var configuration = Ferry.Configuration(
                    appName: "notes", engine: database.engine, migrationsDirectory: migrations)
                configuration.backupsDirectory = database.backupsFolder
                if registering {
                    try configuration.migrations.register(release: "1.0.0", name: "002_fill_notes")
                    { db in
                        try await db.execute(
                            "INSERT INTO notes (id, body) VALUES (1, 'written by Swift')")
                    }
                }
                return configuration
            }
            try await Ferry(try application(registering: true)).upgrade()
            #expect(
                try await database.scalar(
                    "SELECT kind FROM ferry_migrations WHERE id = '1.0.0/002_fill_notes'")
                    == "swift")

            let common =
                ["--database", database.location, "--migrations", migrations.path]
                + database.backupArguments
            let status = try await FerryProcess.run(["status", "--json"] + common)
            #expect(status.status == 0, "\(status)")
            let statusResult = try #require(
                try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any],
                "\(status)")
            #expect(statusResult["problem"] is NSNull, "\(status)")
            #expect(statusResult["upToDate"] as? Bool == true, "\(status)")
            #expect(
                statusResult["appliedByApplication"] as? [String] == ["1.0.0/002_fill_notes"],
                "\(status)")
            let humanStatus = try await FerryProcess.run(["status"] + common)
            #expect(humanStatus.status == 0, "\(humanStatus)")
            #expect(
                humanStatus.stdout.contains(
                    "1.0.0/002_fill_notes: applied by the application (registered in Swift)"),
                "\(humanStatus)")
            #expect(humanStatus.stdout.contains("Up to date."), "\(humanStatus)")

            let validate = try await FerryProcess.run(["validate", "--json"] + common)
            #expect(validate.status == 0, "\(validate)")
            let validateResult = try #require(
                try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8))
                    as? [String: Any], "\(validate)")
            #expect(validateResult["checked"] as? Int == 1, "\(validate)")
            #expect(
                validateResult["appliedByApplication"] as? [String] == ["1.0.0/002_fill_notes"],
                "\(validate)")
            let humanValidate = try await FerryProcess.run(["validate"] + common)
            #expect(humanValidate.status == 0, "\(humanValidate)")
            #expect(
                humanValidate.stdout.contains("applied by the application (registered in Swift)"),
                "\(humanValidate)")
            #expect(
                humanValidate.stdout.contains("All 1 applied migration match their files."),
                "\(humanValidate)")

            // A new release in the folder: the tool upgrades past the application's migration.
            try write(
                "ALTER TABLE notes ADD COLUMN tag text;\n",
                to: migrations.appendingPathComponent("1.1.0/001_tag_notes.sql"))
            let plan = try await FerryProcess.run(["plan"] + common)
            #expect(plan.status == 0, "\(plan)")
            #expect(
                plan.stdout.contains("1.0.0/002_fill_notes applied by the application"), "\(plan)")
            let upgrade = try await FerryProcess.run(["upgrade"] + common)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(
                upgrade.stdout.contains("applied by the application (registered in Swift)"),
                "\(upgrade)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.1.0")
            #expect(
                try await database.scalar("SELECT body FROM notes WHERE id = 1")
                    == "written by Swift")

            let history = try await FerryProcess.run(["history"] + common)
            #expect(history.status == 0, "\(history)")
            let swiftLine = history.lines.first { $0.hasPrefix("1.0.0/002_fill_notes") }
            #expect(
                swiftLine?.contains("applied by the application (registered in Swift)") == true,
                "\(history)")

            // The application still upgrades at start-up with nothing to do.
            let again = try await Ferry(try application(registering: true)).upgrade()
            #expect(again.wasUpToDate)

            // The application no longer registers the migration: it sees its whole code, so the row is unknown.
            let removed = Ferry(try application(registering: false))
            await #expect { try await removed.upgrade() } throws: { error in
                (error as? FerryError)?.code == .migrationMissing
                    && (error as? FerryError)?.message.contains("1.0.0/002_fill_notes") == true
            }
            await #expect { try await removed.validate() } throws: { error in
                (error as? FerryError)?.code == .migrationMissing
            }
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.1.0")
            #expect(try await database.scalar("SELECT count(*) FROM ferry_migrations") == "3")
            #expect(
                try await database.scalar("SELECT body FROM notes WHERE id = 1")
                    == "written by Swift")
        }
    }

    private func write(_ text: String, to file: URL) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }
}

@Suite("Swift migrations with the tool on SQLite") struct SQLiteSwiftMigrationCommandTests {
    @Test func theToolReportsSwiftMigrationsAsTheApplications() async throws {
        try await SwiftMigrationScenarios(engine: .sqlite)
            .theToolReportsSwiftMigrationsAsTheApplications()
    }
}

@Suite(
    "Swift migrations with the tool on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresSwiftMigrationCommandTests {
    @Test func theToolReportsSwiftMigrationsAsTheApplications() async throws {
        _ = try PostgresTestServer.requireURL()
        try await SwiftMigrationScenarios(engine: .postgres)
            .theToolReportsSwiftMigrationsAsTheApplications()
    }
}
