import Foundation
import Testing

@testable import Ferry

/// What `adopt` computes alone: the other tools' checksums, their times,
/// and how their versions compare.
@Suite struct ForeignHistoryTests {
    @Test func flywaysChecksumIsTheCRC32OfTheLinesWithoutTheirEnds() {
        // CRC-32's check value: "123456789" gives 0xCBF43926 (as java.util.zip.CRC32).
        #expect(ToolChecksum.flywayCRC32(of: "123456789") == Int32(bitPattern: 0xCBF4_3926))
        #expect(ToolChecksum.flywayCRC32(of: "") == 0)
        // Line endings and a byte-order mark do not count, as Flyway reads lines.
        let script = "CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n"
        let crc = ToolChecksum.flywayCRC32(of: script)
        #expect(
            ToolChecksum.flywayCRC32(of: script.replacingOccurrences(of: "\n", with: "\r\n")) == crc
        )
        #expect(ToolChecksum.flywayCRC32(of: "\u{FEFF}" + script) == crc)
        #expect(ToolChecksum.flywayCRC32(of: script + "-- more\n") != crc)
    }

    @Test func sqlxsChecksumIsTheSHA384OfTheBytes() {
        // SHA-384 of "abc" (FIPS 180-2, appendix D.1).
        #expect(
            ToolChecksum.sqlxSHA384("").recomputed(from: "abc")
                == .sqlxSHA384(
                    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                        + "8086072ba1e7cc2358baeca134c825a7"))
    }

    @Test func theToolsTimesReadAsUTC() {
        let noon = Date(timeIntervalSince1970: 1_709_294_400)  // 2024-03-01T12:00:00Z
        for text in [
            "2024-03-01 12:00:00", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.000Z",
            "2024-03-01T14:00:00+02:00",
        ] {
            #expect(ForeignHistory.date(.text(text)) == noon, "\(text)")
        }
        let withFraction = ForeignHistory.date(.text("2024-03-01 12:00:00.250"))
        #expect(withFraction.map { abs($0.timeIntervalSince(noon) - 0.25) < 0.001 } == true)
        // Whatever is not a time is no time, never a crash.
        for text in ["", "yesterday", "2024-13-45 99:99:99", ".", "2024-03-01 12:00:00.5.5"] {
            #expect(ForeignHistory.date(.text(text)) == nil, "\(text)")
        }
        #expect(ForeignHistory.date(.integer(3)) == nil)
    }

    @Test func versionsCompareAsTheirToolsCompareThem() {
        func migration(_ version: String) -> Migration {
            Migration(
                release: Release(1, 0, 0), name: "V\(version)__x", body: .sql(SQLScript(text: "")),
                checksum: "", toolVersion: version)
        }
        #expect(ForeignHistory.matches(migration("1.10"), "1.10.0", tool: .flyway))
        #expect(ForeignHistory.matches(migration("1_1"), "1.1", tool: .flyway))
        #expect(!ForeignHistory.matches(migration("1.1"), "1.10", tool: .flyway))
        #expect(ForeignHistory.matches(migration("0002"), "2", tool: .golangMigrate))
        #expect(
            ForeignHistory.matches(migration("20240101000000"), "2024-01-01-000000", tool: .diesel))
        #expect(ForeignHistory.isAtOrBefore(migration("1.9"), "1.10", tool: .flyway))
        #expect(!ForeignHistory.isAtOrBefore(migration("1.10"), "1.9", tool: .flyway))
        #expect(ForeignHistory.isAtOrBefore(migration("1.10"), "1.10", tool: .flyway))
        #expect(ForeignHistory.isAtOrBefore(migration("1"), "1.0.1", tool: .flyway))
        // Tools whose migrations are code match by name, with or without a leading number.
        let named = Migration(
            release: Release(1, 0, 0), name: "003_ae1027a6acf", body: .sql(SQLScript(text: "")),
            checksum: "")
        #expect(ForeignHistory.matches(named, "ae1027a6acf", tool: .alembic))
        #expect(ForeignHistory.matches(named, "003_ae1027a6acf", tool: .grdb))
        #expect(!ForeignHistory.matches(named, "1027a6acf", tool: .alembic))
    }
}
