import Ferry
import FerryTestSupport
import Foundation
import Testing

@testable import FerryPostgres

/// `COPY`'s binary format as the export reads it from psql: fields, NULLs,
/// rows longer than the read buffer, output that is not `COPY`'s refused,
/// and the values read by `COPY` equal to those read as query results.
@Suite("COPY binary reader") struct PostgresCopyReaderTests {
    /// The binary `COPY` output of `rows` (a field nil: NULL), its end
    /// marker included unless `ended` is false.
    func binary(_ rows: [[[UInt8]?]], ended: Bool = true, flags: UInt32 = 0) -> [UInt8] {
        func bigEndian<Number: FixedWidthInteger>(_ number: Number) -> [UInt8] {
            withUnsafeBytes(of: number.bigEndian, Array.init)
        }
        var bytes = PostgresCopyReader.signature + bigEndian(flags) + bigEndian(UInt32(0))
        for row in rows {
            bytes += bigEndian(Int16(row.count))
            for field in row {
                guard let field else {
                    bytes += bigEndian(Int32(-1))
                    continue
                }
                bytes += bigEndian(Int32(field.count)) + field
            }
        }
        if ended { bytes += bigEndian(Int16(-1)) }
        return bytes
    }

    /// Parses `bytes` as psql's output, each row's fields as their bytes (nil: NULL).
    func rows(_ bytes: [UInt8], columns: Int) throws -> [[[UInt8]?]] {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("copy-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var rows: [[[UInt8]?]] = []
        try PostgresCopyReader.parse(handle.fileDescriptor, columns: columns) { fields in
            rows.append(fields.map { $0.map { Array($0) } })
        }
        return rows
    }

    @Test func fieldsAndNullsAreRead() throws {
        let written: [[[UInt8]?]] = [
            [[1, 2, 3], nil, Array("plain".utf8)],
            [[], Array("\\N\ttab\n".utf8), [0, 0xff]],
        ]
        #expect(try rows(binary(written), columns: 3) == written)
        // No row at all, and rows of a table without columns.
        #expect(try rows(binary([]), columns: 2).isEmpty)
        #expect(try rows(binary([[], []]), columns: 0).count == 2)
    }

    @Test func aRowLongerThanTheBufferIsReadWhole() throws {
        let long = [UInt8](repeating: 0x78, count: 3 << 20)
        let written: [[[UInt8]?]] = [[[1], long], [[2], Array("short".utf8)]]
        #expect(try rows(binary(written), columns: 2) == written)
    }

    @Test func outputThatIsNotCopysIsRefused() throws {
        let good = binary([[[1], [2]]])
        var cases: [(String, [UInt8], Int)] = [
            ("another number of fields", good, 3),
            ("text COPY", Array("1\t2\n".utf8), 2),
            ("no end marker", binary([[[1], [2]]], ended: false), 2),
            ("cut in the middle of a row", Array(good.dropLast(3)), 2),
            ("cut in the header", Array(good.prefix(12)), 2),
            ("bytes after the end", good + [0], 2),
            ("rows with OIDs", binary([[[1], [2]]], flags: 1 << 16), 2),
        ]
        var negative = good
        // The first field's length, after the header (19 bytes) and the number of fields.
        negative.replaceSubrange(21..<25, with: [0xff, 0xff, 0xff, 0xfe])
        cases.append(("a length of -2", negative, 2))
        for (name, bytes, columns) in cases {
            #expect(throws: PostgresCopyReader.Malformed.self, "\(name)") {
                try rows(bytes, columns: columns)
            }
        }
    }

