import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// `ferry adopt`: databases that another migration tool managed, with that
/// tool's history table written as the tool writes it (by the tool itself
/// where it is installed), taken over by the real `ferry` binary; then the
/// next upgrade applies only what the tool had not applied.
@Suite("ferry adopt") struct AdoptCommandTests {
    /// The tools whose tables these tests write by hand, each with the
    /// layout of its files (GRDB's identifiers name the migrations of any layout).
    static let handWritten: [(tool: String, layout: MigrationLayout)] = [
        ("flyway", .flyway), ("golang-migrate", .golangMigrate), ("diesel", .diesel),
        ("sqlx", .sqlx), ("goose", .goose), ("dbmate", .dbmate), ("grdb", .flyway),
    ]

    @Test(arguments: TestEngine.underTest, handWritten.map(\.tool))
    func adoptsAHistoryWrittenAsTheToolWritesItAndTheNextUpgradeAppliesOnlyTheRest(
        engine: TestEngine, tool: String
    ) async throws {
        // GRDB is SQLite's.
        guard engine == .sqlite || tool != "grdb" else { return }
        let layout = Self.handWritten.first { $0.tool == tool }!.layout
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: layout)
            let applied = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    tool, engine: engine, applied: applied, folder: project.folder))
            let toolRows = try await database.snapshot().rows
            // Before the adoption, an upgrade is refused and points at it.
            let refused = try await project.ferry(["upgrade"])
            #expect(refused.status == 3, "\(refused)")
            #expect(refused.stderr.contains("another migration tool managed it"), "\(refused)")
            #expect(refused.stderr.contains("'ferry adopt'"), "\(refused)")

            let adopt = try await project.ferry(["adopt", "--json"])
            #expect(adopt.status == 0, "\(adopt)")
            let report = try #require(try adopt.jsonLines().last?["report"] as? [String: Any])
            #expect(report["tool"] as? String == tool)
            #expect((report["adopted"] as? [[String: Any]])?.count == 2, "\(report)")
            #expect(report["release"] as? String == "1.0.0")
            #expect((report["backup"] as? String)?.contains("pre-adopt") == true)
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE kind = 'adopted'") == "2")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
            if tool == "flyway" {
                // Recorded at the tool's own time.
                let first = try await database.scalar(
                    "SELECT applied_at FROM ferry_migrations ORDER BY sequence LIMIT 1")
                #expect(
                    first?.contains("2024-03-01") == true && first?.contains("10:00:00") == true,
                    "\(first ?? "none")")
            }
            // The tool's table is left as it was, so the team can go back to the tool.
            let after = try await database.snapshot().rows
            #expect(after.filter { !$0.key.hasPrefix("ferry_") } == toolRows)

            // Adopted again: refused, nothing changed.
            let again = try await project.ferry(["adopt"])
            #expect(again.status == 3, "\(again)")
            #expect(again.stderr.contains("already managed"), "\(again)")

            let upgrade = try await project.ferry(["upgrade", "--json"])
            #expect(upgrade.status == 0, "\(upgrade)")
            let result = try #require(try upgrade.jsonLines().last)
            #expect(result["applied"] as? [String] == [project.catalog[2].id], "\(upgrade)")
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "2.0.0")
            // Not asked to keep it in step, the tool's table is still as the tool left it.
            let upgraded = try await database.snapshot().rows
            #expect(
                upgraded.filter { !$0.key.hasPrefix("ferry_") }.mapValues(\.count).filter {
                    toolRows[$0.key] != nil
                } == toolRows.mapValues(\.count))
        }
    }

    /// The tools whose tables an upgrade keeps in step, and the query with
    /// which an application reads the newest version from each.
    static let kept: [(tool: String, layout: MigrationLayout, newest: String)] = [
        (
            "flyway", .flyway,
            "SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank DESC LIMIT 1"
        ),
        ("golang-migrate", .golangMigrate, "SELECT version FROM schema_migrations WHERE NOT dirty"),
        ("dbmate", .dbmate, "SELECT max(version) FROM schema_migrations"),
        ("sqlx", .sqlx, "SELECT max(version) FROM _sqlx_migrations WHERE success"),
        ("goose", .goose, "SELECT version_id FROM goose_db_version ORDER BY id DESC LIMIT 1"),
        ("diesel", .diesel, "SELECT max(version) FROM __diesel_schema_migrations"),
    ]

    @Test(arguments: TestEngine.underTest, kept.map(\.tool))
    func anUpgradeWithKeepHistoryTableWritesTheNewestVersionInTheToolsTable(
        engine: TestEngine, tool: String
    ) async throws {
        let (_, layout, newest) = Self.kept.first { $0.tool == tool }!
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: layout)
            let applied = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    tool, engine: engine, applied: applied, folder: project.folder))
            #expect(try await project.ferry(["adopt"]).status == 0)

            let upgrade = try await project.ferry(["upgrade", "--keep-history-table", "--json"])
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(
                try upgrade.jsonLines().last?["applied"] as? [String] == [project.catalog[2].id])
            #expect(try await database.scalar(newest) == project.catalog[2].toolVersion)
            if tool == "sqlx" {
                // The checksum SQLx would have written: the SHA-384 of the file's bytes.
                guard case .sql(let script) = project.catalog[2].body, let file = script.file
                else { return }
                let hex = try HistoryTable.sha384(of: project.folder.appendingPathComponent(file))
                #expect(
                    try await database.scalar(
                        engine == .sqlite
                            ? "SELECT lower(hex(checksum)) FROM _sqlx_migrations WHERE version = 10"
                            : "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = 10"
                    )
                        == hex)
            }
        }
    }

    @Test(arguments: TestEngine.underTest)
    func keepHistoryTableWithoutTheToolsTableRollsTheUpgradeBack(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            let applied = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    "flyway", engine: engine, applied: applied, folder: project.folder))
            #expect(try await project.ferry(["adopt"]).status == 0)
            // Someone dropped the old table since.
            try await database.load("DROP TABLE flyway_schema_history")
            let before = try await database.snapshot()

            let upgrade = try await project.ferry(["upgrade", "--keep-history-table"])
            #expect(upgrade.status == 1, "\(upgrade)")
            #expect(upgrade.stderr.contains("--keep-history-table is set"), "\(upgrade)")
            #expect(upgrade.stderr.contains("flyway_schema_history"), "\(upgrade)")
            let after = try await database.snapshot()
            #expect(
                after.rows.filter { $0.key != "ferry_events" }
                    == before.rows.filter {
                        $0.key != "ferry_events"
                    })
            #expect(try await database.scalar("SELECT release FROM ferry_state") == "1.0.0")
        }
    }

    /// A Flyway repeatable migration whose file changed since Flyway ran it
    /// is adopted without --allow-changed (Flyway itself would run it again)
    /// and the next upgrade runs it again; before, it was adopted as it is
    /// now, and the database kept the old view.
    @Test func aChangedFlywayRepeatableRunsAgainAfterTheAdoption() async throws {
        let folder = try TemporaryFolder()
        let migrations = folder.url.appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        let table = "CREATE TABLE t (x INTEGER);\n"
        let view = "DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS a;\n"
        try table.write(
            to: migrations.appendingPathComponent("V1__t.sql"), atomically: true, encoding: .utf8)
        func crc(_ text: String) -> Int32 {
            if case .flywayCRC32(let value) = ToolChecksum.flywayCRC32(0).recomputed(from: text) {
                return value
            }
            return 0
        }
        let path = folder.url.appendingPathComponent("app.db").path
        let checksums = [crc(table), crc(view)]
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (x INTEGER); CREATE VIEW v AS SELECT 1 AS a;
                    CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY,
                        "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,
                        "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL,
                        "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
                        "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL);
                    INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,
                        checksum, installed_by, execution_time, success)
                    VALUES (1, '1', 't', 'SQL', 'V1__t.sql', ?, 'me', 1, 1),
                           (2, NULL, 'v', 'SQL', 'R__v.sql', ?, 'me', 1, 1);
                    """, arguments: StatementArguments(checksums))
        }
        try queue.close()
        // The view's file changed since Flyway ran it.
        try view.replacingOccurrences(of: "SELECT 1", with: "SELECT 2").write(
            to: migrations.appendingPathComponent("R__v.sql"), atomically: true, encoding: .utf8)
        _ = try folder.write(
            "ferry.toml",
            """
            [app]
            name = "fw"
            release = "1.0.0"
            [database]
            url = "app.db"
            migrations = "migrations"
            [backups]
            directory = "backups"
            """)
        let adopt = try await FerryProcess.run(["adopt"], in: folder.url)
        #expect(adopt.status == 0, "\(adopt)")
        let upgrade = try await FerryProcess.run(["upgrade", "--json"], in: folder.url)
        #expect(upgrade.status == 0, "\(upgrade)")
        #expect(
            try upgrade.jsonLines().last?["applied"] as? [String] == ["1.0.0/R__v"], "\(upgrade)")
        #expect(try scalar("SELECT a FROM v", in: path) == "2")
    }

    @Test(arguments: TestEngine.underTest)
    func aFailedFlywayRowIsRefusedWithNothingChanged(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            var applied = try await project.applyByHand(2)
            applied[1].failed = true
            try await database.load(
                try HistoryTable.script(
                    "flyway", engine: engine, applied: applied, folder: project.folder))
            let before = try await database.snapshot()

            let adopt = try await project.ferry(["adopt", "--json"])
            #expect(adopt.status == 3, "\(adopt)")
            let error = try #require(try adopt.jsonLines().last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "foreignHistoryUnfinished")
            #expect((error["message"] as? String)?.contains("V1.9__rooms.sql") == true, "\(error)")
            #expect((error["changes"] as? String)?.hasPrefix("Nothing was changed") == true)
            // Both tables re-read: the tool's as it was, and no Ferry history.
            #expect(try await database.snapshot().rows == before.rows)
            #expect(
                try await database.scalar(LayoutFixture.tableCount("ferry_migrations", engine))
                    == "0")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDirtyGolangMigrateStateIsRefusedWithNothingChanged(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .golangMigrate)
            var applied = try await project.applyByHand(2)
            applied[1].failed = true
            try await database.load(
                try HistoryTable.script(
                    "golang-migrate", engine: engine, applied: applied, folder: project.folder))
            let before = try await database.snapshot()

            let adopt = try await project.ferry(["adopt"])
            #expect(adopt.status == 3, "\(adopt)")
            #expect(adopt.stderr.contains("version 2 dirty"), "\(adopt)")
            #expect(adopt.stderr.contains("Nothing was changed"), "\(adopt)")
            #expect(try await database.snapshot().rows == before.rows)
            #expect(
                try await database.scalar(LayoutFixture.tableCount("ferry_migrations", engine))
                    == "0")
            #expect(try await database.scalar("SELECT dirty FROM schema_migrations") != "0")
        }
    }

    @Test(arguments: TestEngine.underTest, ["flyway", "sqlx"])
    func aFileEditedSinceTheToolAppliedItIsNamed(engine: TestEngine, tool: String) async throws {
        try await withTestDatabase(engine) { database in
            let layout: MigrationLayout = tool == "flyway" ? .flyway : .sqlx
            let project = try AdoptionProject(database, layout: layout)
            let applied = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    tool, engine: engine, applied: applied, folder: project.folder))
            // Line endings do not count for Flyway: a checkout on Windows changes nothing.
            if tool == "flyway" {
                let first = project.folder.appendingPathComponent(applied[0].file)
                let text = try String(contentsOf: first, encoding: .utf8)
                try Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: first)
            }
            let edited = project.folder.appendingPathComponent(applied[1].file)
            try Data("-- tidied up\n".utf8 + (try Data(contentsOf: edited))).write(to: edited)
            let before = try await database.snapshot()

            let adopt = try await project.ferry(["adopt"])
            #expect(adopt.status == 3, "\(adopt)")
            #expect(
                adopt.stderr.contains("\(applied[1].file) changed since \(tool) applied it"),
                "\(adopt)")
            #expect(!adopt.stderr.contains(applied[0].file), "\(adopt)")
            #expect(adopt.stderr.contains("--allow-changed"), "\(adopt)")
            #expect(try await database.snapshot().rows == before.rows)

            let allowed = try await project.ferry(["adopt", "--allow-changed"])
            #expect(allowed.status == 0, "\(allowed)")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM ferry_migrations WHERE accepted = 'changed'") == "1")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDryRunShowsWhatWouldBeRecordedAndChangesNothing(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            let applied = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    "flyway", engine: engine, applied: applied, folder: project.folder))
            let before = try await database.snapshot()
            let run = try await project.ferry(["adopt", "--dry-run", "--from", "flyway"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("Would adopt 2 migrations from flyway"), "\(run)")
            #expect(run.stdout.contains("Dry run: nothing was changed."), "\(run)")
            #expect(try await database.snapshot().rows == before.rows)
        }
    }

    @Test func keepHistoryTableWithFerrysOwnLayoutIsAUsageErrorBeforeAnyBackup() async throws {
        try await withTestDatabase(.sqlite) { database in
            try BaselineCommandTests.project(database)
            let run = try await FerryProcess.run(
                ["upgrade", "--create", "--keep-history-table"], in: database.folder.url)
            #expect(run.status == 2, "\(run)")
            #expect(run.stderr.contains("--keep-history-table is set"), "\(run)")
            #expect(run.stderr.contains("layout is ferry"), "\(run)")
            #expect(!FileManager.default.fileExists(atPath: database.location))
        }
    }

    /// `flyway baseline` writes one row that stands for every version up to its own.
    @Test(arguments: TestEngine.underTest)
    func aFlywayBaselineRowStandsForEveryOlderVersion(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            _ = try await project.applyByHand(2)
            try await database.load(
                try HistoryTable.script(
                    "flyway", engine: engine, applied: [], folder: project.folder)
                        + """
                        INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
                        VALUES (1, '1.9', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'ann', 0, \(engine == .sqlite ? "1" : "true"));
                        """)
            let adopt = try await project.ferry(["adopt", "--json"])
            #expect(adopt.status == 0, "\(adopt)")
            let report = try #require(try adopt.jsonLines().last?["report"] as? [String: Any])
            #expect(
                (report["adopted"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                    == project.catalog.prefix(2).map(\.id), "\(report)")
            let upgrade = try await project.ferry(["upgrade", "--json"])
            #expect(upgrade.status == 0, "\(upgrade)")
            #expect(
                try upgrade.jsonLines().last?["applied"] as? [String] == [project.catalog[2].id])
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aHistoryThatNoFileMatchesIsRefusedEvenWithAllowChanged(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            _ = try await project.applyByHand(1)
            try await database.load(
                "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); "
                    + "INSERT INTO grdb_migrations (identifier) VALUES ('v1-create-everything');")
            let before = try await database.snapshot()
            let run = try await project.ferry(["adopt", "--allow-changed", "--json"])
            #expect(run.status == 3, "\(run)")
            let error = try #require(try run.jsonLines().last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "migrationMissing")
            #expect((error["message"] as? String)?.contains("v1-create-everything") == true)
            #expect(try await database.snapshot().rows == before.rows)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aDatabaseWithNoOtherToolsHistoryIsRefusedNamingWhatWasLookedFor(engine: TestEngine)
        async throws
    {
        try await withTestDatabase(engine) { database in
            let project = try AdoptionProject(database, layout: .flyway)
            _ = try await project.applyByHand(1)
            let run = try await project.ferry(["adopt", "--json"])
            #expect(run.status == 3, "\(run)")
            let error = try #require(try run.jsonLines().last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "foreignHistoryNotFound")
            #expect((error["message"] as? String)?.contains("flyway_schema_history") == true)
            #expect((error["advice"] as? String)?.contains("'ferry baseline'") == true)
        }
    }
}

/// A project of another tool's layout (the folder of ``LayoutFixture``:
/// three migrations, the first of release 1.0.0, the others of 2.0.0) with
/// its `ferry.toml`.
struct AdoptionProject {
    let database: TestDatabase
    let folder: URL
    let catalog: [Migration]

    init(_ database: TestDatabase, layout: MigrationLayout) throws {
        self.database = database
        folder = database.folder.url.appendingPathComponent("migrations")
        let boundaries = try LayoutFixture.write(layout, engine: database.kind, to: folder)
        var configuration = Ferry.Configuration(
            appName: "app", engine: database.engine, migrationsDirectory: folder)
        configuration.release = Release(2, 0, 0)
        configuration.migrationLayout = layout
        configuration.releaseBoundaries = boundaries
        catalog = try Ferry(configuration).catalog().migrations
        _ = try database.folder.write(
            "ferry.toml",
            """
            [app]
            name = "app"
            release = "2.0.0"

            [database]
            url = "\(database.location)"
            migrations = "migrations"
            layout = "\(layout.rawValue)"

            [backups]
            directory = "backups"

            """
                + boundaries.map {
                    "[[release]]\nversion = \"\($0.release)\"\nthrough = \"\($0.through)\"\n"
                }.joined())
    }

    /// Runs the first `count` migrations' scripts on the database, as the
    /// tool would have; returns them as the tool's history lists them.
    func applyByHand(_ count: Int) async throws -> [HistoryTable.Applied] {
        var applied: [HistoryTable.Applied] = []
        for migration in catalog.prefix(count) {
            guard case .sql(let script) = migration.body else { continue }
            try await database.load(script.text)
            applied.append(
                HistoryTable.Applied(
                    version: migration.toolVersion ?? migration.name, name: migration.name,
                    file: script.file ?? migration.name))
        }
        return applied
    }

    /// Runs the real `ferry` in the project's folder.
    func ferry(_ arguments: [String]) async throws -> FerryProcess.Output {
        try await FerryProcess.run(arguments, in: database.folder.url)
    }
}
