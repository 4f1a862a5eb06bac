import FerryTestSupport
import Foundation
import Testing

/// `check`, `verify`, `upgrade --force`, `upgrade --rehearse` and `test-paths`, run as users run them.
@Suite struct ChecksCommandLineTests {
    /// A folder with a database of the example at a release, its migrations, and a ferry.toml.
    struct Setup {
        let folder: TemporaryFolder
        let path: String
        let migrations: URL

        init(at release: String) async throws {
            folder = try TemporaryFolder()
            path = folder.url.appendingPathComponent("sensorhub.db").path
            migrations = try ExampleApplication.copyMigrations(to: folder.url)
            try await ExampleApplication.makeDatabase(
                at: release, path: path, migrations: migrations)
        }

        /// Writes ferry.toml: the database, the migrations, and more tables.
        func configure(_ extra: String) throws {
            try folder.write(
                "ferry.toml",
                """
                [app]
                name = "sensorhub"

                [database]
                url = "sensorhub.db"

                [preflight]
                os_release = "os-release"

                \(extra)
                """)
            try folder.write("os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        }

        func run(_ arguments: [String], environment: [String: String] = [:]) async throws
            -> FerryProcess.Output
        {
            try await FerryProcess.run(arguments, in: folder.url, environment: environment)
        }
    }

    @Test func checkPrintsATableAndForceOverridesWarningsOnly() async throws {
        let setup = try await Setup(at: "0.4.0")
        try setup.configure(
            """
            [[requirement]]
            os = "debian >= 11"

            [[component]]
            name = "weather"
            version = "0.9.1"
            compatible = "^0.4"
            """)
        let before = try DatabaseSnapshot(path: setup.path)

        let check = try await setup.run(["check"])
        #expect(check.status == 3, "\(check)")
        #expect(
            check.stdout.contains("ok       requirement os debian >= 11  debian 12 is supported"))
        #expect(check.stdout.contains("warning  component weather 0.9.1"))
        #expect(
            check.stdout.contains(
                "unconfirmed: not known to work with 0.5.0 (it is known to work with ^0.4)"))
        #expect(
            check.stdout.contains(
                "0 blockers, 1 warning: an upgrade would need --force. Nothing was changed."))
        #expect(try await setup.run(["check", "--force"]).status == 0)

