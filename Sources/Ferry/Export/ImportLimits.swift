import Foundation

/// The values a target engine's columns cannot keep as they are: an import
/// from another engine refuses each with its table, key and column (a dry
/// run lists it), where the engine would change it without a word (SQLite
/// stores a NaN as NULL and keeps 15 digits of a long decimal, PostgreSQL
/// rounds a seventh digit of a second and a decimal past its column's
/// scale) or stop the load with a message that names no row (PostgreSQL
/// refuses a NUL in a text).
public struct ImportLimits: Sendable, Equatable {
    /// Whether a real may be NaN.
    public var keepsNaN: Bool
    /// Whether a text may hold the character NUL (U+0000).
    public var keepsNULInText: Bool
    /// The significant digits a decimal column keeps of a number that is
    /// not a 64-bit integer (SQLite's NUMERIC turns it into a real: 15);
    /// nil when decimals are kept exact.
    public var decimalDigits: Int?
    /// The digits of a second's fraction that a date or time column keeps
    /// when its declared type names none (PostgreSQL: 6, rounding the
    /// rest; `timestamp(3)` keeps 3); nil when values are kept as written.
    public var secondFractionDigits: Int?
    /// Whether a decimal column rounds to the scale its declared type
    /// names, and refuses more digits before the point than it leaves
    /// (PostgreSQL's `numeric(10,2)`); a date or time column rounds to its
    /// declared precision, and turns a leap second (`23:59:60`) into the
    /// next minute.
    public var keepsDeclaredScale: Bool
    /// The declared types of columns that keep a 32-bit float (PostgreSQL's
    /// `real`), rounding a double's other digits.
    public var singlePrecisionTypes: Set<String>

    /// Creates the limits of an engine.
    public init(
        keepsNaN: Bool, keepsNULInText: Bool, decimalDigits: Int? = nil,
        secondFractionDigits: Int? = nil, keepsDeclaredScale: Bool = false,
        singlePrecisionTypes: Set<String> = []
    ) {
        self.keepsNaN = keepsNaN
        self.keepsNULInText = keepsNULInText
        self.decimalDigits = decimalDigits
        self.secondFractionDigits = secondFractionDigits
        self.keepsDeclaredScale = keepsDeclaredScale
        self.singlePrecisionTypes = singlePrecisionTypes
    }

    /// Whether every value is kept: nothing to check.
    var keepsEverything: Bool {
        keepsNaN && keepsNULInText && decimalDigits == nil && secondFractionDigits == nil
            && !keepsDeclaredScale && singlePrecisionTypes.isEmpty
    }

    /// A target column as the checks read it: its declared type read once,
    /// not at each value.
    struct Target: Sendable {
        /// The column.
        let column: ExportTable.Column
        /// The precision and scale its declared type names, if any.
        let precision: (digits: Int, scale: Int?)?
        /// Whether it keeps a 32-bit float.
        let isSinglePrecision: Bool
    }

    /// The column as ``refusal(of:into:)`` reads it.
    func target(_ column: ExportTable.Column) -> Target {
        Target(
            column: column, precision: Self.precision(of: column),
            isSinglePrecision: singlePrecisionTypes.contains(column.declaredType))
    }

    /// Why the engine cannot keep a value as it is in a column, or nil when it can.
    func refusal(of value: ExportValue, into target: Target) -> String? {
        let column = target.column
        switch value {
        case .real(let real) where !keepsNaN && real.isNaN:
            return "is NaN, which this engine would store as NULL"
        case .text(var text):
            if !keepsNULInText {
                // memchr: on the hot path of every text of a move, the generic scan cost 6%.
                let holdsNUL = text.withUTF8 { bytes in
                    bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false
                }
                if holdsNUL {
                    return "holds the character NUL (U+0000), which this engine's texts cannot"
                }
            }
            switch column.logicalType {
            case .numeric: return decimalRefusal(of: text, into: target)
            case .time, .timestamp, .timestampWithTimeZone:
                return fractionRefusal(of: text, into: target)
            default: return nil
            }
        case .real(let real) where column.logicalType == .numeric && real.isFinite:
            return decimalRefusal(of: "\(real)", into: target)
        case .real(let real)
        where target.isSinglePrecision && !real.isNaN && Double(Float(real)) != real:
            return
                "has more digits than its column \(column.declaredType) keeps (a 32-bit float): this engine would store \(Float(real))"
        default:
            return nil
        }
    }

