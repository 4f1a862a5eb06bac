import Ferry
import FerryTestSupport
import Foundation
import Testing

/// `ferry export --entity TABLE=KEY`: one row, every row that depends on it
/// through foreign keys (transitively, down a tree of rows too), and the
/// rows they reference, marked as references; imported back into a
/// database that lost them, or into a new one.
@Suite("Export of one entity") struct EntityExportTests {
    /// The example's device 1 holds its sensors and their history, and
    /// points at its room: exported alone, deleted, and imported again, it
    /// comes back whole while the room (a reference, still there) is no
    /// conflict and nothing else changes.
    @Test(arguments: TestEngine.underTest)
    func aDeviceWithItsSensorsAndHistoryComesBackWhole(engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: engine) { scenario in
            let before = try await scenario.snapshot()
            let folder = scenario.folder.url.appendingPathComponent("device-1")
            let run = try await FerryProcess.run(
                ["export", folder.path, "--entity", "devices=1", "--json"]
                    + arguments(scenario))
            #expect(run.status == 0, "\(run)")
            let report = try #require(run.jsonLines().last?["export"] as? [String: Any])
            #expect(report["entities"] as? [String] == ["devices=1"])
            let tables = try #require(report["tables"] as? [[String: Any]])
            let byName = Dictionary(
                uniqueKeysWithValues: tables.map { ($0["name"] as! String, $0) })
            #expect(Set(byName.keys) == ["rooms", "devices", "sensors", "sensor_history"])
            #expect(byName["devices"]?["rows"] as? Int == 1)
            #expect(byName["rooms"]?["rows"] as? Int == 1)
            #expect(byName["rooms"]?["references"] as? Bool == true)
            #expect(byName["sensors"]?["references"] as? Bool == false)
            let sensors = try await scenario.database.scalar(
                "SELECT count(*) FROM sensors WHERE device_id = 1")
            let history = try await scenario.database.scalar(
                "SELECT count(*) FROM sensor_history WHERE sensor_id IN (SELECT id FROM sensors WHERE device_id = 1)"
            )
            #expect(byName["sensors"]?["rows"] as? Int == Int(sensors ?? ""))
            #expect(byName["sensor_history"]?["rows"] as? Int == Int(history ?? ""))
            #expect((Int(history ?? "") ?? 0) > 0)

            // Device 1 deleted by mistake, its sensors and their history with it.
            func deleteDevice() async throws {
                try await scenario.database.load(
                    """
                    DELETE FROM sensor_history WHERE sensor_id IN (SELECT id FROM sensors WHERE device_id = 1);
                    DELETE FROM sensors WHERE device_id = 1;
                    DELETE FROM devices WHERE id = 1;
                    """)
            }
            try await deleteDevice()
            let imported = try await FerryProcess.run(
                ["import", folder.path, "--yes"] + arguments(scenario))
            #expect(imported.status == 0, "\(imported)")
            let after = try await scenario.snapshot()
            for table in ["rooms", "devices", "sensors", "sensor_history"] {
                #expect(after.rows[table] == before.rows[table], "\(table)")
            }

            // Run again, every row is there: the history's earlier run says so, and the
            // pre-import backup of this run, the database's twin, is not kept.
            func backups() throws -> Int {
                try FileManager.default.contentsOfDirectory(atPath: scenario.backupsFolder.path)
                    .filter { $0.hasSuffix(".json") }.count
            }
            let kept = try backups()
            let again = try await FerryProcess.run(
                ["import", folder.path, "--yes", "--json"] + arguments(scenario))
            #expect(again.status == 0, "\(again)")
            #expect(
                (try again.jsonLines().last?["import"] as? [String: Any])?["earlierRun"] is String,
                "\(again)")
            #expect(try backups() == kept)
            let againDryRun = try await FerryProcess.run(
                ["import", folder.path, "--dry-run"] + arguments(scenario))
            #expect(againDryRun.status == 0, "\(againDryRun)")
            #expect(
                againDryRun.stdout.contains(
                    "Dry run: nothing was written. The rows of this export were loaded at"),
                "\(againDryRun)")
            let merged = try await FerryProcess.run(
                ["import", folder.path, "--yes", "--mode", "merge"] + arguments(scenario))
            #expect(merged.status == 0, "\(merged)")
            #expect(
                merged.stdout.contains(
                    "Nothing was changed: every row of the export is already there"),
                "\(merged)")
            #expect(try backups() == kept)
            // Deleted again, the device comes back again: the earlier run does not stand for it.
            try await deleteDevice()
            let third = try await FerryProcess.run(
                ["import", folder.path, "--yes"] + arguments(scenario))
            #expect(third.status == 0, "\(third)")
            #expect(try await scenario.snapshot().rows == after.rows)
            // Partly there (its history deleted), the keys held are refused under --mode empty,
            // with nothing changed and no backup left behind.
            let kept2 = try backups()
            try await scenario.database.load(
                "DELETE FROM sensor_history WHERE sensor_id IN (SELECT id FROM sensors WHERE device_id = 1);"
            )
            // The dry run meets the same refusal.
            let partlyDryRun = try await FerryProcess.run(
                ["import", folder.path, "--dry-run"] + arguments(scenario))
            #expect(partlyDryRun.status == 3, "\(partlyDryRun)")
            #expect(
                partlyDryRun.stderr.contains("a key the database already holds (listed)"),
                "\(partlyDryRun)")
            let partly = try await FerryProcess.run(
                ["import", folder.path, "--yes"] + arguments(scenario))
            #expect(partly.status == 3, "\(partly)")
            #expect(partly.stderr.contains("1 row of devices has a key"), "\(partly)")
            #expect(try backups() == kept2)
        }
    }

    /// A device exported from one installation goes under a room of
    /// another (`--into rooms=2`) whose own device, sensors and history hold
    /// the same integer keys: those are renumbered past the target's
    /// largest, every foreign key that pointed at them follows, and the
    /// target's own rows are untouched. A room that is not there, a table
    /// the device does not reference, or an export of whole tables is
    /// refused with nothing changed.
    @Test(arguments: TestEngine.underTest)
    func aDeviceGoesUnderAnotherRoomWithItsKeysRenumbered(engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: engine) { source in
            let folder = source.folder.url.appendingPathComponent("device-1")
            try await source.ferry.export(
                to: folder,
                options: ExportOptions(entities: [EntitySelection(table: "devices", key: "1")]))
            let history = try await source.database.scalar(
                "SELECT count(*) FROM sensor_history WHERE sensor_id IN (SELECT id FROM sensors WHERE device_id = 1)"
            )
            let values = try await historyText(ofDevice: 1, in: source.database)
            #expect(values?.isEmpty == false)
            try await withExample(at: ExampleApplication.newestRelease, on: engine) { target in
                try await target.database.load("UPDATE devices SET name = name || ' (here)'")
                let before = try await target.snapshot()
                let arguments =
                    [
                        "--database", target.path, "--migrations", target.migrations.path,
                    ] + target.database.backupArguments

                for (into, message) in [
                    ("rooms=99", "has no row rooms=99"),
                    ("sensors=1", "do not reference sensors"),
                ] {
                    let refused = try await FerryProcess.run(
                        ["import", folder.path, "--into", into, "--yes"] + arguments)
                    #expect(refused.status != 0, "\(refused)")
                    #expect(refused.stderr.contains(message), "\(refused)")
                }
                let whole = source.folder.url.appendingPathComponent("whole")
                try await source.ferry.export(to: whole)
                let notEntities = try await FerryProcess.run(
                    ["import", whole.path, "--into", "rooms=2", "--yes", "--mode", "skip"]
                        + arguments)
                #expect(
                    notEntities.stderr.contains("holds whole tables, not entities"),
                    "\(notEntities)")
                #expect(try await target.snapshot().rows == before.rows)

                let run = try await FerryProcess.run(
                    ["import", folder.path, "--into", "rooms=2", "--yes", "--json"] + arguments)
                #expect(run.status == 0, "\(run)")
                let report = try #require(run.jsonLines().last?["import"] as? [String: Any])
                let tables = try #require(report["tables"] as? [[String: Any]])
                let devices = try #require(tables.first { $0["name"] as? String == "devices" })
                #expect(devices["renumbered"] as? Int == 1, "\(devices)")
                #expect(devices["renumberedKeys"] as? [String] == ["1 → 13"], "\(devices)")

                let after = try await target.snapshot()
                #expect(after.rows["devices"]?.count == (before.rows["devices"]?.count ?? 0) + 1)
                for table in ["devices", "sensors", "sensor_history", "rooms"] {
                    #expect(
                        Set(before.rows[table] ?? []).isSubset(of: Set(after.rows[table] ?? [])),
                        "\(table)")
                }
                #expect(
                    try await target.database.scalar("SELECT room_id FROM devices WHERE id = 13")
                        == "2")
                #expect(
                    try await target.database.scalar(
                        "SELECT count(*) FROM sensor_history WHERE sensor_id IN (SELECT id FROM sensors WHERE device_id = 13)"
                    )
                        == history)
                let moved = try await historyText(ofDevice: 13, in: target.database)
                #expect(moved == values)
            }
        }
    }

    /// A device whose unique name the target already holds conflicts by that
    /// name, not by its renumbered key (which no row holds); under every mode,
    /// and in a dry run, the refusal of its sensors says that their device was
    /// left out as a conflict, and nothing changes.
    @Test(arguments: TestEngine.underTest)
    func aRowHeldByAnotherUniqueKeyIsNamedByIt(engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: engine) { source in
            let folder = source.folder.url.appendingPathComponent("device-1")
            try await source.ferry.export(
                to: folder,
                options: ExportOptions(entities: [EntitySelection(table: "devices", key: "1")]))
            let name = try #require(
                try await source.database.scalar("SELECT name FROM devices WHERE id = 1"))
            try await withExample(at: ExampleApplication.newestRelease, on: engine) { target in
                let before = try await target.snapshot()
                let arguments =
                    [
                        "import", folder.path, "--into", "rooms=2", "--database", target.path,
                        "--migrations", target.migrations.path,
                    ] + target.database.backupArguments
                let empty = try await FerryProcess.run(arguments + ["--yes"])
                #expect(empty.status != 0, "\(empty)")
                #expect(empty.stderr.contains("already holds (name="), "\(empty)")
                #expect(empty.stderr.contains(name), "\(empty)")
                #expect(!empty.stderr.contains("id=13"), "\(empty)")
                for extra in [
                    ["--mode", "merge", "--yes"], ["--mode", "skip", "--yes"], ["--dry-run"],
                ] {
                    let refused = try await FerryProcess.run(arguments + extra)
                    #expect(refused.status != 0, "\(extra): \(refused)")
                    #expect(
                        refused.stderr.contains(
                            "Left out by this import: 1 row of devices whose key the database already holds (name="
                        ),
                        "\(extra): \(refused)")
                    #expect(refused.stderr.contains("sensors"), "\(extra): \(refused)")
                    #expect(
                        refused.stderr.contains(
                            extra == ["--dry-run"]
                                ? "Nothing was written: this was a dry run."
                                : "Nothing was changed: the import was rolled back."),
                        "\(extra): \(refused)")
                }
                #expect(try await target.snapshot() == before)
            }
        }
    }

    /// A table that references itself is a tree: the entity's subtree is
    /// exported, not its parent's other branches.
    @Test(arguments: TestEngine.underTest)
    func aTreeOfRowsIsExportedDownToItsLeaves(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let ferry = try await Self.upgraded(
                "tree",
                schema: """
                    CREATE TABLE nodes (id integer PRIMARY KEY, parent_id integer REFERENCES nodes(id),
                                        name text NOT NULL);
                    CREATE TABLE notes (id integer PRIMARY KEY, node_id integer NOT NULL REFERENCES nodes(id),
                                        body text);
                    """, on: database)
            try await database.load(
                """
                INSERT INTO nodes VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, 'a.1'), (4, 3, 'a.1.x'),
                    (5, 1, 'b'), (6, 5, 'b.1');
                INSERT INTO notes VALUES (1, 4, 'deep'), (2, 6, 'other branch'), (3, 2, 'on a');
                """)
            let folder = database.folder.url.appendingPathComponent("subtree")
            let report = try await ferry.export(
                to: folder, options: ExportOptions(entities: [EntitySelection(parsing: "nodes=2")]))
            // The subtree is the entity's own; the root above it is a reference.
            #expect(report.tables.map(\.name) == ["nodes", "nodes", "notes"])
            #expect(report.tables.map(\.rows) == [1, 3, 2])
            #expect(report.tables.map(\.references) == [true, false, false])

            // Deeper down, every row up to the top is a reference, and the export comes back
            // whole into a database that lost the branch, parent included.
            let branch = database.folder.url.appendingPathComponent("branch")
            let deeper = try await ferry.export(
                to: branch, options: ExportOptions(entities: [EntitySelection(parsing: "nodes=3")]))
            #expect(deeper.tables.map(\.rows) == [2, 2, 1])
            #expect(
                FileManager.default.fileExists(
                    atPath: branch.appendingPathComponent("data/nodes.references").path))
            try await database.load(
                "DELETE FROM notes WHERE node_id IN (2, 4); DELETE FROM nodes WHERE id IN (4, 3); DELETE FROM nodes WHERE id = 2;"
            )
            let imported = try await ferry.import(from: branch, options: ImportOptions())
            #expect(imported.tables.map(\.inserted) == [1, 2, 1], "\(imported.tables)")
            #expect(imported.tables.map(\.conflicts) == [1, 0, 0])
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM nodes n JOIN nodes p ON p.id = n.parent_id WHERE n.id IN (2, 3, 4)"
                ) == "3")
            #expect(try await database.scalar("SELECT body FROM notes WHERE node_id = 4") == "deep")

            // Put under a node of its own table, every link between the subtree's nodes would
            // point at that node: refused.
            let intoOwn = await #expect(throws: FerryError.self) {
                try await ferry.import(
                    from: branch,
                    options: ImportOptions(
                        mode: .merge, into: EntitySelection(table: "nodes", key: "5")))
            }
            #expect(intoOwn?.message.contains("holds the exported entities' own rows") == true)
            // A row that is not there is no entity to export.
            let missing = await #expect(throws: FerryError.self) {
                try await ferry.export(
                    to: database.folder.url.appendingPathComponent("missing"),
                    options: ExportOptions(entities: [EntitySelection(parsing: "nodes=99")]))
            }
            #expect(missing?.message.contains("has no row nodes=99 to export") == true)
            #expect(
                !FileManager.default.fileExists(
                    atPath: database.folder.url.appendingPathComponent("missing").path))

            let refused = #expect(throws: FerryError.self) {
                try EntitySelection(parsing: "nodes")
            }
            #expect(refused?.message.contains("TABLE=KEY") == true)
            let unknown = await #expect(throws: FerryError.self) {
                try await ferry.export(
                    to: database.folder.url.appendingPathComponent("none"),
                    options: ExportOptions(entities: [EntitySelection(table: "trees", key: "1")]))
            }
            #expect(unknown?.message.contains("no table trees") == true)
        }
    }

    /// A device's history as one text, in time order: what a user would
    /// compare after moving it.
    func historyText(ofDevice device: Int, in database: TestDatabase) async throws -> String? {
        let rows = """
            SELECT h.taken_at || ' ' || h.value AS line FROM sensor_history h
              JOIN sensors s ON s.id = h.sensor_id WHERE s.device_id = \(device)
            """
        return try await database.scalar(
            database.kind == .sqlite
                ? "SELECT group_concat(line, ',') FROM (\(rows) ORDER BY line)"
                : "SELECT string_agg(line, ',' ORDER BY line) FROM (\(rows)) AS lines")
    }

    func arguments(_ scenario: ExampleScenario) -> [String] {
        ["--database", scenario.path, "--migrations", scenario.migrations.path]
            + scenario.database.backupArguments
    }

    /// Tables that reference each other (a team's captain is one of its
    /// players) have no order with parents first: an export of one team
    /// would leave out rows below it without a word, so it is refused,
    /// nothing written.
    @Test(arguments: TestEngine.underTest)
    func anEntityInACycleOfTablesIsRefused(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { database in
            let ferry = try await Self.upgraded(
                "teams",
                schema: """
                    CREATE TABLE teams (id integer PRIMARY KEY, name text);
                    CREATE TABLE players (id integer PRIMARY KEY, team_id integer REFERENCES teams(id), name text);
                    ALTER TABLE teams ADD COLUMN captain_id integer REFERENCES players(id);
                    CREATE TABLE matches (id integer PRIMARY KEY, home_id integer NOT NULL REFERENCES teams(id));
                    """, on: database)
            try await database.load(
                """
                INSERT INTO teams (id, name) VALUES (1, 'a');
                INSERT INTO players VALUES (11, 1, 'p'), (12, 1, 'q');
                UPDATE teams SET captain_id = 11 WHERE id = 1;
                INSERT INTO matches VALUES (1, 1);
                """)
            let folder = database.folder.url.appendingPathComponent("team")
            let refused = await #expect(throws: FerryError.self) {
                try await ferry.export(
                    to: folder,
                    options: ExportOptions(entities: [EntitySelection(parsing: "teams=1")]))
            }
            #expect(refused?.code == .invalidExport)
            #expect(
                refused?.message.contains("cannot yet follow such a cycle") == true,
                "\(String(describing: refused))")
            #expect(!FileManager.default.fileExists(atPath: folder.path))
        }
    }

    /// A Ferry for an application of one release, 1.0.0, made of `schema`,
    /// with the database upgraded to it.
    static func upgraded(_ app: String, schema: String, on database: TestDatabase) async throws
        -> Ferry
    {
        let migrations = database.folder.url.appendingPathComponent(app)
        try FileManager.default.createDirectory(
            at: migrations.appendingPathComponent("1.0.0"), withIntermediateDirectories: true)
        try schema.write(
            to: migrations.appendingPathComponent("1.0.0/001_\(app).sql"), atomically: true,
            encoding: .utf8)
        var configuration = Ferry.Configuration(
            appName: app, engine: database.engine, migrationsDirectory: migrations)
        configuration.backupsDirectory = database.backupsFolder
        let ferry = Ferry(configuration)
        try await ferry.upgrade()
        return ferry
    }
}