        let json = try await setup.run(["check", "--json"])
        let object = try #require(try json.jsonLines().only)
        #expect(object["ok"] as? Bool == false)
        #expect(
            (object["checks"] as? [[String: Any]])?.contains {
                $0["status"] as? String == "warning"
            } == true)
        #expect((object["error"] as? [String: Any])?["code"] as? String == "preflightRefused")

        let refused = try await setup.run(["upgrade"])
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("warning: component weather 0.9.1: unconfirmed"))
        #expect(refused.stderr.contains("run again with --force"))
        #expect(refused.lines.last == "[END UPGRADE ERROR]")
        #expect(try DatabaseSnapshot(path: setup.path) == before)

        // A blocker is not overridden.
        try setup.folder.write("os-release", "ID=debian\nVERSION_ID=\"10\"\n")
        let blocked = try await setup.run(["upgrade", "--force"])
        #expect(blocked.status == 3, "\(blocked)")
        #expect(
            blocked.stderr.contains(
                "blocker: requirement os debian >= 11: debian 10 is too old or too new"))
        #expect(try DatabaseSnapshot(path: setup.path) == before)

        try setup.folder.write("os-release", "ID=debian\nVERSION_ID=\"11\"\n")
        let forced = try await setup.run(["upgrade", "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(forced.stdout.contains("Preflight: 9 checks, 1 warning, 0 blockers"), "\(forced)")
        #expect(try scalar("SELECT release FROM ferry_state", in: setup.path) == "0.5.0")
    }

    @Test(arguments: [
        (
            "[[component]]\nname = \"x\"\ncompatible = \">=0.x.1\"",
            "[[component]] number 1: '>=0.x.1' is not a release range"
        ),
        (
            "[[requirement]]\nos = \"debian >=\"",
            "[[requirement]] number 1: 'debian >=' is not a requirement"
        ),
        (
            "[[verify]]\nquery = \"SELECT 1\"\nreleases = \"^\"",
            "[[verify]] number 1: '^' is not a release range"
        ),
        (
            "[[verify]]\nname = \"nothing\"",
            "[[verify]] number 1 must have either query or preserve"
        ),
        (
            "[[component]]\nname = \"x\"\nsupports = \"*\"",
            "unknown key 'supports' in [[component]] number 1"
        ),
        ("[verify]\nquery = \"SELECT 1\"", "verify must be an array of tables, written [[verify]]"),
    ])
    func aMalformedTableIsRefusedWhenTheConfigurationIsRead(toml: String, expected: String)
        async throws
    {
        let setup = try await Setup(at: "0.4.0")
        try setup.configure(toml)
        let before = try DatabaseSnapshot(path: setup.path)
        let status = try await setup.run(["status"])
        #expect(status.status == 2, "\(status)")
        #expect(status.stderr.contains(expected), "\(status.stderr)")
        let upgrade = try await setup.run(["upgrade"])
        #expect(upgrade.status == 2)
        #expect(try DatabaseSnapshot(path: setup.path) == before)
    }

    @Test func aTooOldDatabaseIsRefusedWithExitThree() async throws {
        let setup = try await Setup(at: "0.2.0")
        try setup.configure("")
        let before = try DatabaseSnapshot(path: setup.path)
        let refused = try await setup.run(
            ["upgrade"],
            environment: ["FERRY_MINIMUM_UPGRADABLE_FROM": "0.3.0", "FERRY_RELEASE": "0.4.0"])
        #expect(refused.status == 3, "\(refused)")
        #expect(
            refused.stderr.contains(
                "This database is at 0.2.0. This program (0.4.0) upgrades databases from 0.3.0 or later: install 0.3.x, run it once, then install 0.4.0."
            ))
        #expect(refused.stderr.contains("Nothing was changed."))
        #expect(try DatabaseSnapshot(path: setup.path) == before)
    }

    @Test func verifyAndTheUpgradeFailOnADeclaredInvariant() async throws {
        let setup = try await Setup(at: "0.4.0")
        try setup.configure(
            """
            [[verify]]
            name = "every device is in a room"
            query = "SELECT count(*) FROM devices WHERE room_id IS NULL"
            expect = 0
            releases = ">=0.5.0"

            [[verify]]
            preserve = ["devices", "sensor_history"]
            """)
        let before = try DatabaseSnapshot(path: setup.path)

        let verify = try await setup.run(["verify"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("skipped  every device is in a room"))
        #expect(
            verify.stdout.contains("passed   0.4.0/001_rebuild_sensors_with_unit_check.verify.sql"))

        let upgrade = try await setup.run(["upgrade"])
        #expect(upgrade.status == 1, "\(upgrade)")
        #expect(upgrade.stderr.contains("every device is in a room: expected 0, found 2"))
        #expect(upgrade.stderr.contains("Nothing was changed"))
        #expect(upgrade.lines.last == "[END UPGRADE ERROR]")
        #expect(try DatabaseSnapshot(path: setup.path) == before)

        try setup.configure(
            "[[verify]]\nquery = \"SELECT count(*) = 12, 'twelve devices' FROM devices\"")
        try await setup.run(["upgrade"]).expectSuccess()
        let verified = try await setup.run(["verify", "--json"])
        let result = try #require(try verified.jsonLines().only)
        #expect(result["ok"] as? Bool == true)
        #expect((result["checks"] as? [[String: Any]])?.count == 7, "six checks and schema drift")
    }

    @Test func rehearseReportsAndLeavesTheDatabaseAsItWas() async throws {
        let setup = try await Setup(at: "0.3.0")
        try setup.configure("")
        try setup.folder.write(
            "migrations/hooks/001_mark_rehearsed.sql",
            """
            -- ferry:from 0.3.x
            -- ferry:to >=0.5.0
            UPDATE rooms SET name = name || ' (checked)' WHERE name = 'Garage';
            """)
        let before = try DatabaseSnapshot(path: setup.path)
        let plan = try await setup.run(["plan"])
        #expect(
            plan.stdout.contains("  then hook hooks/001_mark_rehearsed (from 0.3.x, to >=0.5.0)"),
            "\(plan)")
        let rehearsal = try await setup.run(["upgrade", "--rehearse"])
        #expect(rehearsal.status == 0, "\(rehearsal)")
        #expect(rehearsal.stdout.contains(" hook hooks/001_mark_rehearsed"))
        #expect(
            rehearsal.stdout.contains(
                "[rehearsal] Applying 0.4.0/001_rebuild_sensors_with_unit_check (1/4)…"))
        #expect(rehearsal.stdout.contains("  sensor_history  2000  →  2000"))
        #expect(rehearsal.stdout.contains("  rooms           -     →  8"))
        #expect(rehearsal.stdout.contains("Predicted duration: "))
        #expect(rehearsal.stdout.contains("the copy was deleted and the database was not changed"))
        #expect(rehearsal.lines.last == "[END UPGRADE SUCCESS]")
        #expect(try DatabaseSnapshot(path: setup.path) == before)

        let json = try await setup.run(["upgrade", "--rehearse", "--json"])
        let result = try #require(try json.jsonLines().last)
        #expect(result["rehearsal"] as? Bool == true)
        let report = try #require(result["report"] as? [String: Any])
        #expect((report["rowsAfter"] as? [String: Int])?["rooms"] == 8)
        #expect(report["predictedSeconds"] is Double)
        #expect(try DatabaseSnapshot(path: setup.path) == before)
    }

    @Test func testPathsPassesForTheExampleAndFindsADrift() async throws {
        let example = try await FerryProcess.run(
            [
                "test-paths", "--config",
                ExampleApplication.folder.appendingPathComponent("ferry.toml").path,
            ])
        #expect(example.status == 0, "\(example)")
        for release in ExampleApplication.releases {
            #expect(
                example.stdout.contains("\(release) → 0.5.0  fixtures/\(release).sql  ok"),
                "\(release)")
        }
        #expect(example.stdout.contains("Every upgrade path ends at a fresh install's schema."))
        #expect(
            !FileManager.default.fileExists(
                atPath: ExampleApplication.folder.appendingPathComponent("data/test-paths.db").path)
        )

        // Only a migrations folder, in a folder without ferry.toml: test-paths needs no database.
        let bare = try TemporaryFolder()
        let alone = try await FerryProcess.run(
            ["test-paths", "--migrations", ExampleApplication.migrations(for: .sqlite).path],
            in: bare.url)
        #expect(alone.status == 0, "\(alone)")
        #expect(
            alone.stdout.contains("Every upgrade path ends at a fresh install's schema."),
            "\(alone)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: bare.url.path).isEmpty,
            "nothing left behind")

        // A hook that changes the schema, but only for databases that come from 0.2.0 or older.
        let setup = try await Setup(at: "0.5.0")
        try setup.configure("")
        try setup.folder.write(
            "migrations/hooks/001_index_history_by_value.sql",
            """
            -- ferry:from <=0.2.0
            -- ferry:to *
            CREATE INDEX sensor_history_value ON sensor_history (value);
            """)
        let drift = try await setup.run([
            "test-paths", "--fixtures",
            ExampleApplication.folder.appendingPathComponent("fixtures").path,
        ])
        #expect(drift.status == 1, "\(drift)")
        #expect(
            drift.stdout.contains(
                "0.1.0 → 0.5.0  fixtures/0.1.0.sql  differs  only after upgrading from 0.1.0: "
                    + "index sensor_history_value: create index sensor_history_value on sensor_history(value)"
            ))
        #expect(drift.stdout.contains("0.3.0 → 0.5.0  fixtures/0.3.0.sql  ok"))
        #expect(
            drift.stdout.contains("2 upgrade paths of 5 do not end at a fresh install's schema."))

        let json = try await setup.run(["test-paths", "--json"])
        let result = try #require(try json.jsonLines().only)
        #expect(result["ok"] as? Bool == false)
        let paths = try #require(result["paths"] as? [[String: Any]])
        #expect(paths.map { $0["status"] as? String } == ["differs", "differs", "ok", "ok", "ok"])
        #expect(
            paths.allSatisfy { $0["fixture"] is NSNull },
            "no fixtures folder beside these migrations")
    }
}

@Suite struct ChecksHelpTests {
    @Test func helpListsTheNewCommandsAndFlags() async throws {
        let help = try await FerryProcess.run(["--help"])
        for command in ["check", "verify", "test-paths"] {
            #expect(help.stdout.contains(command), "\(command) in help")
        }
        let upgradeHelp = try await FerryProcess.run(["upgrade", "--help"])
        #expect(upgradeHelp.stdout.contains("--force"))
        #expect(upgradeHelp.stdout.contains("--rehearse"))
        let checkHelp = try await FerryProcess.run(["check", "--help"])
        #expect(checkHelp.stdout.contains("--force"))
        #expect(checkHelp.stdout.contains("Exits 3 when an upgrade would be"))
    }

    @Test func theStarterConfigurationStillReads() async throws {
        let folder = try TemporaryFolder()
        try await FerryProcess.run(["init", "--name", "shop"], in: folder.url).expectSuccess()
        let check = try await FerryProcess.run(["check"], in: folder.url)
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("fresh install of 0.1.0"))
    }
}
