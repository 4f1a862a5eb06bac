import Foundation

/// The UTC timestamps Ferry writes: ISO 8601 with milliseconds, such as
/// `2026-11-21T18:00:00.123Z`.
package enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// The timestamp text of a date, to the nearest millisecond.
    ///
    /// Rounded by hand rather than left to the format style: text read back
    /// by ``date(from:)`` and written again is the same text, so a backup's
    /// manifest and the catalog listing that re-reads it show one instant.
    ///
    /// Written by hand for the years 1583–9999 (Ferry writes one per history
    /// row; through `ISO8601FormatStyle` that was microseconds each), by the
    /// format style outside them (which counts days before the Gregorian
    /// calendar's start in the Julian one).
    package static func string(from date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (milliseconds / 1000).rounded(.down)
        let fraction = Int(milliseconds - seconds * 1000)
        if let text = utcString(seconds: seconds, milliseconds: fraction) { return text }
        let whole = withoutFraction.format(Date(timeIntervalSince1970: seconds))
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits
            + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS.fffZ` for whole seconds since 1970 and a
    /// millisecond, or nil outside the years 1583–9999.
    static func utcString(seconds: Double, milliseconds: Int) -> String? {
        // 1583-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
        guard seconds >= -12_212_553_600, seconds <= 253_402_300_799,
            (0..<1000).contains(milliseconds)
        else { return nil }
        let whole = Int(seconds)
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondOfDay = whole - days * 86_400
        let (year, month, day) = CivilDate.date(fromDays: Int64(days))
        var bytes: [UInt8] = Array(repeating: 0, count: 24)
        func put(_ value: Int, at start: Int, digits: Int) {
            var value = value
            for position in stride(from: start + digits - 1, through: start, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(year), at: 0, digits: 4)
        put(Int(month), at: 5, digits: 2)
        put(Int(day), at: 8, digits: 2)
        put(secondOfDay / 3600, at: 11, digits: 2)
        put(secondOfDay / 60 % 60, at: 14, digits: 2)
        put(secondOfDay % 60, at: 17, digits: 2)
        put(milliseconds, at: 20, digits: 3)
        for (position, separator) in zip([4, 7, 10, 13, 16, 19, 23], "--T::.Z".utf8) {
            bytes[position] = separator
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a timestamp written by ``string(from:)``, or one without
    /// fractional seconds.
    package static func date(from text: String) -> Date? {
        if let date = utcDate(from: text) { return date }
        return (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fff…]Z` by hand, or nil for anything else.
    ///
    /// Ferry reads a timestamp per history row: through `ISO8601FormatStyle`
    /// a history of a thousand rows took milliseconds to read.
    static func utcDate(from text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
                bytes[16] == UInt8(ascii: ":"),
                bytes[bytes.count - 1] == UInt8(ascii: "Z")
            else { return nil }
            func number(_ start: Int, _ length: Int) -> Int? {
                var value = 0
                for index in start..<(start + length) {
                    let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                    guard digit >= 0 && digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
                second < 61
            else { return nil }
            var fraction = 0.0
            if bytes.count > 20 {
                let digits = bytes.count - 21
                guard bytes[19] == UInt8(ascii: "."), digits > 0, digits <= 9,
                    let value = number(20, digits)
                else {
                    return nil
                }
                var scale = 1.0
                for _ in 0..<digits { scale *= 10 }
                fraction = Double(value) / scale
            }
            let days = CivilDate.days(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }
    }
}

extension JSONEncoder {
    /// An encoder that writes dates as ``Timestamp`` text, for every JSON
    /// Ferry writes (manifests, the lock file, `--json`).
    package static func withTimestamps() -> JSONEncoder {
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
    package static func withTimestamps() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.date(from: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not a time: \(text)"))
            }
            return date
        }
        return decoder
    }
}
