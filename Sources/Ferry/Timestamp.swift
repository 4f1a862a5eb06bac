import Foundation

/// The UTC timestamps Ferry writes: ISO 8601 with milliseconds, such as
/// `2026-11-21T18:00:00.123Z`.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// The timestamp text of a date.
    public static func string(from date: Date) -> String {
        withFraction.format(date)
    }

    /// Reads a timestamp written by ``string(from:)``, or one without
    /// fractional seconds.
    public static func date(from text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }
}
