import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Failures made to happen, then the database re-read to prove nothing changed.
@Suite struct FailureTests {
    @Test func aBadStatementInTheMiddleOfAMultiReleaseUpgradeChangesNothing() async throws {
        try await withExample(at: "0.1.0") { scenario in
            try scenario.write(
                "0.4.0/002_bad.sql",
                """
                -- A valid statement first, so that there is work to roll back.
                UPDATE devices SET name = name || ' (renamed)';

                INSERT INTO rooms_that_do_not_exist (name)
                    VALUES ('x');
                """)
            let before = try DatabaseSnapshot(path: scenario.path)

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }

            #expect(error.code == .migrationFailed)
            #expect(error.category == .failed)
            #expect(error.message.contains("0.4.0/002_bad"))
            #expect(error.location?.file == "0.4.0/002_bad.sql")
            #expect(error.location?.line == 4)
            #expect(error.engineMessage?.contains("no such table: rooms_that_do_not_exist") == true)
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
        }
    }

    @Test func aSyntaxErrorNamesTheFileAndLine() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.write(
                "0.6.0/001_typo.sql",
                """
                CREATE TRIGGER rooms_named AFTER INSERT ON rooms BEGIN
                    UPDATE rooms SET name = trim(new.name) WHERE id = new.id; -- a ';' inside the body
                END;
                /* a comment; with a semicolon */
                SELEC 1;
                """)
            let before = try DatabaseSnapshot(path: scenario.path)
            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }
            #expect(
                error.location == .init(file: "0.6.0/001_typo.sql", line: 5, statement: "SELEC 1;"))
            #expect(error.engineMessage?.contains("syntax error") == true)
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
        }
    }

    @Test func anEditedAppliedMigrationIsRefusedUnlessAccepted() async throws {
        try await withExample(at: "0.2.0") { scenario in
            let file = "0.1.0/001_create_devices.sql"
            let original = try String(
                contentsOf: scenario.migrations.appendingPathComponent(file), encoding: .utf8)
            try scenario.write(file, original + "\n-- edited after release\n")
            let before = try DatabaseSnapshot(path: scenario.path)

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }
            #expect(error.code == .migrationChanged)
            #expect(error.category == .refused)
            #expect(error.message.contains("0.1.0/001_create_devices"))
            #expect(error.advice?.contains("UpgradeOptions.allowChanged") == true)
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
            await #expect(throws: FerryError.self) { try await scenario.ferry.validate() }

            try await scenario.ferry.upgrade(UpgradeOptions(allowChanged: true))
            let row = try #require(
                try await scenario.ferry.history().first { $0.id == "0.1.0/001_create_devices" })
            #expect(row.note?.contains("accepted with --allow-changed") == true)
            #expect(row.checksum == Checksum.sha256(original + "\n-- edited after release\n"))
            try await scenario.ferry.validate()
        }
    }

    @Test func aMissingAppliedMigrationIsRefused() async throws {
        try await withExample(at: "0.2.0") { scenario in
            try FileManager.default.removeItem(
                at: scenario.migrations.appendingPathComponent(
                    "0.2.0/004_create_last_seen_trigger.sql"))
            try FileManager.default.removeItem(
                at: scenario.migrations.appendingPathComponent(
                    "0.2.0/004_create_last_seen_trigger.down.sql"))
            let before = try DatabaseSnapshot(path: scenario.path)
            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }
            #expect(error.code == .migrationMissing)
            #expect(error.message.contains("0.2.0/004_create_last_seen_trigger"))
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
        }
    }

    @Test func aDatabaseFromANewerReleaseIsRefused() async throws {
        try await withExample(at: "0.5.0") { scenario in
            let before = try DatabaseSnapshot(path: scenario.path)
            var configuration = ExampleApplication.configuration(
                database: scenario.path, migrations: scenario.migrations)
            configuration.release = try Release(parsing: "0.3.0")

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(error.code == .databaseIsNewer)
            #expect(error.category == .refused)
            #expect(error.message.contains("0.5.0") && error.message.contains("0.3.0"))
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
            let status = try await Ferry(configuration).status()
            #expect(!status.upToDate)
            #expect(status.problem?.contains("newer") == true)
        }
    }

    @Test func aForeignKeyViolationRollsBack() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.write(
                "0.6.0/001_orphans.sql",
                """
                INSERT INTO sensor_history (sensor_id, taken_at, value) VALUES (9999, '2025-01-01T00:00:00Z', 1.5);
                """)
            let before = try DatabaseSnapshot(path: scenario.path)

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }

            // Verification names both checks that see the orphan: the engine's and 0.4.0's verify script.
            #expect(error.code == .verificationFailed)
            #expect(error.category == .failed)
            #expect(
                error.message.contains(
                    "0.4.0/001_rebuild_sensors_with_unit_check.verify.sql: row 2 is false"))
            #expect(error.message.contains("foreign keys: table sensor_history"))
            #expect(error.message.contains("no matching row in sensors"))
            #expect(try DatabaseSnapshot(path: scenario.path) == before)
        }
    }

    @Test func aFailedFirstInstallLeavesNoFile() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/1.0.0/001_bad.sql", "CREATE TABLE t (x);\nINSERT INTO nowhere VALUES (1);")
        let path = folder.url.appendingPathComponent("app.db").path
        let configuration = Ferry.Configuration(
            engine: SQLiteEngine(path: path),
            migrationsDirectory: folder.url.appendingPathComponent("migrations"))
        await #expect(throws: FerryError.self) { try await Ferry(configuration).upgrade() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