    /// Why a decimal written as text would not be kept whole.
    private func decimalRefusal(of text: String, into target: Target) -> String? {
        let column = target.column
        guard let number = DecimalDigits(text) else { return nil }
        // An integer literal that fits 64 bits stays an integer; any other goes through a real
        // (12345678901234567.0 became 12345678901234568).
        if let decimalDigits, Int64(text) == nil, number.significant.count > decimalDigits {
            return
                "has \(number.significant.count) significant digits, and this engine's \(column.declaredType) column keeps \(decimalDigits) of a number that is not a 64-bit integer"
        }
        if keepsDeclaredScale, let (precision, scale) = target.precision,
            let scale
        {
            if number.fraction.count > scale {
                return
                    "has \(number.fraction.count) digits after the point, and its column \(column.declaredType) keeps \(scale): this engine would round it"
            }
            if number.whole.count > precision - scale {
                return
                    "has \(number.whole.count) digits before the point, and its column \(column.declaredType) keeps \(precision - scale)"
            }
        }
        return nil
    }

    /// Why a date or time written as text would lose digits of its second.
    private func fractionRefusal(of text: String, into target: Target) -> String? {
        let column = target.column
        guard let secondFractionDigits else { return nil }
        if keepsDeclaredScale, Self.isLeapSecond(text) {
            return
                "is a leap second (:60), which its column \(column.declaredType) would turn into the next minute"
        }
        // The conversion wrote it in ISO 8601, where a point only starts the fraction of a second.
        let bytes = text.utf8
        guard let point = bytes.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let fraction = bytes[bytes.index(after: point)...].prefix {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
        let digits = fraction.reversed().drop { $0 == UInt8(ascii: "0") }.count
        let kept = target.precision?.digits ?? secondFractionDigits
        guard digits > kept else { return nil }
        return
            "has \(digits) digits of a second, and its column \(column.declaredType) keeps \(kept): this engine would round it"
    }

    /// Whether a time in ISO 8601 has the second 60: `:60` ends it, or
    /// comes before its fraction or zone.
    private static func isLeapSecond(_ text: String) -> Bool {
        guard let range = text.range(of: ":60") else { return false }
        return range.upperBound == text.endIndex
            || [".", "Z", "+", "-"].contains(text[range.upperBound])
    }

    /// The precision and scale a declared type names (`numeric(10,2)`,
    /// `timestamp(3) with time zone`), or nil when it names none.
    private static func precision(of column: ExportTable.Column) -> (digits: Int, scale: Int?)? {
        let type = column.declaredType
        guard let open = type.firstIndex(of: "("),
            let close = type[open...].firstIndex(of: ")")
        else { return nil }
        let numbers = type[type.index(after: open)..<close].split(separator: ",").map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard let first = numbers.first, let digits = first, (0...1000).contains(digits) else {
            return nil
        }
        let scale = numbers.count > 1 ? numbers[1] : nil
        return (digits, scale.flatMap { $0 }.map { max(0, $0) })
    }
}

/// The digits of a decimal number written as text (`-0012.3400e1`): those
/// of its whole part and of its fraction once the exponent is applied,
/// without leading or trailing zeros that carry no value.
private struct DecimalDigits {
    /// The digits before the point, without leading zeros.
    let whole: String
    /// The digits after the point, without trailing zeros.
    let fraction: String

    /// Every significant digit: from the first that is not zero to the last that is not.
    var significant: Substring {
        let all = whole + fraction
        let start = all.firstIndex { $0 != "0" } ?? all.endIndex
        let end = all.lastIndex { $0 != "0" }.map { all.index(after: $0) } ?? all.endIndex
        return start < end ? all[start..<end] : ""
    }

    /// Reads a decimal; nil for NaN, the infinities, or text that is not one.
    init?(_ text: String) {
        guard ColumnConversion.isDecimal(text), text.contains(where: \.isNumber) else {
            return nil
        }
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest.removeFirst() }
        var mantissa = rest
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = rest[..<e]
            // Past ±100,000 no column keeps the digits anyway; the bound keeps the shift small.
            guard let read = Int(rest[rest.index(after: e)...]), abs(read) <= 100_000 else {
                return nil
            }
            exponent = read
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        if point < 0 {
            digits = String(repeating: "0", count: -point) + digits
            point = 0
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        let wholeDigits = digits.prefix(point).drop { $0 == "0" }
        let fractionDigits = digits.dropFirst(point)
        let trimmed = fractionDigits.prefix(
            (fractionDigits.lastIndex { $0 != "0" }).map {
                fractionDigits.distance(from: fractionDigits.startIndex, to: $0) + 1
            } ?? 0)
        whole = String(wholeDigits)
        fraction = String(trimmed)
    }
}
