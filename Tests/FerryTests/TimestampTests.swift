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

    @Test func readsTimestampsWithoutFractionAndRefusesOtherText() throws {
        let read = try #require(Timestamp.date(from: "2026-11-21T18:00:00Z"))
        #expect(read == (try Date.ISO8601FormatStyle().parse("2026-11-21T18:00:00Z")))
        #expect(Timestamp.date(from: "2026-11-21 18:00:00") == nil)
        #expect(Timestamp.date(from: "yesterday") == nil)
    }
}
