import Ferry
import Foundation
import Testing

@Suite struct TimestampTests {
    @Test func readsWhatItWritesAsFoundationDoes() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        let samples =
            (0..<2000).map { _ in
                Date(timeIntervalSince1970: Double.random(in: -2e9...6e9, using: &generator))
            }
            // 2000-02-29.
            + [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.5)]
        for date in samples {
            let text = Timestamp.string(from: date)
            let read = try #require(Timestamp.date(from: text))
            let foundation = try style.parse(text)
            #expect(abs(read.timeIntervalSince(foundation)) < 1e-6, "\(text)")
            // Milliseconds are written; a Date far from 2001 carries microseconds of rounding besides.
            #expect(abs(read.timeIntervalSince(date)) < 0.0011, "\(text)")
        }
    }

    @Test func textReadAndWrittenAgainIsTheSameText() throws {
        var generator = SystemRandomNumberGenerator()
        let samples =
            (0..<5000).map { _ in
                Date(timeIntervalSince1970: Double.random(in: -2e9...6e9, using: &generator))
            }
            + [
                Date(timeIntervalSince1970: 0.9995), Date(timeIntervalSince1970: -0.0004),
                Date(timeIntervalSince1970: 59.9999),
            ]
        for date in samples {
            let text = Timestamp.string(from: date)
            #expect(text.count == 24, "\(text)")
            let read = try #require(Timestamp.date(from: text))
            #expect(Timestamp.string(from: read) == text)
            #expect(
                abs(read.timeIntervalSince(date)) <= 0.0005 + 1e-6,
                "\(text) for \(date.timeIntervalSince1970)")
        }
        #expect(
            Timestamp.string(from: Date(timeIntervalSince1970: 59.9999))
                == "1970-01-01T00:01:00.000Z")
        #expect(
            Timestamp.string(from: Date(timeIntervalSince1970: -0.0004))
                == "1970-01-01T00:00:00.000Z")
    }

    @Test func writesWhatFoundationsFormatStyleWrites() throws {
        let style = Date.ISO8601FormatStyle()
        var generator = SystemRandomNumberGenerator()
        // Whole seconds over the years 1583–9999 (written by hand), the days around leap days and
        // year ends, and before and after them (written by the format style).
        let edges: [Double] = [
            -12_212_553_600, -12_212_553_601, 253_402_300_799, 253_402_300_800, 0, -1, 86_399,
            86_400, 951_782_400, 951_868_799, -2_203_891_200, 4_107_542_400, 1_798_761_599,
            -62_135_596_800,
        ]
        let seconds =
            edges
            + (0..<20_000).map { _ in
                Double.random(in: -12_212_553_600...253_402_300_799, using: &generator)
                    .rounded(.down)
            }
        for whole in seconds {
            let milliseconds = Int.random(in: 0..<1000, using: &generator)
            let date = Date(timeIntervalSince1970: whole + Double(milliseconds) / 1000)
            let expected =
                style.format(Date(timeIntervalSince1970: whole)).dropLast()
                + "." + String(1000 + milliseconds).dropFirst() + "Z"
            #expect(Timestamp.string(from: date) == expected, "\(whole) s, \(milliseconds) ms")
        }
    }

    @Test func readsTimestampsWithoutFractionAndRefusesOtherText() throws {
        let read = try #require(Timestamp.date(from: "2026-11-21T18:00:00Z"))
        #expect(read == (try Date.ISO8601FormatStyle().parse("2026-11-21T18:00:00Z")))
        #expect(Timestamp.date(from: "2026-11-21 18:00:00") == nil)
        #expect(Timestamp.date(from: "yesterday") == nil)
    }
}
