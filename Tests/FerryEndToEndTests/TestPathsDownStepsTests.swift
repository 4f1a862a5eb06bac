import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry test-paths` walks every release step up, down and up again: the
/// real binary, on every engine, with the example's migrations broken on
/// purpose in a copy. Every run is also checked to leave the configured
/// database (the example at 0.2.0, with its data) exactly as it was.
struct DownStepScenarios {
    let engine: TestEngine

    /// Runs `test-paths` (human, then `--json`) on a copy of the example's
    /// migrations and fixtures after `breaking` changed the copy, and
    /// proves that the configured database was not touched.
    func run(
        _ breaking: (TemporaryFolder) throws -> Void
    ) async throws -> (human: FerryProcess.Output, json: [String: Any]) {
        try await withTestDatabase(engine) { database in
            let migrations = try ExampleApplication.copyMigrations(
                for: engine, to: database.folder.url)
            try FileManager.default.copyItem(
                at: ExampleApplication.fixture("0.1.0", for: engine).deletingLastPathComponent(),
                to: database.folder.url.appendingPathComponent("fixtures"))
            try await ExampleApplication.makeDatabase(
                at: "0.2.0", in: database, migrations: migrations)
            try breaking(database.folder)
            let before = try await database.snapshot()
            let arguments = [
                "test-paths", "--database", database.location, "--migrations", migrations.path,
            ]

            let human = try await FerryProcess.run(arguments)
            let json = try await FerryProcess.run(arguments + ["--json"])

            #expect(human.status == json.status)
            #expect(
                try await database.snapshot() == before, "the configured database is not touched")
            return (human, try #require(try json.jsonLines().only))
        }
    }

    func theExamplesDownScriptsPass() async throws {
        let (human, json) = try await run { _ in }

        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.contains("Down scripts, per release step (up, down, up again):"))
        #expect(
            human.stdout.contains("0.1.0 ⇄ 0.2.0  fixtures/0.1.0.sql  ok  4 migrations reverted"),
            "\(human)")
        #expect(
            human.stdout.contains("0.3.0 ⇄ 0.4.0  fixtures/0.3.0.sql  ok  1 migration reverted"),
            "\(human)")
        #expect(
            human.stdout.contains(
                "Every down script walked gives back the schema before its release, and the release applies again."
            ))
        #expect(json["ok"] as? Bool == true)
        let steps = try #require(json["downSteps"] as? [[String: Any]])
        #expect(
            steps.map { "\($0["from"] ?? "") \($0["to"] ?? "")" }
                == ["0.1.0 0.2.0", "0.2.0 0.3.0", "0.3.0 0.4.0", "0.4.0 0.5.0"])
        #expect(steps.allSatisfy { $0["status"] as? String == "ok" }, "\(steps)")
        #expect(
            steps[3]["reverted"] as? [String]
                == [
                    "0.5.0/003_sync_room_from_location", "0.5.0/002_add_device_room",
                    "0.5.0/001_create_rooms",
                ])
        #expect((json["paths"] as? [[String: Any]])?.count == 5, "the paths are still reported")
    }

    func aDownScriptWithASyntaxErrorIsNamed() async throws {
        let (human, json) = try await run { folder in
            try folder.write(
                "migrations/0.3.0/002_add_history_quality_and_source.down.sql",
                """
                -- Reverts 002_add_history_quality_and_source.sql.
                ALTER TABLE sensor_history DROP COLUMN source;
                ALTER TABLE sensor_history DROPP COLUMN quality;
                """)
        }

        #expect(human.status == 1, "\(human)")
        #expect(
            human.stdout.contains(
                "0.2.0 ⇄ 0.3.0  fixtures/0.2.0.sql  failed  The down script of 0.3.0/002_add_history_quality_and_source "
                    + "failed: "), "\(human)")
        #expect(
            human.stdout.contains("at 0.3.0/002_add_history_quality_and_source.down.sql, line 3"))
        #expect(human.stdout.contains("statement: ALTER TABLE sensor_history DROPP COLUMN quality"))
        #expect(human.stdout.contains("database said: "))
        #expect(
            human.stdout.contains(
                "Fix 0.3.0/002_add_history_quality_and_source.down.sql, then run test-paths again.")
        )
        #expect(
            human.stdout.contains(
                "'ferry downgrade --to 0.2.0' (or to an older release) stops at this script"))
        #expect(
            human.stdout.contains("0.3.0 ⇄ 0.4.0  fixtures/0.3.0.sql  ok"),
            "the other steps are walked")
        #expect(
            human.stdout.contains(
                "1 release step of 4 do not go down and up again to the same schemas."))

        #expect(json["ok"] as? Bool == false)
        #expect((json["error"] as? [String: Any])?["code"] as? String == "upgradePathsDiffer")
        let steps = try #require(json["downSteps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["ok", "failed", "ok", "ok"])
        let error = try #require(steps[1]["error"] as? [String: Any])
        #expect(error["file"] as? String == "0.3.0/002_add_history_quality_and_source.down.sql")
        #expect(error["line"] as? Int == 3)
        #expect((error["statement"] as? String)?.contains("DROPP") == true)
        #expect((error["engineMessage"] as? String)?.contains("syntax error") == true, "\(error)")
        #expect((error["changes"] as? String)?.contains("Nothing was changed") == true)
    }

    func aDownScriptThatForgetsAnIndexIsADifference() async throws {
        let (human, json) = try await run { folder in
            try folder.write(
                "migrations/0.5.0/004_add_device_notes.sql",
                """
                CREATE TABLE device_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
                CREATE INDEX devices_name ON devices (name);
                """)
            try folder.write(
                "migrations/0.5.0/004_add_device_notes.down.sql",
                """
                DROP TABLE device_notes;
                """)
        }

        #expect(human.status == 1, "\(human)")
        #expect(
            human.stdout.contains(
                "0.4.0 ⇄ 0.5.0  fixtures/0.4.0.sql  differs  the down scripts do not give back 0.4.0's schema: "
                    + "only after the down scripts: index "), "\(human)")
        #expect(human.stdout.contains("devices_name"))
        #expect(human.stdout.contains("0.3.0 ⇄ 0.4.0  fixtures/0.3.0.sql  ok"))
        #expect(
            human.stdout.contains(
                "1 release step of 4 do not go down and up again to the same schemas."))
        #expect(
            human.stdout.contains("Every upgrade path ends at a fresh install's schema."),
            "the paths still agree")

        #expect(json["ok"] as? Bool == false)
        let steps = try #require(json["downSteps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["ok", "ok", "ok", "differs"])
        #expect((steps[3]["detail"] as? String)?.contains("devices_name") == true)
        #expect(steps[3]["error"] is NSNull)
        let error = try #require(json["error"] as? [String: Any])
        #expect(
            (error["message"] as? String)?.contains(
                "0.4.0 ⇄ 0.5.0: the down scripts do not give back") == true)
    }

    func aMigrationWithoutADownScriptIsReportedNotFailed() async throws {
        let (human, json) = try await run { folder in
            try folder.write(
                "migrations/0.5.0/004_add_device_notes.sql",
                """
                CREATE TABLE device_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
                """)
        }

        #expect(human.status == 0, "\(human)")
        #expect(
            human.stdout.contains(
                "0.4.0 ⇄ 0.5.0  fixtures/0.4.0.sql  missingDownScripts  no down script: 0.5.0/004_add_device_notes; "
                    + "a downgrade to 0.4.0 restores the backup taken before upgrading from it"),
            "\(human)")
        #expect(
            human.stdout.contains(
                "1 release step cannot be walked down (1 migration without a down script): a downgrade across it "
                    + "restores the pre-upgrade backup."))
        #expect(
            human.stdout.contains(
                "Every down script walked gives back the schema before its release"))

        #expect(json["ok"] as? Bool == true)
        #expect(json["error"] is NSNull)
        let steps = try #require(json["downSteps"] as? [[String: Any]])
        #expect(steps.map { $0["status"] as? String } == ["ok", "ok", "ok", "missingDownScripts"])
        #expect(steps[3]["withoutDownScript"] as? [String] == ["0.5.0/004_add_device_notes"])
    }
}

@Suite("test-paths down steps on SQLite") struct SQLiteDownStepTests {
    let scenarios = DownStepScenarios(engine: .sqlite)

    @Test func theExamplesDownScriptsPass() async throws {
        try await scenarios.theExamplesDownScriptsPass()
    }

    @Test func aDownScriptWithASyntaxErrorIsNamed() async throws {
        try await scenarios.aDownScriptWithASyntaxErrorIsNamed()
    }

    @Test func aDownScriptThatForgetsAnIndexIsADifference() async throws {
        try await scenarios.aDownScriptThatForgetsAnIndexIsADifference()
    }

    @Test func aMigrationWithoutADownScriptIsReportedNotFailed() async throws {
        try await scenarios.aMigrationWithoutADownScriptIsReportedNotFailed()
    }
}

@Suite(
    "test-paths down steps on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresDownStepTests {
    let scenarios = DownStepScenarios(engine: .postgres)

    @Test func theExamplesDownScriptsPass() async throws {
        try await scenarios.theExamplesDownScriptsPass()
    }

    @Test func aDownScriptWithASyntaxErrorIsNamed() async throws {
        try await scenarios.aDownScriptWithASyntaxErrorIsNamed()
    }

    @Test func aDownScriptThatForgetsAnIndexIsADifference() async throws {
        try await scenarios.aDownScriptThatForgetsAnIndexIsADifference()
    }

    @Test func aMigrationWithoutADownScriptIsReportedNotFailed() async throws {
        try await scenarios.aMigrationWithoutADownScriptIsReportedNotFailed()
    }
}
