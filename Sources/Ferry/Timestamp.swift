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

extension JSONEncoder {
    /// An encoder that writes dates as ``Timestamp`` text, for every JSON
    /// Ferry writes (manifests, the lock file, `--json`).
    public static func withTimestamps() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(from: date))
        }
        return encoder
    }
}

extension JSONDecoder {
    /// A decoder that reads dates written by ``JSONEncoder/withTimestamps()``.
    public static func withTimestamps() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a time: \(text)"))
            }
            return date
        }
        return decoder
    }
}
