import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// An export of one engine imported into the other: the target's schema
/// comes from the application's own migrations for that engine, and each
/// value is converted by the target column's type, or refused with its
/// table, key and column (never guessed, never damaged in silence).
@Suite("Import across engines") struct CrossEngineImportTests {
    /// The other engine than SQLite, when its server is there.
    static let postgres = TestEngine.underTest.filter { $0 == .postgres }

    /// One table, loosely typed on SQLite and strictly on PostgreSQL.
    static func migrations(for engine: TestEngine, in folder: URL) throws -> URL {
        let migrations = folder.appendingPathComponent("things-\(engine)")
        let release = migrations.appendingPathComponent("0.1.0")
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        let script =
            engine == .sqlite
            ? """
            CREATE TABLE things (id INTEGER PRIMARY KEY, big INTEGER, r REAL, t TEXT, b BLOB,
                                 flag BOOLEAN NOT NULL, at INTEGER, created DATETIME, day DATE,
                                 price NUMERIC);
            """
            : """
            CREATE TABLE things (id bigint PRIMARY KEY, big bigint, r double precision, t text,
                                 b bytea, flag boolean NOT NULL, at timestamptz, created timestamptz,
                                 day date, price numeric);
            """
        try script.write(
            to: release.appendingPathComponent("001_things.sql"), atomically: true,
            encoding: .utf8)
        return migrations
    }

    static func configuration(_ database: TestDatabase, migrations: URL) -> Ferry.Configuration {
        ExportFixtures.configuration(database, migrations: migrations)
    }

    /// The rows a SQLite application wrote: epoch milliseconds in `at`,
    /// 0 and 1 in `flag`, ISO text with and without a zone in `created`.
    static let goodRows = """
        INSERT INTO things VALUES
          (1, 9223372036854775807, 0.1, 'émoji 🚀 CR' || char(13) || 'LF' || char(10), x'00ff', 1,
           1709251620000, '2024-03-01T00:07:00Z', '2024-02-29', '12.50'),
          (2, -1, -1e308, '', x'', 0, 1709251620123, '2024-03-01 10:00:00+02:00', NULL, 3),
          (3, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL);
        """

    /// A SQLite database of the table at 0.1.0 with rows, and its export.
    static func exported(_ rows: String, in source: TestDatabase) async throws -> URL {
        let migrations = try Self.migrations(for: .sqlite, in: source.folder.url)
        try await Ferry(configuration(source, migrations: migrations)).upgrade()
        try await source.load(rows)
        let folder = source.folder.url.appendingPathComponent("export-\(UUID().uuidString)")
        try await Ferry(configuration(source, migrations: migrations)).export(to: folder)
        return folder
    }

