import Ferry
import FerryTestSupport
import Foundation
import Testing

@testable import FerryPostgres

/// `COPY`'s text format as the export reads it from psql: fields, NULLs,
/// every escape, lines longer than the read buffer, and output that is not
/// `COPY`'s refused.
@Suite("COPY text reader") struct PostgresCopyReaderTests {
    /// Parses `text` as psql's output, each row's fields as texts (nil: NULL).
    func rows(_ text: [UInt8], columns: Int) throws -> [[String?]] {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("copy-\(UUID().uuidString)")
        try Data(text).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var rows: [[String?]] = []
        try PostgresCopyReader.parse(handle.fileDescriptor, columns: columns) { fields in
            rows.append(fields.map { $0.map { String(decoding: $0, as: UTF8.self) } })
        }
        return rows
    }

    @Test func fieldsNullsAndEscapesAreRead() throws {
        let text = Array(
            "1\t\\N\tplain\n2\t\\\\N\ttab\\there\\nnew line\n3\t\\101\\x42\\b\\f\\r\\v\\q\t\n".utf8)
        let read = try rows(text, columns: 3)
        #expect(read.count == 3)
        #expect(read[0] == ["1", nil, "plain"])
        #expect(read[1] == ["2", "\\N", "tab\there\nnew line"])
        #expect(read[2] == ["3", "AB\u{8}\u{C}\r\u{B}q", ""])
    }

    @Test func aLineLongerThanTheBufferIsReadWhole() throws {
        let long = String(repeating: "x", count: 3 << 20)
        let read = try rows(Array("1\t\(long)\n2\tshort\n".utf8), columns: 2)
        #expect(read.map { $0[1]?.count } == [long.count, 5])
    }

    @Test func outputThatIsNotCopysIsRefused() throws {
        #expect(throws: PostgresCopyReader.Malformed.self) {
            try rows(Array("1\t2\n3\n".utf8), columns: 2)
        }
        #expect(throws: PostgresCopyReader.Malformed.self) {
            try rows(Array("1\t2\t3\n".utf8), columns: 2)
        }
        // Cut in the middle of a row, as psql's output is when it dies.
        #expect(throws: PostgresCopyReader.Malformed.self) {
            try rows(Array("1\t2\n3\t".utf8), columns: 2)
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
            try PostgresExportSnapshot.append(copied: bytes, type: .blob, to: rows)
        }
        try rows.endRow()
        return value
    }
}
