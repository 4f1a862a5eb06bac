import Ferry
import FerryTestSupport
import Foundation
import Testing

@testable import FerryPostgres

/// An import into PostgreSQL sends a table's rows in `COPY`'s binary format
/// when each of its columns has a type whose binary form Ferry writes: the
/// values arrive as they did in the text format, a value from another engine
/// into a text column arrives as the text it had there, and a value its
/// column cannot hold is refused with nothing written.
@Suite("Import by binary COPY") struct BinaryCopyImportTests {
    static let postgres = TestEngine.underTest.filter { $0 == .postgres }

    /// A migrations folder whose release 0.1.0 runs `script`.
    static func migrations(_ script: String, named name: String, in folder: URL) throws -> URL {
        let migrations = folder.appendingPathComponent(name)
        let release = migrations.appendingPathComponent("0.1.0")
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        try script.write(
            to: release.appendingPathComponent("001_tables.sql"), atomically: true,
            encoding: .utf8)
        return migrations
    }

    static let binaryTable = """
        CREATE TABLE plain (id bigint PRIMARY KEY, s smallint, i integer, d double precision,
                            flag boolean, b bytea, t text, v varchar(8), vn character varying);
        """

    /// Every column type of the binary form, at its extremes, NULL and
    /// empty apart, through an export and an import between two PostgreSQL
    /// databases: every row reads the same in both.
    @Test(arguments: postgres)
    func valuesArriveAsTheyWere(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { source in
            let migrations = try Self.migrations(
                Self.binaryTable, named: "plain", in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: migrations))
            try await sourceFerry.upgrade()
            try await source.load(
                #"""
                INSERT INTO plain VALUES
                  (-9223372036854775808, -32768, -2147483648, 'NaN', true, '\x00ff',
                   E'tab\there\nline \\ back \\N', 'vé', E'\r'),
                  (9223372036854775807, 32767, 2147483647, '-Infinity', false, '\x', '', '', ''),
                  (0, 0, 0, '-0', NULL, NULL, NULL, NULL, NULL),
                  (1, NULL, NULL, 5e-324, true, '\x0a0d09', 'émoji 🚀 ∑', '12345678', 'x'),
                  (2, 1, 1, 1.7976931348623157e308, false, '\x5c4e', '\N', ' ', 'y'),
                  (3, -1, -1, 0.1, true, '\x', 'Infinity', 'NaN', 'z');
                """#)
            let tables = try await (source.engine as! any ExportingEngine).withExportSnapshot {
                try await $0.exportTables()
            }
            // Each column has a binary form: the rows go in binary.
            #expect(
                PostgresBinaryCopyEncoder(columns: tables[0].columns, target: tables[0]) != nil)
            let folder = source.folder.url.appendingPathComponent("export")
            try await sourceFerry.export(to: folder, options: ExportOptions(partBytes: 256))
            try await withTestDatabase(engine) { target in
                try await Ferry(ExportFixtures.configuration(target, migrations: migrations))
                    .import(from: folder)
                let expected = try await Self.rows(in: source)
                #expect(expected.count == 6)
                #expect(try await Self.rows(in: target) == expected)
                // Into a table with rows (merge): the rows go in binary into a scratch table.
                try await target.load("DELETE FROM plain WHERE id >= 1")
                let merged = try await Ferry(
                    ExportFixtures.configuration(target, migrations: migrations)
                ).import(from: folder, options: ImportOptions(mode: .merge))
                #expect(merged.tables.first?.inserted == 4, "\(merged)")
                #expect(try await Self.rows(in: target) == expected)
            }
        }
    }

    /// Each row of `plain` as the server prints it, in hexadecimal (a text
    /// may hold a line break).
    static func rows(in database: TestDatabase) async throws -> [String] {
        let output = try await database.psql([
            "-A", "-t", "-c",
            "SELECT encode(convert_to(p::text, 'UTF8'), 'hex') FROM plain p ORDER BY id",
        ])
        return output.split(separator: "\n").map(String.init)
    }

    /// Ferry on `target`, whose migrations make `loose` with strict PostgreSQL types.
    static func strictFerry(_ target: TestDatabase) throws -> Ferry {
        let migrations = try migrations(
            "CREATE TABLE loose (id bigint PRIMARY KEY, n integer, t text);",
            named: "loose-postgres", in: target.folder.url)
        return Ferry(ExportFixtures.configuration(target, migrations: migrations))
    }

    /// SQLite holds any value in any column: into a PostgreSQL text column
    /// an integer and a real arrive as their texts (bytes are refused, see
    /// `CrossEngineImportTests`); an integer too large for its
    /// `integer` column is refused, naming the table, the row and the
    /// column, and nothing is written.
    @Test(arguments: postgres)
    func valuesFromSQLiteArriveByTheirColumnsTypes(target engine: TestEngine) async throws {
        try await withTestDatabase(.sqlite) { source in
            let sqlite = try Self.migrations(
                "CREATE TABLE loose (id INTEGER PRIMARY KEY, n INTEGER, t TEXT);",
                named: "loose-sqlite", in: source.folder.url)
            let sourceFerry = Ferry(ExportFixtures.configuration(source, migrations: sqlite))
            try await sourceFerry.upgrade()
            try await source.load(
                """
                INSERT INTO loose VALUES (1, 7, 42), (2, -7, 0.1), (3, 0, '00ff'),
                    (4, NULL, 'text'), (5, 2147483647, -1e308), (6, -2147483648, NULL);
                """)
            let folder = source.folder.url.appendingPathComponent("export")
            try await sourceFerry.export(to: folder)
            try await withTestDatabase(engine) { target in
                try await Self.strictFerry(target).import(from: folder)
                let rows = try await target.psql([
                    "-A", "-t", "-c", "SELECT id, n, t FROM loose ORDER BY id",
                ])
                #expect(
                    rows.split(separator: "\n").map(String.init) == [
                        "1|7|42", "2|-7|0.1", "3|0|00ff", "4||text",
                        "5|2147483647|-1.0e+308", "6|-2147483648|",
                    ], "\(rows)")
            }
            try await source.load("INSERT INTO loose VALUES (7, 3000000000, 'too large')")
            let second = source.folder.url.appendingPathComponent("export-2")
            try await sourceFerry.export(to: second)
            try await withTestDatabase(engine) { target in
                let refused = try await #require(throws: FerryError.self) {
                    try await Self.strictFerry(target).import(from: second)
                }
                #expect(
                    refused.message.contains("loose (at the 7th of its rows sent)"), "\(refused)")
                #expect(
                    refused.engineMessage?.contains(
                        "n holds the integer 3000000000, which its column of type integer cannot hold"
                    ) == true, "\(refused)")
                #expect(refused.changes?.hasPrefix("Nothing was changed") == true, "\(refused)")
                let untouched = try await target.engine.readState()
                #expect(untouched.release == nil && untouched.unmanagedTables.isEmpty)
            }
        }
    }
}
