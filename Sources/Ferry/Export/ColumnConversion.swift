/// What an import does to one column's values so that the target column
/// takes each of them as the same value, or refuses it: when the export
/// came from another engine, or the column's logical type differs.
///
/// Nothing is guessed: a boolean column takes 0 and 1, an integer column
/// integers (and reals that are whole), a date or time column text in the
/// one grammar of ``DateTimeText`` and numbers only by an
/// ``ImportConversionRule``. Every other value is refused with its table,
/// key and column.
enum ColumnConversion: Sendable, Equatable {
    /// The values go as they are.
    case none
    /// To a boolean: 0 and 1 (SQLite's booleans), booleans.
    case boolean
    /// To an integer: integers, booleans as 0 and 1, whole reals, integer text.
    case integer
    /// To a real: reals, integers up to 2^53, numeric text.
    case real
    /// To an exact decimal: numbers, and text that is one.
    case numeric
    /// To a date, time or timestamp column: text in ISO 8601 (written
    /// again the same way), numbers by the column's rule.
    case dateTime(LogicalType, epoch: ImportConversionRule.EpochUnit?)
    /// A date or time of another engine into a column that keeps text (a
    /// SQLite `TEXT` column): written in ISO 8601 (`2024-03-01T00:07:00Z`).
    case dateTimeAsText
    /// To bytes: bytes, and text as its UTF-8 bytes.
    case blob
    /// To a text column of another engine: texts, and numbers written as
    /// text (`42`, `2.5`); bytes and booleans, which a text would not give
    /// back, are refused.
    case text

    static let dateTimeTypes: Set<LogicalType> = [
        .date, .time, .timestamp, .timestampWithTimeZone,
    ]

    /// The conversion from a column of the export to the target's column.
    ///
    /// - Parameters:
    ///   - crossesEngines: Whether the export came from another engine.
    ///   - epoch: The rule for the column's numbers, if the settings have one.
    init(
        from source: LogicalType, to target: LogicalType, crossesEngines: Bool,
        epoch: ImportConversionRule.EpochUnit?
    ) {
        guard crossesEngines || source != target || epoch != nil else {
            self = .none
            return
        }
        switch target {
        case .boolean: self = .boolean
        case .integer: self = .integer
        case .real: self = .real
        case .numeric: self = .numeric
        case .date, .time, .timestamp, .timestampWithTimeZone:
            self = .dateTime(target, epoch: epoch)
        case .blob: self = .blob
        case .text:
            self =
                !crossesEngines
                ? .none
                : Self.dateTimeTypes.contains(source) ? .dateTimeAsText : .text
        case .any, .other, .json, .uuid, .interval:
            self =
                crossesEngines && Self.dateTimeTypes.contains(source) ? .dateTimeAsText : .none
        }
    }

    /// Why a value was refused.
    struct Refusal: Error {
        let reason: String
    }

    /// The value the target column takes.
    ///
    /// - Throws: ``Refusal`` for a value that the column cannot take as the same value.
    func apply(_ value: ExportValue) throws -> ExportValue {
        if case .null = value { return value }
        switch self {
        case .none: return value
        case .boolean:
            switch value {
            case .boolean: return value
            case .integer(0): return .boolean(false)
            case .integer(1): return .boolean(true)
            default: throw Refusal(reason: "is not a boolean (true, false, 0 or 1)")
            }
        case .integer:
            switch value {
            case .integer: return value
            case .boolean(let flag): return .integer(flag ? 1 : 0)
            case .real(let real):
                guard let integer = Int64(exactly: real) else {
                    throw Refusal(reason: "is not a whole number that fits 64 bits")
                }
                return .integer(integer)
            case .text(let text):
                guard let integer = Int64(text) else {
                    throw Refusal(reason: "is not an integer")
                }
                return .integer(integer)
            default: throw Refusal(reason: "is not an integer")
            }
        case .real:
            switch value {
            case .real: return value
            case .integer(let integer):
                guard let real = Double(exactly: integer) else {
                    throw Refusal(reason: "has more digits than a real keeps")
                }
                return .real(real)
            case .text(let text):
                guard Self.isDecimal(text), let real = Double(text) else {
                    throw Refusal(reason: "is not a number")
                }
                return .real(real)
            default: throw Refusal(reason: "is not a number")
            }
        case .numeric:
            switch value {
            case .integer, .real: return value
            case .text(let text) where Self.isDecimal(text): return value
            default: throw Refusal(reason: "is not a number")
            }
        case .dateTime(let type, let epoch):
            return try Self.dateTime(value, as: type, epoch: epoch)
        case .dateTimeAsText:
            guard case .text(let text) = value, let parsed = DateTimeText(text) else {
                return value
            }
            return .text(parsed.iso8601())
        case .blob:
            switch value {
            case .blob: return value
            case .text(let text): return .blob(Array(text.utf8))
            default: throw Refusal(reason: "is not bytes")
            }
        case .text:
            switch value {
            case .text: return value
            case .integer(let integer): return .text(String(integer))
            case .real(let real): return .text("\(real)")
            case .blob: throw Refusal(reason: "is bytes, which a text column would not give back")
            default: throw Refusal(reason: "is a boolean, which a text column would not give back")
            }
        }
    }