    /// Numbers under a date or time column are refused until a rule says
    /// what they count: the dry run lists each with its key, the import
    /// refuses with nothing written; with `[[import.convert]]` every value
    /// arrives as the same value, converted by the target column's type.
    @Test(arguments: postgres)
    func sqliteValuesArriveInPostgresByTheTargetsTypes(target engine: TestEngine) async throws {
        try await withTestDatabase(.sqlite) { source in
            let folder = try await Self.exported(Self.goodRows, in: source)
            try await withTestDatabase(engine) { target in
                let migrations = try Self.migrations(for: engine, in: target.folder.url)
                var configuration = Self.configuration(target, migrations: migrations)

                let dryRun = try await Ferry(configuration).import(
                    from: folder, options: ImportOptions(dryRun: true))
                let things = try #require(dryRun.tables.first)
                #expect(things.refused == 2, "\(things)")
                #expect(
                    things.refusedValues.first?.hasPrefix(
                        "things id=1: at = 1709251620000 is a number under a date or time column")
                        == true, "\(things.refusedValues)")

                let refused = try await #require(throws: FerryError.self) {
                    try await Ferry(configuration).import(from: folder)
                }
                #expect(refused.code == .invalidExport)
                #expect(refused.message.contains("things id=1: at = 1709251620000"), "\(refused)")
                #expect(refused.changes?.hasPrefix("Nothing was changed") == true, "\(refused)")
                let untouched = try await target.engine.readState()
                #expect(untouched.release == nil && untouched.unmanagedTables.isEmpty)

                let settingsFile = try target.folder.write(
                    "ferry.toml",
                    """
                    [[import.convert]]
                    column = "things.at"
                    from = "unix_milliseconds"
                    """)
                configuration.importConversions =
                    try Settings.file(at: settingsFile).importConversions ?? []
                let report = try await Ferry(configuration).import(from: folder)
                let converted = Dictionary(
                    uniqueKeysWithValues: (report.tables.first?.converted ?? []).map {
                        ($0.column, $0.values)
                    })
                #expect(converted == ["flag": 3, "at": 2, "created": 1])
                let rows = try await target.psql([
                    "-q", "-A", "-t", "-c",
                    """
                    SET TimeZone = 'UTC';
                    SELECT id, big, r, t, encode(b, 'hex'), flag, at, created, day, price
                      FROM things ORDER BY id
                    """,
                ])
                #expect(
                    rows.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                        == [
                            "1|9223372036854775807|0.1|émoji 🚀 CR\rLF",
                            "|00ff|t|2024-03-01 00:07:00+00|2024-03-01 00:07:00+00|2024-02-29|12.5",
                            "2|-1|-1e+308|||f|2024-03-01 00:07:00.123+00|2024-03-01 08:00:00+00||3",
                            "3|||||f||||", "",
                        ], "\(rows)")
            }
        }
    }

    /// An empty PostgreSQL database, as `createdb` makes it, takes an
    /// import without a backup folder: there is nothing in it to back up.
    /// (It was refused, asking for a folder for a backup of nothing.)
    @Test(arguments: postgres)
    func anEmptyDatabaseTakesAnImportWithoutABackupFolder(target engine: TestEngine) async throws {
        try await withTestDatabase(.sqlite) { source in
            let folder = try await Self.exported(
                "INSERT INTO things (id, flag) VALUES (1, 1), (2, 0);", in: source)
            try await withTestDatabase(engine) { target in
                let migrations = try Self.migrations(for: engine, in: target.folder.url)
                var configuration = Self.configuration(target, migrations: migrations)
                configuration.backupsDirectory = nil
                let report = try await Ferry(configuration).import(from: folder)
                #expect(report.tables.first?.inserted == 2)
                #expect(report.backup == nil)
            }
        }
    }

    /// A value the target cannot take as the same value — a flag of 2, the
    /// text `now` or `datetime('now')` under a timestamp (which the target
    /// would otherwise read as the moment of the import) — is listed by the
    /// dry run and refuses the import, naming table, key and column.
    @Test(arguments: postgres)
    func aValueTheTargetCannotTakeIsRefusedWithItsKey(target engine: TestEngine) async throws {
        try await withTestDatabase(.sqlite) { source in
            let folder = try await Self.exported(
                """
                INSERT INTO things (id, flag, created) VALUES (1, 2, NULL), (2, 1, 'now'),
                    (3, 0, 'datetime(''now'')'), (4, 1, '2024-02-30T00:00:00Z'), (5, 1, '2024-03-01');
                """, in: source)
            try await withTestDatabase(engine) { target in
                let migrations = try Self.migrations(for: engine, in: target.folder.url)
                let configuration = Self.configuration(target, migrations: migrations)
                let dryRun = try await Ferry(configuration).import(
                    from: folder, options: ImportOptions(dryRun: true))
                let things = try #require(dryRun.tables.first)
                #expect(things.inserted == 1, "\(things)")
                #expect(
                    things.refusedValues == [
                        "things id=1: flag = 2 is not a boolean (true, false, 0 or 1)",
                        "things id=2: created = 'now' is not a date or time in ISO 8601 (such as 2024-03-01T12:00:00Z), so it cannot be read without guessing",
                        "things id=3: created = 'datetime('now')' is not a date or time in ISO 8601 (such as 2024-03-01T12:00:00Z), so it cannot be read without guessing",
                        "things id=4: created = '2024-02-30T00:00:00Z' is not a date or time in ISO 8601 (such as 2024-03-01T12:00:00Z), so it cannot be read without guessing",
                    ], "\(things.refusedValues)")

                let refused = try await #require(throws: FerryError.self) {
                    try await Ferry(configuration).import(from: folder)
                }
                #expect(refused.message.contains("things id=1: flag = 2"), "\(refused)")
                let untouched = try await target.engine.readState()
                #expect(untouched.release == nil && untouched.unmanagedTables.isEmpty)
            }
        }
    }

    /// The example application moved from SQLite to PostgreSQL (its
    /// PostgreSQL twin's migrations) and back: every row of every table is
    /// the same, value by value and kind by kind.
    @Test(arguments: postgres)
    func theExampleMovesToPostgresAndBackWithEveryRowEqual(through engine: TestEngine)
        async throws
    {
        try await withExample(at: ExampleApplication.newestRelease, on: .sqlite) { source in
            let there = source.folder.url.appendingPathComponent("to-postgres")
            try await source.ferry.export(to: there)
            try await withTestDatabase(engine) { middle in
                let migrations = try ExampleApplication.copyMigrations(
                    for: engine, to: middle.folder.url)
                let postgres = Ferry(
                    ExampleApplication.configuration(middle, migrations: migrations))
                try await postgres.import(from: there)
                let back = middle.folder.url.appendingPathComponent("to-sqlite")
                try await postgres.export(to: back)
                try await withTestDatabase(.sqlite) { returned in
                    let migrations = try ExampleApplication.copyMigrations(
                        for: .sqlite, to: returned.folder.url)
                    let report = try await Ferry(
                        ExampleApplication.configuration(returned, migrations: migrations)
                    ).import(from: back)
                    #expect(report.tables.count == 4, "\(report.tables.map(\.name))")
                    for table in report.tables {
                        let expected = try await ExportFixtures.rows(
                            of: table.name, in: source.database)
                        #expect(!expected.isEmpty, "\(table.name)")
                        #expect(
                            try await ExportFixtures.rows(of: table.name, in: returned)
                                == expected, "\(table.name)")
                    }
                }
            }
        }
    }

    /// A value that only the server judges (a date of year 0, which
    /// PostgreSQL's calendar does not have) is refused as a value of the
    /// export, naming the row the server stopped at, not the last row read.
    @Test(arguments: postgres)
    func aValueOnlyTheServerRefusesNamesItsRow(target engine: TestEngine) async throws {
        try await withTestDatabase(.sqlite) { source in
            let folder = try await Self.exported(
                """
                INSERT INTO things (id, flag, day) VALUES (1, 1, '2024-02-29'), (2, 0, '0000-01-01'),
                    (3, 1, '2024-03-01'), (4, 1, '2024-03-02');
                """, in: source)
            try await withTestDatabase(engine) { target in
                let migrations = try Self.migrations(for: engine, in: target.folder.url)
                let refused = try await #require(throws: FerryError.self) {
                    try await Ferry(Self.configuration(target, migrations: migrations))
                        .import(from: folder)
                }
                #expect(refused.code == .invalidExport, "\(refused)")
                #expect(
                    refused.message.contains("things (at the 2nd of its rows sent)"), "\(refused)")
                #expect(refused.message.contains("PostgreSQL refused a value"), "\(refused)")
                #expect(refused.changes?.hasPrefix("Nothing was changed") == true, "\(refused)")
                let untouched = try await target.engine.readState()
                #expect(untouched.release == nil && untouched.unmanagedTables.isEmpty)
            }
        }
    }

    /// A dry run into PostgreSQL leaves a device with a value the target
    /// would refuse out and goes on; its sensors then have no parent, and
    /// the refusal says which row was left out and why, instead of blaming
    /// the export for references it does hold.
    @Test(arguments: postgres)
    func aDryRunNamesTheRefusedParentOfRowsWithoutOne(target engine: TestEngine) async throws {
        try await withExample(at: ExampleApplication.newestRelease, on: .sqlite) { source in
            try await source.database.load("UPDATE devices SET created_at = 'now' WHERE id = 1")
            let folder = source.folder.url.appendingPathComponent("to-postgres")
            try await source.ferry.export(to: folder)
            try await withTestDatabase(engine) { target in
                let migrations = try ExampleApplication.copyMigrations(
                    for: engine, to: target.folder.url)
                let error = try await #require(throws: FerryError.self) {
                    try await Ferry(
                        ExampleApplication.configuration(target, migrations: migrations)
                    )
                    .import(from: folder, options: ImportOptions(dryRun: true))
                }
                #expect(
                    error.message.contains(
                        "Left out by this import: 1 row of devices with a value the target would refuse (devices id=1: created_at = 'now'"
                    ), "\(error)")
                #expect(error.changes == "Nothing was written: this was a dry run.", "\(error)")
                #expect(error.advice?.contains("a value the target refuses") == true, "\(error)")
            }
        }
    }

    /// A migrations folder of one release, 0.1.0, that makes one table with
    /// the engine's own statement.
    static func oneTable(
        _ name: String, sqlite: String, postgres: String, for engine: TestEngine, in folder: URL
    ) throws -> URL {
        let migrations = folder.appendingPathComponent("\(name)-\(engine)")
        let release = migrations.appendingPathComponent("0.1.0")
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        try (engine == .sqlite ? sqlite : postgres).write(
            to: release.appendingPathComponent("001_\(name).sql"), atomically: true,
            encoding: .utf8)
        return migrations
    }

    /// A table of loose values: an untyped SQLite column, texts, reals.
    static func looseMigrations(for engine: TestEngine, in folder: URL) throws -> URL {
        try oneTable(
            "loose", sqlite: "CREATE TABLE loose (id INTEGER PRIMARY KEY, v, n TEXT, r REAL);",
            postgres:
                "CREATE TABLE loose (id bigint PRIMARY KEY, v text, n text, r double precision);",
            for: engine, in: folder)
    }

    /// What the target's engine cannot keep, or a text column would not give
    /// back, is refused with its key and column, both ways, instead of being
    /// changed on the way: bytes or a NUL into a PostgreSQL text, a NaN into
    /// SQLite (which stores it as NULL). Numbers into a text column arrive as
    /// their text and are counted as converted.
    @Test(arguments: postgres)
    func whatTheTargetCannotKeepIsRefusedBothWays(other engine: TestEngine) async throws {
        func load(
            _ rows: String, from source: TestDatabase, into target: TestDatabase
        ) async throws -> ImportReport.Table {
            try await Self.refusedRows(
                rows, from: source, into: target, other: engine, migrations: Self.looseMigrations)
        }
        try await withTestDatabase(.sqlite) { sqlite in
            try await withTestDatabase(engine) { other in
                let toOther = try await load(
                    """
                    INSERT INTO loose VALUES (1, 42, 'plain', 1.5), (2, 2.5, 'x', NULL),
                        (3, x'dead', 'y', NULL), (4, 'ok', 'a' || char(0) || 'b', NULL);
                    """, from: sqlite, into: other)
                #expect(toOther.inserted == 2, "\(toOther)")
                #expect(
                    toOther.refusedValues == [
                        "loose id=3: v = x'dead' is bytes, which a text column would not give back",
                        "loose id=4: n = 'a\u{00}b' holds the character NUL (U+0000), which this engine's texts cannot",
                    ], "\(toOther.refusedValues)")
                #expect(toOther.converted.map(\.column) == ["v"], "\(toOther.converted)")
                #expect(toOther.converted.first?.values == 2, "\(toOther.converted)")
            }
        }
        try await withTestDatabase(engine) { other in
            try await withTestDatabase(.sqlite) { sqlite in
                let toSQLite = try await load(
                    "INSERT INTO loose VALUES (1, 'a', 'b', 'NaN'), (2, 'c', 'd', 2.5);",
                    from: other, into: sqlite)
                #expect(toSQLite.inserted == 1, "\(toSQLite)")
                #expect(
                    toSQLite.refusedValues == [
                        "loose id=1: r = nan is NaN, which this engine would store as NULL"
                    ], "\(toSQLite.refusedValues)")
            }
        }
    }

    /// Exports rows of a table made by `migrations` from one database,
    /// imports them into the other: a dry run, whose first table it
    /// returns, then the import, which must be refused with the dry run's
    /// first refused value and change nothing.
    static func refusedRows(
        _ rows: String, from source: TestDatabase, into target: TestDatabase,
        other engine: TestEngine, migrations: (TestEngine, URL) throws -> URL
    ) async throws -> ImportReport.Table {
        let sourceMigrations = try migrations(
            source.kind == .sqlite ? .sqlite : engine, source.folder.url)
        try await Ferry(configuration(source, migrations: sourceMigrations)).upgrade()
        try await source.load(rows)
        let folder = source.folder.url.appendingPathComponent("export-\(UUID().uuidString)")
        try await Ferry(configuration(source, migrations: sourceMigrations)).export(to: folder)
        let targetMigrations = try migrations(
            target.kind == .sqlite ? .sqlite : engine, target.folder.url)
        let configuration = configuration(target, migrations: targetMigrations)
        let dryRun = try await Ferry(configuration).import(
            from: folder, options: ImportOptions(dryRun: true))
        let refused = try await #require(throws: FerryError.self) {
            try await Ferry(configuration).import(from: folder)
        }
        #expect(refused.changes?.hasPrefix("Nothing was changed") == true, "\(refused)")
        #expect(
            refused.message.contains(try #require(dryRun.tables.first?.refusedValues.first)),
            "\(refused)")
        return try #require(dryRun.tables.first)
    }

    /// A table of exact values: decimals, instants, a 32-bit real in PostgreSQL.
    static func exactMigrations(for engine: TestEngine, in folder: URL) throws -> URL {
        try oneTable(
            "exact",
            sqlite:
                "CREATE TABLE exact (id INTEGER PRIMARY KEY, amount NUMERIC(10,2), big NUMERIC, at DATETIME, f REAL);",
            postgres:
                "CREATE TABLE exact (id bigint PRIMARY KEY, amount numeric(10,2), big numeric, at timestamp, f real);",
            for: engine, in: folder)
    }

    /// What the target would round without a word is refused with its key
    /// and column, both ways: a decimal of more digits than a SQLite
    /// NUMERIC keeps (15, unless it is a 64-bit integer), and, into
    /// PostgreSQL, a seventh digit of a second, more decimals than the
    /// column's scale, a leap second, a double into a 32-bit real. What they keep goes through; every value refused in a
    /// row is named.
    @Test(arguments: postgres)
    func whatTheTargetWouldRoundIsRefusedBothWays(other engine: TestEngine) async throws {
        try await withTestDatabase(engine) { other in
            try await withTestDatabase(.sqlite) { sqlite in
                let toSQLite = try await Self.refusedRows(
                    """
                    INSERT INTO exact VALUES (1, 1.50, 12345678901234567890.5, NULL, NULL),
                        (2, 2.25, 123456789012345678, NULL, NULL),
                        (3, NULL, 0.1000000000000000000, NULL, NULL),
                        (4, NULL, 12345678901234567.000, NULL, NULL);
                    """, from: other, into: sqlite, other: engine,
                    migrations: Self.exactMigrations)
                #expect(toSQLite.inserted == 2, "\(toSQLite)")
                #expect(
                    toSQLite.refusedValues == [
                        "exact id=1: big = '12345678901234567890.5' has 21 significant digits, and this engine's NUMERIC column keeps 15 of a number that is not a 64-bit integer",
                        "exact id=4: big = '12345678901234567.000' has 17 significant digits, and this engine's NUMERIC column keeps 15 of a number that is not a 64-bit integer",
                    ], "\(toSQLite.refusedValues)")
            }
        }
        try await withTestDatabase(.sqlite) { sqlite in
            try await withTestDatabase(engine) { other in
                let toOther = try await Self.refusedRows(
                    """
                    INSERT INTO exact VALUES (1, 1.005, NULL, NULL, NULL),
                        (2, 2.125, NULL, '2024-03-01 12:00:00.1234567', NULL),
                        (3, 2.5, 1e30, '2024-03-01 12:00:00.123456', 0.5),
                        (4, 123456789.5, NULL, '2024-03-01 12:00:00.1234560', NULL),
                        (5, NULL, NULL, '2016-12-31 23:59:60', 16777217);
                    """, from: sqlite, into: other, other: engine,
                    migrations: Self.exactMigrations)
                #expect(toOther.inserted == 1, "\(toOther)")
                #expect(
                    toOther.refusedValues == [
                        "exact id=1: amount = 1.005 has 3 digits after the point, and its column numeric(10,2) keeps 2: this engine would round it",
                        "exact id=2: amount = 2.125 has 3 digits after the point, and its column numeric(10,2) keeps 2: this engine would round it; at = '2024-03-01 12:00:00.1234567' has 7 digits of a second, and its column timestamp without time zone keeps 6: this engine would round it",
                        "exact id=4: amount = 123456789.5 has 9 digits before the point, and its column numeric(10,2) keeps 8",
                        "exact id=5: at = '2016-12-31 23:59:60' is a leap second (:60), which its column timestamp without time zone would turn into the next minute; f = 16777217.0 has more digits than its column real keeps (a 32-bit float): this engine would store 16777216.0",
                    ], "\(toOther.refusedValues)")
            }
        }
    }
}
