import Ferry

/// A real written as SQL that every SQLite reads back to the same bits.
///
/// A real's shortest round-trip text is not always enough: SQLite before
/// 3.43 reads a decimal by dividing (or multiplying) its digits by a power of
/// ten in `long double` and then rounding to a double. Where `long double`
/// has 64 bits (x86), that rounds twice, and a decimal lying within about
/// 2⁻¹¹ of a last place from the midpoint between two reals comes back one
/// last place off (`462.5430482689342` reads as `462.54304826893417` in
/// SQLite 3.40: about one random real in ten thousand). Where `long double`
/// is a double, digits of more than 2⁵³ are rounded before the division.
///
/// So the shortest text is written only when any of those readings gets it
/// right: at most 2⁵³ units, a power of ten of at most 22 (exact in a
/// double), and a value farther than 1/256 of a half last place from the
/// midpoint. Any other real is written as exact arithmetic on integers,
/// `(m.0/2^k…)` or `(m.0*2^k…)` with `m` its odd significand and each factor
/// a power of two of at most 2⁶², which every SQLite computes without
/// rounding. ``read(in:at:)`` reads that form back.
enum SQLiteRealLiteral {
    /// Appends `value` as SQL; returns how many bytes it took.
    static func append(_ value: Double, to out: inout [UInt8]) -> Int {
        guard value.isFinite else {
            // SQLite stores no NaN (it makes it NULL): an infinity, in the shell's spelling.
            let text: StaticString = value < 0 ? "-1e999" : value > 0 ? "1e999" : "NULL"
            out.append(
                contentsOf: UnsafeBufferPointer(
                    start: text.utf8Start, count: text.utf8CodeUnitCount))
            return text.utf8CodeUnitCount
        }
        let magnitude = value.magnitude
        let start = out.count
        if let (units, decimals) = RowCodec.shortestDecimal(magnitude) {
            guard isReadExactly(units: units, exponent: -decimals, as: magnitude) else {
                return appendExact(value, to: &out)
            }
            RowCodec.withDecimalText(
                units: units, decimals: decimals, negative: value.sign == .minus
            ) { out.append(contentsOf: $0) }
            return out.count - start
        }
        var text = magnitude.description
        guard let (units, exponent) = decimal(of: text),
            isReadExactly(units: units, exponent: exponent, as: magnitude)
        else { return appendExact(value, to: &out) }
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        text.withUTF8 { out.append(contentsOf: $0) }
        return out.count - start
    }

    /// The units and power of ten of a real's text as Swift writes it
    /// (`0.0`, `1e-05`, `1.2345e+20`); nil past 2⁵³ units.
    private static func decimal(of text: String) -> (units: UInt64, exponent: Int)? {
        var units: UInt64 = 0
        var exponent = 0
        var fraction = false
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                units = units * 10 + UInt64(byte - UInt8(ascii: "0"))
                guard units <= 1 << 53 else { return nil }
                if fraction { exponent -= 1 }
            case UInt8(ascii: "."):
                fraction = true
            case UInt8(ascii: "e"):
                // Swift writes a sign and two or three digits.
                let negative = utf8.next() == UInt8(ascii: "-")
                var written = 0
                while let digit = utf8.next() {
                    guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9"), written < 1000
                    else { return nil }
                    written = written * 10 + Int(digit - UInt8(ascii: "0"))
                }
                return (units, exponent + (negative ? -written : written))
            default:
                return nil
            }
        }
        return (units, exponent)
    }

    /// Exact powers of ten as reals, 10⁰ to 10²².
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// Whether `units × 10^exponent` lies far enough from the midpoints
    /// around `magnitude` (a finite real it rounds to) that a reading with
    /// 64 bits of intermediate precision, or one correctly rounded division of
    /// two exact doubles, rounds it to `magnitude`.
    static func isReadExactly(units: UInt64, exponent: Int, as magnitude: Double) -> Bool {
        guard units <= 1 << 53, exponent.magnitude < UInt(powersOfTen.count) else { return false }
        let scale = powersOfTen[Int(exponent.magnitude)]
        let digits = Double(units)
        // The decimal's distance from the real, computed exactly but for one rounding
        // (the product's remainder by a fused multiply-add; the difference of two close
        // reals is exact), and the half last place on its side, both in the same measure.
        let distance: Double
        let scaled: Double
        if exponent <= 0 {
            let product = magnitude * scale
            distance = (digits - product) - (-product).addingProduct(magnitude, scale)
            scaled = scale
        } else {
            let product = digits * scale
            distance = (product - magnitude) + (-product).addingProduct(digits, scale)
            scaled = 1
        }
        let neighbour = distance >= 0 ? magnitude.nextUp : magnitude.nextDown
        let half = (neighbour - magnitude).magnitude * scaled / 2
        return distance.magnitude <= half - half / 256
    }

    /// The largest power of two a factor of the exact form takes: an integer literal.
    private static let largestFactor = 62

    /// Appends `(m.0/2^k…)` or `(m.0*2^k…)`: `value` (finite) exactly.
    static func appendExact(_ value: Double, to out: inout [UInt8]) -> Int {
        let start = out.count
        var significand = value.significandBitPattern
        var exponent = Int(value.exponentBitPattern)
        if exponent == 0 {
            exponent = 1  // a subnormal: no implicit bit
        } else {
            significand |= 1 << 52
        }
        exponent -= 1075
        if significand != 0 {
            let zeros = significand.trailingZeroBitCount
            significand >>= zeros
            exponent += zeros
        } else {
            exponent = 0
        }
        out.append(UInt8(ascii: "("))
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        appendDigits(significand, to: &out)
        out.append(contentsOf: ".0".utf8)
        let operation = exponent < 0 ? UInt8(ascii: "/") : UInt8(ascii: "*")
        var remaining = exponent.magnitude
        while remaining > 0 {
            let power = min(remaining, UInt(largestFactor))
            out.append(operation)
            appendDigits(1 << power, to: &out)
            remaining -= power
        }
        out.append(UInt8(ascii: ")"))
        return out.count - start
    }

    private static func appendDigits(_ value: UInt64, to out: inout [UInt8]) {
        RowCodec.withDecimalDigits(of: Int64(value)) { out.append(contentsOf: $0) }
    }

    /// Reads the exact form ``appendExact(_:to:)`` writes, at `position`
    /// (its opening parenthesis), and moves past it.
    ///
    /// - Returns: nil, `position` unchanged, for anything else, including
    ///   a factor that is not a power of two of at most 2⁶².
    static func read(in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) -> Double? {
        var index = position
        func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        func integer() -> UInt64? {
            var value: UInt64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"),
                bytes[index] <= UInt8(ascii: "9")
            {
                guard index - start < 19 else { return nil }
                value = value * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            return index > start ? value : nil
        }
        guard take(UInt8(ascii: "(")) else { return nil }
        let negative = take(UInt8(ascii: "-"))
        guard let significand = integer(), significand <= 1 << 53,
            take(UInt8(ascii: ".")), take(UInt8(ascii: "0"))
        else { return nil }
        var value = Double(significand)
        while !take(UInt8(ascii: ")")) {
            let divides = take(UInt8(ascii: "/"))
            guard divides || take(UInt8(ascii: "*")), let factor = integer(),
                factor.nonzeroBitCount == 1, factor > 1, factor <= 1 << largestFactor
            else { return nil }
            value = divides ? value / Double(factor) : value * Double(factor)
        }
        position = index
        return negative ? -value : value
    }
}
