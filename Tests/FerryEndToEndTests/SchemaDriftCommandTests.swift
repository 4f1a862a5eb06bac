import FerryTestSupport
import Foundation
import Testing

/// Schema drift, run as operators meet it: the schema changed by hand with
/// the engine's own shell (`sqlite3`, `psql`), then `ferry verify`, `ferry
/// check` and `ferry upgrade` run on it. Each difference is a warning naming
/// the object; none stops anything, and nothing is changed.
struct SchemaDriftScenarios {
    let engine: TestEngine

    /// Runs SQL on the database with the engine's real shell, as an operator would.
    func changeByHand(_ database: TestDatabase, _ sql: String) async throws {
        switch engine {
        case .sqlite:
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sqlite3", "-bail", database.location, sql]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "sqlite3 failed on \(sql)")
        case .postgres:
            try await database.psql(["-v", "ON_ERROR_STOP=1", "-c", sql])
        }
    }

    /// A database of the example at a release, and the arguments that point `ferry` at it.
    func withExample(
        at release: String, migrations: ((TestDatabase) throws -> URL)? = nil,
        _ body: (TestDatabase, [String]) async throws -> Void
    ) async throws {
        try await withTestDatabase(engine) { database in
            let folder = try migrations?(database) ?? ExampleApplication.migrations(for: engine)
            try await ExampleApplication.makeDatabase(at: release, in: database, migrations: folder)
            try await body(
                database,
                ["--database", database.location, "--migrations", folder.path]
                    + database.backupArguments)
        }
    }