    private static func dateTime(
        _ value: ExportValue, as type: LogicalType, epoch: ImportConversionRule.EpochUnit?
    ) throws -> ExportValue {
        var parsed: DateTimeText
        switch value {
        case .text(let text):
            guard let read = DateTimeText(text) else {
                throw Refusal(
                    reason:
                        "is not a date or time in ISO 8601 (such as 2024-03-01T12:00:00Z), so it cannot be read without guessing"
                )
            }
            parsed = read
        case .integer, .real:
            let whole: Int64? =
                switch value {
                case .integer(let number): number
                case .real(let real): Int64(exactly: real)
                default: nil
                }
            guard let epoch else {
                throw Refusal(
                    reason:
                        "is a number under a date or time column: seconds or milliseconds since 1970 cannot be told apart without a rule"
                )
            }
            guard let number = whole else {
                throw Refusal(
                    reason:
                        "is not a whole number of \(epoch.rawValue), which its [[import.convert]] rule reads: a finer unit (such as unix_milliseconds) would need the value multiplied"
                )
            }
            let (seconds, remainder) = number.quotientAndRemainder(dividingBy: epoch.perSecond)
            let floored = remainder < 0 ? seconds - 1 : seconds
            let fraction = remainder < 0 ? remainder + epoch.perSecond : remainder
            guard (-62_135_596_800...253_402_300_799).contains(floored) else {
                throw Refusal(reason: "is outside the years 1 to 9999 as \(epoch.rawValue)")
            }
            parsed = DateTimeText(
                secondsSince1970: floored, fraction: fraction,
                digits: String(epoch.perSecond).count - 1)
        default:
            throw Refusal(reason: "is not a date or time")
        }
        switch type {
        case .date:
            guard parsed.date != nil, parsed.isMidnight, parsed.offsetMinutes ?? 0 == 0 else {
                throw Refusal(reason: "is not a calendar date alone")
            }
            return .text(String(parsed.iso8601(withZone: false).prefix(10)))
        case .time:
            guard parsed.date == nil else { throw Refusal(reason: "is not a time of day alone") }
            return .text(parsed.iso8601())
        case .timestamp:
            guard parsed.date != nil else { throw Refusal(reason: "has no date") }
            // A date alone is its midnight.
            if parsed.time == nil { parsed.time = "00:00:00" }
            guard parsed.offsetMinutes ?? 0 == 0 else {
                throw Refusal(
                    reason:
                        "has a time zone offset, which a timestamp column without a time zone would drop"
                )
            }
            return .text(parsed.iso8601(withZone: false))
        default:
            guard parsed.date != nil else { throw Refusal(reason: "has no date") }
            var instant = parsed
            if instant.time == nil { instant.time = "00:00:00" }
            // A time without a zone is read as UTC, as the import's session reads it.
            if instant.offsetMinutes == nil { instant.offsetMinutes = 0 }
            return .text(instant.iso8601())
        }
    }

    /// Whether a text is a decimal number (or NaN, ±Infinity) as PostgreSQL's
    /// `numeric` and SQLite's NUMERIC read it.
    static func isDecimal(_ text: String) -> Bool {
        if ["NaN", "Infinity", "-Infinity", "+Infinity"].contains(text) { return true }
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest.removeFirst() }
        let whole = rest.prefix { $0.isASCII && $0.isNumber }
        rest.removeFirst(whole.count)
        var fraction: Substring = ""
        if rest.first == "." {
            rest.removeFirst()
            fraction = rest.prefix { $0.isASCII && $0.isNumber }
            rest.removeFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return false }
        if rest.first == "e" || rest.first == "E" {
            rest.removeFirst()
            if rest.first == "+" || rest.first == "-" { rest.removeFirst() }
            let exponent = rest.prefix { $0.isASCII && $0.isNumber }
            guard !exponent.isEmpty else { return false }
            rest.removeFirst(exponent.count)
        }
        return rest.isEmpty
    }
}
