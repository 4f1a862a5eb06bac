import Foundation
import Testing

@testable import Ferry

/// The conversions an import applies on the way into another engine's
/// columns: each value arrives as the same value, or is refused.
@Suite struct ColumnConversionTests {
    @Test func theDateTimeGrammarReadsISO8601AndNothingElse() {
        for (text, iso) in [
            ("2024-03-01T00:07:00Z", "2024-03-01T00:07:00Z"),
            ("2024-03-01 00:07:00+00", "2024-03-01T00:07:00Z"),
            ("2024-03-01 10:00:00.123456-05:30", "2024-03-01T10:00:00.123456-05:30"),
            ("2024-03-01 10:00+0200", "2024-03-01T10:00:00+02:00"),
            ("2024-02-29", "2024-02-29"),
            ("23:59:60.5", "23:59:60.5"),
        ] {
            #expect(DateTimeText(text)?.iso8601() == iso, "\(text)")
        }
        for text in [
            "now", "datetime('now')", "CURRENT_TIMESTAMP", "2023-02-29", "2024-13-01",
            "2024-03-01T24:00:00", "2024-03-01T10:00:00 UTC", "1709251620000", "",
            "2024-03-01 00:07:00+00 BC", "infinity", "２０２４-03-01",
        ] {
            #expect(DateTimeText(text) == nil, "\(text)")
        }
    }

    @Test func epochNumbersBecomeTheirInstantOnlyByARule() throws {
        let timestamp = ColumnConversion(
            from: .integer, to: .timestampWithTimeZone, crossesEngines: true, epoch: .milliseconds)
        #expect(
            try timestamp.apply(.integer(1_709_251_620_123)) == .text("2024-03-01T00:07:00.123Z"))
        #expect(try timestamp.apply(.integer(-1)) == .text("1969-12-31T23:59:59.999Z"))
        #expect(try timestamp.apply(.integer(0)) == .text("1970-01-01T00:00:00Z"))
        #expect(throws: ColumnConversion.Refusal.self) {
            try timestamp.apply(.integer(.max))
        }
        let seconds = ColumnConversion(
            from: .integer, to: .date, crossesEngines: true, epoch: .seconds)
        #expect(try seconds.apply(.integer(951_782_400)) == .text("2000-02-29"))
        #expect(throws: ColumnConversion.Refusal.self) { try seconds.apply(.integer(951_782_401)) }
        let noRule = ColumnConversion(
            from: .integer, to: .timestamp, crossesEngines: true, epoch: nil)
        #expect(throws: ColumnConversion.Refusal.self) { try noRule.apply(.integer(1)) }
        #expect(try noRule.apply(.null) == .null)
        // A fraction under a rule is refused as such, not as a number without a rule.
        let fraction = try #require(throws: ColumnConversion.Refusal.self) {
            try ColumnConversion(
                from: .real, to: .timestampWithTimeZone, crossesEngines: true, epoch: .seconds
            ).apply(.real(1_709_287_200.5))
        }
        #expect(fraction.reason.hasPrefix("is not a whole number of unix_seconds"), "\(fraction)")
    }

    @Test func eachTargetTypeTakesOnlyWhatIsTheSameValue() throws {
        let boolean = ColumnConversion(
            from: .boolean, to: .boolean, crossesEngines: true, epoch: nil)
        #expect(try boolean.apply(.integer(1)) == .boolean(true))
        #expect(try boolean.apply(.integer(0)) == .boolean(false))
        #expect(throws: ColumnConversion.Refusal.self) { try boolean.apply(.integer(2)) }
        #expect(throws: ColumnConversion.Refusal.self) { try boolean.apply(.text("yes")) }

        let integer = ColumnConversion(
            from: .integer, to: .integer, crossesEngines: true, epoch: nil)
        #expect(try integer.apply(.real(3)) == .integer(3))
        #expect(try integer.apply(.boolean(true)) == .integer(1))
        #expect(throws: ColumnConversion.Refusal.self) { try integer.apply(.real(3.5)) }
        #expect(throws: ColumnConversion.Refusal.self) { try integer.apply(.text("abc")) }

        let real = ColumnConversion(from: .real, to: .real, crossesEngines: true, epoch: nil)
        #expect(try real.apply(.integer(1 << 53)) == .real(9_007_199_254_740_992))
        #expect(throws: ColumnConversion.Refusal.self) { try real.apply(.integer((1 << 53) + 1)) }
        #expect(throws: ColumnConversion.Refusal.self) { try real.apply(.text("0x1p3")) }

        let numeric = ColumnConversion(
            from: .numeric, to: .numeric, crossesEngines: true, epoch: nil)
        #expect(try numeric.apply(.text("-12.50e3")) == .text("-12.50e3"))
        #expect(throws: ColumnConversion.Refusal.self) { try numeric.apply(.text("12,50")) }

        let timestamp = ColumnConversion(
            from: .text, to: .timestamp, crossesEngines: true, epoch: nil)
        #expect(try timestamp.apply(.text("2024-03-01 10:00:00Z")) == .text("2024-03-01T10:00:00"))
        #expect(try timestamp.apply(.text("2024-03-01")) == .text("2024-03-01T00:00:00"))
        #expect(throws: ColumnConversion.Refusal.self) {
            try timestamp.apply(.text("2024-03-01 10:00:00+02:00"))
        }

        let text = ColumnConversion(
            from: .timestampWithTimeZone, to: .text, crossesEngines: true, epoch: nil)
        #expect(try text.apply(.text("2024-03-01 00:07:00+00")) == .text("2024-03-01T00:07:00Z"))
        #expect(try text.apply(.text("infinity")) == .text("infinity"))

        let blob = ColumnConversion(from: .text, to: .blob, crossesEngines: true, epoch: nil)
        #expect(try blob.apply(.text("é")) == .blob([0xC3, 0xA9]))

        #expect(
            ColumnConversion(from: .timestamp, to: .timestamp, crossesEngines: false, epoch: nil)
                == .none)
    }
}