    func untouchedDatabaseHasNoDrift() async throws {
        try await withExample(at: "0.5.0") { database, arguments in
            let verify = try await FerryProcess.run(["verify"] + arguments)
            #expect(verify.status == 0, "\(verify)")
            #expect(verify.stdout.contains("schema drift"), "\(verify)")
            #expect(
                verify.stdout.contains("none: the schema is what the applied migrations make"),
                "\(verify)")
            #expect(verify.stdout.contains("All checks passed. Nothing was changed."))

            let check = try await FerryProcess.run(["check", "--json"] + arguments)
            #expect(check.status == 0, "\(check)")
            let result = try #require(try check.jsonLines().last)
            #expect((result["warnings"] as? [Any])?.isEmpty == true, "\(check)")
            let drift = (result["checks"] as? [[String: Any]])?.first {
                $0["name"] as? String == "schema drift"
            }
            #expect(drift?["status"] as? String == "ok", "\(check)")
        }
    }

    func handChangesAreWarningsNamingTheObject() async throws {
        try await withExample(at: "0.5.0") { database, arguments in
            try await changeByHand(database, "DROP INDEX devices_room_id")
            try await changeByHand(database, "ALTER TABLE devices ADD COLUMN notes TEXT")
            try await changeByHand(database, "DROP VIEW latest_readings")
            try await changeByHand(database, "CREATE VIEW latest_readings AS SELECT 1 AS x")
            let before = try await database.snapshot()

            let verify = try await FerryProcess.run(["verify"] + arguments)
            #expect(verify.status == 0, "drift is a warning, not a failure: \(verify)")
            #expect(
                verify.stdout.contains(
                    "warning: index devices_room_id on devices is missing (the migrations create it)"
                ), "\(verify)")
            #expect(
                verify.stdout.contains(
                    "warning: column devices.notes is not made by any migration (added by hand?)"),
                "\(verify)")
            #expect(
                verify.stdout.contains(
                    "warning: view latest_readings differs from what the migrations make: here '"),
                "\(verify)")
            #expect(
                verify.stdout.contains(
                    "All checks passed, with 3 schema drift warnings. Nothing was changed."))

            let json = try await FerryProcess.run(["verify", "--json"] + arguments)
            #expect(json.status == 0, "\(json)")
            let result = try #require(try json.jsonLines().last)
            #expect(result["ok"] as? Bool == true)
            let warnings = try #require(result["warnings"] as? [[String: Any]])
            let shapes = Set(
                warnings.map {
                    [$0["kind"], $0["object"], $0["table"], $0["change"]].map {
                        ($0 as? String) ?? "-"
                    }.joined(separator: " ")
                })
            #expect(
                shapes == [
                    "index devices_room_id devices missing", "column notes devices unexpected",
                    "view latest_readings - differs",
                ], "\(warnings)")
            #expect(warnings.allSatisfy { ($0["detail"] as? String)?.isEmpty == false })

            let check = try await FerryProcess.run(["check"] + arguments)
            #expect(check.status == 0, "drift never stops an upgrade: \(check)")
            #expect(check.stdout.contains("notice  schema drift"), "\(check)")
            #expect(
                check.stdout.contains(
                    "warning: index devices_room_id on devices is missing (the migrations create it)"
                ), "\(check)")
            #expect(
                check.stdout.contains("(and 3 schema drift warnings, which never stop an upgrade)"),
                "\(check)")

            // Turned off, the check says so instead of "none".
            let off = try await FerryProcess.run(
                ["verify"] + arguments, environment: ["FERRY_SCHEMA_DRIFT": "0"])
            #expect(off.status == 0, "\(off)")
            #expect(off.stdout.contains("not checked: turned off"), "\(off)")
            #expect(!off.stdout.contains("warning: "), "\(off)")
            let flag = try await FerryProcess.run(["check", "--no-schema-drift"] + arguments)
            #expect(
                flag.stdout.contains("not checked: turned off")
                    || !flag.stdout.contains("schema drift  "), "\(flag)")
            #expect(!flag.stdout.contains("warning: index"), "\(flag)")

            // Only read: the hand-changed database is as it was.
            #expect(try await database.snapshot() == before)
        }
    }

    /// A table made by hand whose name holds a double quote: its columns are
    /// read through the quoted name, so it is named in a warning, and the
    /// check is not skipped.
    func aHandMadeTableWithAQuoteInItsNameIsNamed() async throws {
        try await withExample(at: "0.5.0") { database, arguments in
            try await changeByHand(database, #"CREATE TABLE "notes ""v2""" (body TEXT)"#)
            let before = try await database.snapshot()

            let verify = try await FerryProcess.run(["verify"] + arguments)

            #expect(verify.status == 0, "\(verify)")
            #expect(
                verify.stdout.contains(
                    #"warning: table notes "v2" is not made by any migration (added by hand?)"#),
                "\(verify)")
            #expect(!verify.stdout.contains("not checked"), "\(verify)")
            #expect(try await database.snapshot() == before)
        }
    }

    func upgradeSucceedsWithDriftAndSaysSo() async throws {
        try await withExample(at: "0.3.0") { database, arguments in
            try await changeByHand(database, "DROP INDEX sensors_device_id")
            let history = try await database.scalar("SELECT count(*) FROM sensor_history")
            let devices = try await database.scalar("SELECT count(*) FROM devices")

            let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(upgrade.stdout.contains("1 schema drift warning"), "\(upgrade)")
            #expect(
                upgrade.stderr.contains(
                    "warning: schema drift: index sensors_device_id on sensors is missing (the migrations create it)"
                ),
                "\(upgrade)")
            #expect(upgrade.lines.last == "[END UPGRADE SUCCESS]")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "0.5.0")
            #expect(try await database.scalar("SELECT count(*) FROM sensor_history") == history)
            #expect(try await database.scalar("SELECT count(*) FROM devices") == devices)
        }
    }

    func unknownAppliedMigrationSkipsTheCheckWithANote() async throws {
        let migrations: (TestDatabase) throws -> URL = { database in
            try ExampleApplication.copyMigrations(for: engine, to: database.folder.url)
        }
        try await withExample(at: "0.5.0", migrations: migrations) { database, arguments in
            let folder = database.folder.url.appendingPathComponent("migrations/0.5.0")
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path)
            where file.hasPrefix("003_sync_room_from_location") {
                try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
            }
            let verify = try await FerryProcess.run(["verify"] + arguments)
            #expect(
                verify.stdout.contains(
                    "not checked: 1 applied migration is not among the program's (0.5.0/003_sync_room_from_location), "
                        + "so the schema the history made cannot be rebuilt"), "\(verify)")
            #expect(!verify.stdout.contains("warning: "), "\(verify)")
        }
    }
}

@Suite("Schema drift on SQLite") struct SQLiteSchemaDriftTests {
    let scenarios = SchemaDriftScenarios(engine: .sqlite)