    @Test func aFieldOfTheWrongLengthForItsTypeIsRefused() throws {
        let rows = ExportRowBuffer(columns: 1) { _ in }
        for (column, length) in [
            (PostgresCopiedColumn.integer, 3), (.double, 4), (.boolean, 2),
        ] {
            let bytes = [UInt8](repeating: 1, count: length)
            #expect(throws: PostgresCopyReader.Malformed.self) {
                try bytes.withUnsafeBytes { try column.append($0, to: rows) }
            }
        }
    }

    struct Stop: Error {}

    /// What the caller's row handler throws (a full disk, say) comes out as
    /// itself, not as a failure of psql, which was stopped for it; the rows
    /// before it were read, and every row of a table without columns too.
    @Test(.enabled(if: TestEngine.underTest.contains(.postgres)))
    func whatTheRowHandlerThrowsComesOutAsItself() async throws {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                """
                CREATE TABLE numbers (n bigint PRIMARY KEY, t text);
                INSERT INTO numbers SELECT i, 'row ' || i FROM generate_series(1, 50000) AS i;
                CREATE TABLE nothing ();
                INSERT INTO nothing DEFAULT VALUES;
                INSERT INTO nothing DEFAULT VALUES;
                """)
            let engine = try #require(database.engine as? any ExportingEngine)
            try await engine.withExportSnapshot { snapshot in
                // psql is there: the rows come by COPY.
                #expect((snapshot as? PostgresExportSnapshot)?.copier != nil)
                let tables = try await snapshot.exportTables()
                let numbers = try #require(tables.first { $0.name == "numbers" })
                var read = 0
                await #expect(throws: Stop.self) {
                    try await snapshot.readRows(of: numbers, where: nil) { _ in
                        read += 1
                        if read == 1000 { throw Stop() }
                    }
                }
                #expect(read == 1000)
                // The snapshot still reads after the stop.
                let nothing = try #require(tables.first { $0.name == "nothing" })
                var empty = 0
                try await snapshot.readRows(of: nothing, where: nil) { values in
                    #expect(values.isEmpty)
                    empty += 1
                }
                #expect(empty == 2)
            }
        }
    }

    /// Every type the binary form reads as a value, every one it casts to
    /// text, a partitioned table, and a condition (as an entity's rows have):
    /// `COPY` reads the same values as the query results read without psql.
    @Test(.enabled(if: TestEngine.underTest.contains(.postgres)))
    func copyReadsWhatQueryResultsRead() async throws {
        try await withTestDatabase(.postgres) { database in
            try await database.load(
                #"""
                CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
                CREATE DOMAIN payload AS bytea;
                CREATE TABLE everything (id integer PRIMARY KEY, s smallint, i integer, b bigint,
                    d double precision, f real, flag boolean, raw bytea, t text, v varchar(10),
                    vn character varying, c char(5), n numeric, nm name, p positive, pl payload,
                    a integer[], addr inet, ts timestamptz, j jsonb);
                INSERT INTO everything VALUES
                    (1, -32768, -2147483648, -9223372036854775808, 'NaN', 'Infinity', true,
                     '\x00ff', E'tab\there\nline \\ back', 'vé', 'free', 'ab', 1.50, 'nm', 1,
                     '\x01', '{1,NULL}', '10.0.0.1/8', 'infinity', '{"k": [1, 2.5]}'),
                    (2, 32767, 2147483647, 9223372036854775807, '-0', 1.1, false, '', '', '', '',
                     '', 'NaN', '', 2147483647, '', '{}', '::1', '2026-12-03 01:02:03.456789+00',
                     'null'),
                    (3, 0, 0, 0, 5e-324, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                     NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                    (4, NULL, NULL, NULL, 0.1, 3.4028235e38, true, '\x', 'ü', 'x', 'y', 'abcde',
                     -0.000001, 'n', 7, '\x', '{{1,2},{3,4}}', '192.168.0.1', '-infinity', '[]');
                CREATE TABLE parent (id integer, k text) PARTITION BY RANGE (id);
                CREATE TABLE parent_1 PARTITION OF parent FOR VALUES FROM (0) TO (100);
                INSERT INTO parent VALUES (1, 'one'), (2, 'two'), (3, NULL);
                """#)
            let engine = try #require(database.engine as? any ExportingEngine)
            try await engine.withExportSnapshot { snapshot in
                let copying = try #require(snapshot as? PostgresExportSnapshot)
                #expect(copying.copier != nil)
                let querying = PostgresExportSnapshot(
                    connection: copying.connection, displayName: copying.displayName, copier: nil)
                let tables = try await snapshot.exportTables()
                #expect(Set(tables.map(\.name)) == ["everything", "parent", "parent_1"])
                for table in tables {
                    for condition in [nil, "id >= 2"] {
                        let copied = try await values(of: table, where: condition, in: copying)
                        let queried = try await values(of: table, where: condition, in: querying)
                        let expected =
                            (table.name == "everything" ? 4 : 3) - (condition == nil ? 0 : 1)
                        #expect(copied.count == expected)
                        #expect(copied == queried, "\(table.name) where \(condition ?? "true")")
                    }
                }
            }
        }
    }

    /// The rows of `table`, each value as its description (a NaN equals itself there).
    private func values(
        of table: ExportTable, where condition: String?, in snapshot: PostgresExportSnapshot
    ) async throws -> [[String]] {
        var rows: [[String]] = []
        try await snapshot.readRows(of: table, where: condition) { values in
            rows.append(values.map { String(describing: $0) })
        }
        return rows
    }

    @Test func aByteaIsReadFromItsHexForm() throws {
        #expect(try blob("\\x00ff10") == .blob([0, 255, 16]))
        #expect(try blob("\\x") == .blob([]))
        #expect(throws: PostgresCopyReader.Malformed.self) { try blob("\\x0") }
        #expect(throws: PostgresCopyReader.Malformed.self) { try blob("\\xzz") }
        #expect(throws: PostgresCopyReader.Malformed.self) { try blob("00ff") }
    }

    private func blob(_ text: String) throws -> ExportValue {
        var value = ExportValue.null
        let rows = ExportRowBuffer(columns: 1) { value = $0[0] }
        try Array(text.utf8).withUnsafeBufferPointer { bytes in
            try PostgresCopiedColumn.append(text: bytes, type: .blob, to: rows)
        }
        try rows.endRow()
        return value
    }
}
