import Ferry
import FerryPostgres
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// `Ferry.export` and `Ferry.import` on real databases of every engine:
/// values arrive exactly, conflicts are treated as each mode says, and the
/// example application moves whole.
@Suite("Export and import") struct ExportImportTests {
    /// Every kind of value each engine holds comes back the same, value by
    /// value, through an export into a new database (made by the
    /// application's migrations during the import); the triggers do not fire
    /// on the imported rows, and fire again afterwards; the sequence goes on
    /// past the largest key.
    @Test(arguments: TestEngine.underTest)
    func everyValueKindRoundTrips(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try ExportFixtures.migrations(for: engine, in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await sourceFerry.upgrade()
            try await ExportFixtures.fill(source)
            let folder = source.folder.url.appendingPathComponent("export")
            // Small parts, so that a table spans several.
            let report = try await sourceFerry.export(
                to: folder, options: ExportOptions(partBytes: 512))
            // The same, gzip-compressed.
            let compressedFolder = source.folder.url.appendingPathComponent("compressed")
            _ = try await sourceFerry.export(
                to: compressedFolder, options: ExportOptions(compress: true, partBytes: 512))
            let compressed = try ExportFolder(url: compressedFolder).checked()
            #expect(compressed.compressed)
            #expect(compressed.tables[0].files.count == report.tables[0].files)
            #expect(compressed.tables[0].files.allSatisfy { $0.path.hasSuffix(".jsonl.gz") })
            #expect(report.tables.map(\.name) == ["kinds", "children"])
            #expect(report.tables[0].files > 1, "\(report)")

            try await withTestDatabase(engine) { target in
                let targetFerry = Ferry(
                    ExportFixtures.configuration(target, migrations: migrations))
                let imported = try await targetFerry.import(from: folder)
                #expect(imported.release == "0.1.0")
                #expect(imported.tables.map(\.inserted) == report.tables.map(\.rows))
                for table in ["kinds", "children"] {
                    let expected = try await ExportFixtures.rows(of: table, in: source)
                    let actual = try await ExportFixtures.rows(of: table, in: target)
                    #expect(actual == expected, "\(table)")
                    #expect(!expected.isEmpty)
                }
                try await withTestDatabase(engine) { second in
                    try await Ferry(ExportFixtures.configuration(second, migrations: migrations))
                        .import(from: compressedFolder)
                    for table in ["kinds", "children"] {
                        let expected = try await ExportFixtures.rows(of: table, in: source)
                        #expect(
                            try await ExportFixtures.rows(of: table, in: second) == expected,
                            "\(table), compressed")
                    }
                }
                try await target.load("INSERT INTO children (kind_id, note) VALUES (1, 'new')")
                #expect(try await target.scalar("SELECT max(id) FROM children") == "4")
                #expect(
                    try await target.scalar("SELECT note FROM children WHERE id = 4")
                        == "touched new")
            }
        }
    }

    /// The manifest says what the export holds; its files are private.
    /// PostgreSQL's rows are read by `COPY` through psql in the export's
    /// snapshot; without psql (a tools folder that has none) they are read as
    /// query results. Both write the same bytes, every kind of value included.
    @Test(arguments: TestEngine.underTest.filter { $0 == .postgres })
    func aPostgresExportWithoutPsqlWritesTheSameRows(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try ExportFixtures.migrations(for: engine, in: source.folder.url)
            let configuration = ExportFixtures.configuration(source, migrations: migrations)
            try await Ferry(configuration).upgrade()
            try await ExportFixtures.fill(source)
            let copied = source.folder.url.appendingPathComponent("copied")
            _ = try await Ferry(configuration).export(to: copied)

            let empty = source.folder.url.appendingPathComponent("no-tools")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            var withoutPsql = configuration
            withoutPsql.engine = try PostgresEngine(
                url: source.location, toolsFolder: empty, environment: [:])
            let queried = source.folder.url.appendingPathComponent("queried")
            _ = try await Ferry(withoutPsql).export(to: queried)

            for table in ["kinds", "children"] {
                let part = "data/\(table)/0001.jsonl"
                let viaCopy = try Data(contentsOf: copied.appendingPathComponent(part))
                let viaQuery = try Data(contentsOf: queried.appendingPathComponent(part))
                #expect(!viaCopy.isEmpty)
                #expect(viaCopy == viaQuery, "\(table)")
            }
        }
    }

    @Test func theManifestDescribesTheExportAndItsFilesArePrivate() async throws {
        try await withTestDatabase(.sqlite) { source in
            let migrations = try ExportFixtures.migrations(for: .sqlite, in: source.folder.url)
            var configuration = ExportFixtures.configuration(source, migrations: migrations)
            configuration.exportSecretColumns = ["kinds.t"]
            try await Ferry(configuration).upgrade()
            try await ExportFixtures.fill(source)
            let folder = source.folder.url.appendingPathComponent("export")
            _ = try await Ferry(configuration).export(to: folder)
            let manifest = try ExportFolder(url: folder).checked()
            #expect(manifest.release == "0.1.0")
            #expect(manifest.engine == "sqlite")
            #expect(manifest.migrations.map(\.id) == ["0.1.0/001_kinds"])
            #expect(manifest.secretColumnsIncluded == ["kinds.t"])
            #expect(manifest.redactedColumns.isEmpty)
            let kinds = try #require(manifest.tables.first { $0.table.name == "kinds" })
            #expect(kinds.table.primaryKey == ["id"])
            #expect(
                kinds.table.columns.map(\.logicalType).prefix(3) == [.integer, .integer, .real])
            let children = try #require(manifest.tables.first { $0.table.name == "children" })
            #expect(children.table.foreignKeys.first?.referencedTable == "kinds")
            for path in [ExportManifest.fileName, "schema.sql", "data/kinds/0001.jsonl"] {
                let mode =
                    try FileManager.default.attributesOfItem(
                        atPath: folder.appendingPathComponent(path).path)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(path)")
            }
            for path in ["", "data", "data/kinds"] {
                let mode =
                    try FileManager.default.attributesOfItem(
                        atPath: folder.appendingPathComponent(path).path)[.posixPermissions] as? Int
                #expect(mode == 0o700, "\(path)")
            }

            // --redact writes the secret as NULL, and the manifest says so.
            let redactedFolder = source.folder.url.appendingPathComponent("redacted")
            _ = try await Ferry(configuration).export(
                to: redactedFolder, options: ExportOptions(redact: true))
            let redacted = try ExportFolder(url: redactedFolder).checked()
            #expect(redacted.redactedColumns == ["kinds.t"])
            #expect(redacted.secretColumnsIncluded.isEmpty)
            try await withTestDatabase(.sqlite) { target in
                try await Ferry(ExportFixtures.configuration(target, migrations: migrations))
                    .import(from: redactedFolder)
                #expect(
                    try await target.scalar("SELECT count(*) FROM kinds WHERE t IS NOT NULL") == "0"
                )
                #expect(
                    try await target.scalar("SELECT count(*) FROM kinds WHERE i IS NOT NULL") != "0"
                )
            }
        }
    }

    /// `[export] secret_columns` is read from `ferry.toml` and from
    /// `FERRY_EXPORT_SECRET_COLUMNS`, the variable over the file.
    @Test func theSecretColumnsAreASetting() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml",
            """
            [database]
            url = "app.db"

            [export]
            secret_columns = ["users.password_hash", "users.totp_secret"]
            """)
        let engines = DatabaseEngines([SQLiteEngine.kind])
        let fromFile = try Settings.file(at: file, engines: engines)
        #expect(fromFile.secretColumns == ["users.password_hash", "users.totp_secret"])
        #expect(
            try fromFile.configuration(engines: engines).exportSecretColumns
                == ["users.password_hash", "users.totp_secret"])
        let both = fromFile.overridden(
            by: try Settings.environment(
                ["FERRY_EXPORT_SECRET_COLUMNS": "a.b, c.d"], engines: engines))
        #expect(both.secretColumns == ["a.b", "c.d"])
        let wrong = try folder.write("wrong.toml", "[export]\nsecret_columns = \"users.x\"\n")
        #expect(throws: FerryError.self) { try Settings.file(at: wrong, engines: engines) }
    }

    /// An export taken at a release newer than the importing program's is
    /// refused, with nothing written.
    @Test func anExportFromANewerReleaseIsRefused() async throws {
        try await withTestDatabase(.sqlite) { source in
            let migrations = try ExportFixtures.migrations(for: .sqlite, in: source.folder.url)
            let newer = source.folder.url.appendingPathComponent("newer")
            try FileManager.default.copyItem(at: migrations, to: newer)
            let release = newer.appendingPathComponent("0.2.0")
            try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
            try "CREATE TABLE extra (id INTEGER PRIMARY KEY);\n".write(
                to: release.appendingPathComponent("001_extra.sql"), atomically: true,
                encoding: .utf8)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: newer))
            try await sourceFerry.upgrade()
            let folder = source.folder.url.appendingPathComponent("export")
            _ = try await sourceFerry.export(to: folder)
            try await withTestDatabase(.sqlite) { target in
                let error = await #expect(throws: FerryError.self) {
                    try await Ferry(ExportFixtures.configuration(target, migrations: migrations))
                        .import(from: folder)
                }
                #expect(error?.code == .invalidExport)
                #expect(error?.message.contains("newer than this program's release 0.1.0") == true)
                #expect(!FileManager.default.fileExists(atPath: target.location))
            }
        }
    }

    /// Rows whose parent is not in the export (one table exported alone)
    /// are refused by the foreign key check, and none of them is written.
    @Test(arguments: TestEngine.underTest)
    func rowsWithoutTheirParentsAreRefusedWithNothingWritten(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try ExportFixtures.migrations(for: engine, in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await sourceFerry.upgrade()
            try await ExportFixtures.fill(source)
            let folder = source.folder.url.appendingPathComponent("children")
            _ = try await sourceFerry.export(
                to: folder, options: ExportOptions(tables: ["children"]))
            try await withTestDatabase(engine) { target in
                let ferry = Ferry(ExportFixtures.configuration(target, migrations: migrations))
                try await ferry.upgrade()
                let error = await #expect(throws: FerryError.self) {
                    try await ferry.import(from: folder)
                }
                // PostgreSQL refuses the first such row as it loads, SQLite all of them at the end.
                #expect(error?.code == .constraintViolation, "\(String(describing: error))")
                #expect(error?.changes?.hasPrefix("Nothing was changed") == true)
                #expect(
                    error?.message.hasPrefix(
                        engine == .sqlite ? "The import would leave" : "Could not load children")
                        == true, "\(String(describing: error))")
                // Said of the import and the export, not of a migration.
                #expect(error?.advice?.contains("export the entities") == true)
                #expect(error?.advice?.contains("migration") == false)
                #expect(try await target.scalar("SELECT count(*) FROM children") == "0")
            }
        }
    }

    /// A dry run into a database that does not exist yet reports every row
    /// as new and the release it would reach, and creates nothing.
    @Test func aDryRunIntoANewDatabaseCreatesNothing() async throws {
        try await withTestDatabase(.sqlite) { source in
            try await ExampleApplication.makeDatabase(at: "0.3.0", in: source)
            let folder = source.folder.url.appendingPathComponent("export")
            let exported = try await Ferry(ExampleApplication.configuration(source))
                .export(to: folder)
            try await withTestDatabase(.sqlite) { target in
                let report = try await Ferry(ExampleApplication.configuration(target))
                    .import(from: folder, options: ImportOptions(dryRun: true))
                #expect(report.dryRun)
                #expect(report.exportRelease == "0.3.0")
                #expect(report.from == nil)
                #expect(report.release == ExampleApplication.newestRelease)
                #expect(report.tables.map(\.inserted) == exported.tables.map(\.rows))
                #expect(!FileManager.default.fileExists(atPath: target.location))
            }
        }
    }

    /// An existing, non-empty destination is refused with nothing written.
    @Test func aDestinationThatIsNotEmptyIsRefused() async throws {
        try await withTestDatabase(.sqlite) { source in
            let migrations = try ExportFixtures.migrations(for: .sqlite, in: source.folder.url)
            let ferry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await ferry.upgrade()
            let folder = source.folder.url.appendingPathComponent("export")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: folder.appendingPathComponent("notes.txt"))
            let error = await #expect(throws: FerryError.self) {
                try await ferry.export(to: folder)
            }
            #expect(error?.code == .invalidExport)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
        }
    }

    /// Into a database with data: `empty` refuses a key conflict with
    /// nothing written; `merge` inserts the new rows and lists each
    /// conflict; `skip` keeps the existing rows; each takes a pre-import backup.
    @Test(arguments: TestEngine.underTest)
    func importIntoADatabaseWithDataUnderEachMode(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try ExportFixtures.migrations(for: engine, in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await sourceFerry.upgrade()
            try await source.load(
                "INSERT INTO kinds (id, t) VALUES (1, 'one'), (2, 'two'), (3, 'three');")
            let folder = source.folder.url.appendingPathComponent("export")
            _ = try await sourceFerry.export(to: folder, options: ExportOptions(tables: ["kinds"]))

            for mode in ImportMode.allCases {
                try await withTestDatabase(engine) { target in
                    let ferry = Ferry(ExportFixtures.configuration(target, migrations: migrations))
                    try await ferry.upgrade()
                    try await target.load("INSERT INTO kinds (id, t) VALUES (2, 'mine');")
                    let before = try await ExportFixtures.rows(of: "kinds", in: target)

                    // A dry run reports the conflict and writes nothing.
                    let dryRun = try await ferry.import(
                        from: folder, options: ImportOptions(mode: mode, dryRun: true))
                    #expect(dryRun.tables.first?.conflicts == 1)
                    #expect(dryRun.tables.first?.conflictKeys == ["id=2"])
                    #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)

                    switch mode {
                    case .empty:
                        let error = await #expect(throws: FerryError.self) {
                            try await ferry.import(from: folder, options: ImportOptions(mode: mode))
                        }
                        #expect(error?.code == .invalidExport)
                        #expect(error?.message.contains("id=2") == true)
                        #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)
                    case .merge, .skip:
                        let report = try await ferry.import(
                            from: folder, options: ImportOptions(mode: mode))
                        #expect(report.tables.first?.inserted == 2)
                        #expect(report.tables.first?.conflicts == 1)
                        #expect(report.tables.first?.conflictKeys == ["id=2"])
                        #expect(report.backup?.contains("pre-import") == true)
                        #expect(
                            try await target.scalar("SELECT t FROM kinds WHERE id = 2") == "mine")
                        #expect(try await target.scalar("SELECT count(*) FROM kinds") == "3")
                        let events = try await ferry.historyWithEvents().events
                        #expect(events.last?.kind == .imported)
                        #expect(events.last?.backup == report.backup)
                        #expect(events.last?.note?.contains("2 rows from") == true)
                    }
                }
            }
        }
    }

    /// A table large enough that the load inserts many rows per statement:
    /// conflicts in the middle of those statements are counted and listed
    /// exactly as one row at a time would, and the target's rows stay theirs.
    @Test(arguments: TestEngine.underTest)
    func conflictsAmongManyRowsAreCountedExactly(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try ExportFixtures.migrations(for: engine, in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await sourceFerry.upgrade()
            try await source.load(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000) "
                    + "INSERT INTO kinds (id, t) SELECT x, 'kind ' || x FROM n;")
            let folder = source.folder.url.appendingPathComponent("export")
            _ = try await sourceFerry.export(to: folder, options: ExportOptions(tables: ["kinds"]))

            try await withTestDatabase(engine) { target in
                let ferry = Ferry(ExportFixtures.configuration(target, migrations: migrations))
                try await ferry.upgrade()
                try await target.load(
                    "INSERT INTO kinds (id, t) VALUES (5, 'mine'), (1500, 'mine'), (2999, 'mine');")
                let before = try await ExportFixtures.rows(of: "kinds", in: target)

                let error = await #expect(throws: FerryError.self) {
                    try await ferry.import(from: folder, options: ImportOptions(mode: .empty))
                }
                #expect(error?.message.contains("id=5") == true, "\(String(describing: error))")
                #expect(try await ExportFixtures.rows(of: "kinds", in: target) == before)

                let report = try await ferry.import(
                    from: folder, options: ImportOptions(mode: .merge))
                #expect(report.tables.first?.rows == 3000)
                #expect(report.tables.first?.inserted == 2997)
                #expect(report.tables.first?.conflicts == 3)
                #expect(report.tables.first?.conflictKeys == ["id=5", "id=1500", "id=2999"])
                #expect(try await target.scalar("SELECT count(*) FROM kinds") == "3000")
                #expect(
                    try await target.scalar("SELECT count(*) FROM kinds WHERE t = 'mine'") == "3")
                #expect(
                    try await target.scalar("SELECT t FROM kinds WHERE id = 2998") == "kind 2998")
            }
        }
    }

    /// The example application, exported at its newest release and
    /// imported into a new database, has every row equal; one exported at
    /// an older release is upgraded through the import, and ends as the
    /// source upgraded by Ferry.
    @Test(arguments: TestEngine.underTest)
    func theExampleApplicationMovesWithEveryRowEqual(engine: TestEngine) async throws {
        for release in [ExampleApplication.newestRelease, "0.3.0"] {
            try await withTestDatabase(engine) { source in
                try await ExampleApplication.makeDatabase(at: release, in: source)
                let folder = source.folder.url.appendingPathComponent("export-\(release)")
                _ = try await Ferry(ExampleApplication.configuration(source)).export(to: folder)
                try await withTestDatabase(engine) { target in
                    let report = try await Ferry(ExampleApplication.configuration(target))
                        .import(from: folder)
                    #expect(report.release == ExampleApplication.newestRelease)
                    if release != ExampleApplication.newestRelease {
                        try await Ferry(ExampleApplication.configuration(source)).upgrade()
                    }
                    let expected = try await source.snapshot().rows.filter {
                        !$0.key.hasPrefix("ferry_") && !$0.key.hasPrefix("sqlite_")
                    }
                    let actual = try await target.snapshot().rows.filter {
                        !$0.key.hasPrefix("ferry_") && !$0.key.hasPrefix("sqlite_")
                    }
                    #expect(actual == expected, "release \(release)")
                    #expect((expected["sensor_history"]?.count ?? 0) > 0)
                }
            }
        }
    }
}