    /// No room for the scratch database (TMPDIR is a file): the check is skipped with the reason, and verify passes.
    @Test func aScratchDatabaseThatCannotBeMadeSkipsTheCheckAndSaysWhy() async throws {
        try await scenarios.withExample(at: "0.5.0") { database, arguments in
            let notAFolder = try database.folder.write("not-a-folder", "")
            let before = try await database.snapshot()
            let verify = try await FerryProcess.run(
                ["verify"] + arguments, environment: ["TMPDIR": notAFolder.path])
            #expect(verify.status == 0, "\(verify)")
            #expect(
                verify.stdout.contains(
                    "not checked: the schema of the applied migrations could not be built on a scratch database: "
                ),
                "\(verify)")
            #expect(verify.stdout.contains("All checks passed. Nothing was changed."), "\(verify)")
            #expect(try await database.snapshot() == before)
        }
    }

    @Test func untouchedDatabaseHasNoDrift() async throws {
        try await scenarios.untouchedDatabaseHasNoDrift()
    }
    @Test func handChangesAreWarningsNamingTheObject() async throws {
        try await scenarios.handChangesAreWarningsNamingTheObject()
    }
    @Test func upgradeSucceedsWithDriftAndSaysSo() async throws {
        try await scenarios.upgradeSucceedsWithDriftAndSaysSo()
    }
    @Test func aHandMadeTableWithAQuoteInItsNameIsNamed() async throws {
        try await scenarios.aHandMadeTableWithAQuoteInItsNameIsNamed()
    }
    @Test func unknownAppliedMigrationSkipsTheCheckWithANote() async throws {
        try await scenarios.unknownAppliedMigrationSkipsTheCheckWithANote()
    }
}

@Suite(
    "Schema drift on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresSchemaDriftTests {
    let scenarios = SchemaDriftScenarios(engine: .postgres)

    @Test func untouchedDatabaseHasNoDrift() async throws {
        try await scenarios.untouchedDatabaseHasNoDrift()
    }
    @Test func handChangesAreWarningsNamingTheObject() async throws {
        try await scenarios.handChangesAreWarningsNamingTheObject()
    }
    @Test func upgradeSucceedsWithDriftAndSaysSo() async throws {
        try await scenarios.upgradeSucceedsWithDriftAndSaysSo()
    }
    @Test func aHandMadeTableWithAQuoteInItsNameIsNamed() async throws {
        try await scenarios.aHandMadeTableWithAQuoteInItsNameIsNamed()
    }
    @Test func unknownAppliedMigrationSkipsTheCheckWithANote() async throws {
        try await scenarios.unknownAppliedMigrationSkipsTheCheckWithANote()
    }

    /// An application session that holds a table locked (a long `LOCK TABLE`)
    /// must not stall the check: drift gives up after a few seconds and says
    /// why, long before the lock goes.
    @Test func aTableLockedByTheApplicationSkipsTheCheckInsteadOfWaiting() async throws {
        try await scenarios.withExample(at: "0.5.0") { database, arguments in
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [
                "psql", "-X", "-q",
                try PostgresTestServer.url(database: database.postgresDatabase!), "-c",
                "BEGIN; LOCK TABLE devices IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;",
            ]
            client.standardOutput = FileHandle.nullDevice
            client.standardError = FileHandle.nullDevice
            try client.run()
            defer { if client.isRunning { client.terminate() } }
            let held = """
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'BEGIN; LOCK TABLE devices%' AND wait_event = 'PgSleep'
                """
            var isHeld = false
            for _ in 0..<500 where !isHeld {
                isHeld = try await database.scalar(held) == "1"
                if !isHeld { try await Task.sleep(for: .milliseconds(20)) }
            }
            try #require(isHeld, "the client never took its lock")

            let check = try await FerryProcess.run(["check", "--json"] + arguments)
            #expect(client.isRunning, "the check finished while the lock was still held")
            #expect(check.status == 0, "\(check)")
            let result = try #require(try check.jsonLines().last)
            let drift = (result["checks"] as? [[String: Any]])?.first {
                $0["name"] as? String == "schema drift"
            }
            #expect(drift?["status"] as? String == "ok", "\(check)")
            #expect((drift?["detail"] as? String)?.contains("lock timeout") == true, "\(check)")
        }
    }
}
