/// A date, time or timestamp written as text, read by one strict grammar
/// that every engine writes and reads: `YYYY-MM-DD`, a time `HH:MM[:SS[.f…]]`,
/// both joined by `T` or a space, and a zone `Z`, `±HH`, `±HHMM` or
/// `±HH:MM`. What an import converts a date or time by, so that
/// `datetime('now')` or `now` copied as text is refused, never read as the
/// moment of the import.
struct DateTimeText: Equatable {
    var date: String?
    /// `HH:MM:SS` and the fraction as written (`.5`, `.123456`), if any.
    var time: String?
    /// The offset from UTC in minutes, when the text has a zone.
    var offsetMinutes: Int?

    /// Reads a text; nil when it is not in the grammar.
    init?(_ text: String) {
        var rest = Substring(text)
        if let date = Self.date(&rest) {
            self.date = date
            guard !rest.isEmpty else { return }
            guard rest.first == "T" || rest.first == " " || rest.first == "t" else { return nil }
            rest.removeFirst()
        }
        guard let time = Self.time(&rest) else { return nil }
        self.time = time
        if rest.isEmpty { return }
        guard let offset = Self.zone(&rest), rest.isEmpty else { return nil }
        offsetMinutes = offset
    }

    /// Builds the text of an instant counted from 1970 in UTC.
    init(secondsSince1970 seconds: Int64, fraction: Int64, digits: Int) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(fromDays: days)
        date = Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
        var time =
            Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay % 3600 / 60, 2) + ":"
            + Self.pad(secondOfDay % 60, 2)
        if fraction > 0 {
            var digitsText = Self.pad(fraction, digits)
            while digitsText.hasSuffix("0") { digitsText.removeLast() }
            time += "." + digitsText
        }
        self.time = time
        offsetMinutes = 0
    }

    /// Whether the time of day is midnight, exactly.
    var isMidnight: Bool { time.map { $0 == "00:00:00" } ?? true }

    /// The text in ISO 8601: `T` between date and time, `Z` for UTC, or
    /// `±HH:MM`; without the zone when `withZone` is false.
    func iso8601(withZone: Bool = true) -> String {
        var text = [date, time].compactMap { $0 }.joined(separator: "T")
        if withZone, let offsetMinutes {
            if offsetMinutes == 0 {
                text += "Z"
            } else {
                let sign = offsetMinutes < 0 ? "-" : "+"
                let minutes = abs(offsetMinutes)
                text +=
                    sign + Self.pad(Int64(minutes / 60), 2) + ":" + Self.pad(Int64(minutes % 60), 2)
            }
        }
        return text
    }

    private static func digits(_ rest: inout Substring, _ count: Int) -> Int? {
        let prefix = rest.prefix(count)
        guard prefix.count == count, prefix.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        rest.removeFirst(count)
        return Int(prefix)
    }

    private static func date(_ rest: inout Substring) -> String? {
        var copy = rest
        guard let year = digits(&copy, 4), copy.first == "-" else { return nil }
        copy.removeFirst()
        guard let month = digits(&copy, 2), (1...12).contains(month), copy.first == "-" else {
            return nil
        }
        copy.removeFirst()
        guard let day = digits(&copy, 2), (1...daysIn(month, of: year)).contains(day) else {
            return nil
        }
        rest = copy
        return pad(Int64(year), 4) + "-" + pad(Int64(month), 2) + "-" + pad(Int64(day), 2)
    }

    private static func time(_ rest: inout Substring) -> String? {
        guard let hour = digits(&rest, 2), (0...23).contains(hour), rest.first == ":" else {
            return nil
        }
        rest.removeFirst()
        guard let minute = digits(&rest, 2), (0...59).contains(minute) else { return nil }
        var second = 0
        var fraction = ""
        if rest.first == ":" {
            rest.removeFirst()
            guard let value = digits(&rest, 2), (0...60).contains(value) else { return nil }
            second = value
            if rest.first == "." {
                rest.removeFirst()
                let written = rest.prefix { $0.isASCII && $0.isNumber }
                guard !written.isEmpty else { return nil }
                rest.removeFirst(written.count)
                fraction = "." + written
            }
        }
        return pad(Int64(hour), 2) + ":" + pad(Int64(minute), 2) + ":" + pad(Int64(second), 2)
            + fraction
    }

    private static func zone(_ rest: inout Substring) -> Int? {
        if rest.first == "Z" || rest.first == "z" {
            rest.removeFirst()
            return 0
        }
        guard let sign = rest.first, sign == "+" || sign == "-" else { return nil }
        rest.removeFirst()
        guard let hours = digits(&rest, 2), hours <= 15 else { return nil }
        var minutes = 0
        if rest.first == ":" { rest.removeFirst() }
        if !rest.isEmpty {
            guard let value = digits(&rest, 2), value < 60 else { return nil }
            minutes = value
        }
        return (sign == "-" ? -1 : 1) * (hours * 60 + minutes)
    }

    private static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
