import Foundation

/// Writes a row as one line of JSON and reads it back, without loss.
///
/// A row is a JSON array with one element per column:
/// - NULL is `null` (an empty text is `""`); booleans are `true` and `false`;
/// - integers are JSON numbers, and those beyond ±2^53 (which JSON readers
///   round) are strings in an integer column and `{"$int": "…"}` elsewhere;
/// - reals are the shortest text that reads back to the same bits, always
///   with a `.` or an exponent; NaN and the infinities are `{"$real": "NaN"}`,
///   `{"$real": "Infinity"}`, `{"$real": "-Infinity"}`;
/// - texts are JSON strings holding every character, NUL and CR included;
/// - BLOBs are `{"$base64": "…"}`.
///
/// The codec knows no engine: what a value means beyond its kind is its
/// column's ``LogicalType``.
public enum RowCodec {
    /// The largest integer every JSON reader reads exactly.
    static let exactIntegerLimit: Int64 = 1 << 53

    /// Appends a row as one line (with its `\n`).
    public static func append(
        _ values: [ExportValue], types: [LogicalType], to out: inout [UInt8]
    ) {
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            append(value, type: index < types.count ? types[index] : .any, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        out.append(UInt8(ascii: "\n"))
    }

    private static func append(_ value: ExportValue, type: LogicalType, to out: inout [UInt8]) {
        switch value {
        case .null: appendNull(to: &out)
        case .boolean(let flag): appendBoolean(flag, to: &out)
        case .integer(let integer): appendInteger(integer, type: type, to: &out)
        case .real(let real): appendReal(real, to: &out)
        case .text(let text): writeJSONString(text, to: &out)
        case .blob(let bytes): bytes.withUnsafeBytes { appendBlob($0, to: &out) }
        }
    }

    /// Appends a row held in an ``ExportRowBatch``, from `cursor`, as one
    /// line; `payload` is the batch's, lent by ``ExportRowBatch/withPayload(_:)``.
    /// A row whose longest text fits in `scratch` is written there first and
    /// appended in one copy (see ``RowTextOutput``).
    static func append(
        _ batch: ExportRowBatch, payload: UnsafeBufferPointer<UInt8>,
        at cursor: inout ExportRowBatch.Cursor, types: [LogicalType], to out: inout [UInt8],
        scratch: UnsafeMutableBufferPointer<UInt8>
    ) {
        // The longest text of each value: a text or blob at most six bytes per byte (`\u0001`;
        // base64 takes less), anything else at most 40 (`{"$int":"-9223372036854775808"}`).
        var probe = cursor
        var longest = types.count + 3
        for _ in types.indices {
            switch batch.kind(at: probe) {
            case .text, .blob: longest += batch.bytes(at: probe, in: payload).count * 6 + 24
            default: longest += 40
            }
            batch.advance(&probe)
        }
        guard longest <= scratch.count else {
            return appendRow(batch, payload: payload, at: &cursor, types: types, to: &out)
        }
        var row = RowScratch(scratch)
        appendRow(batch, payload: payload, at: &cursor, types: types, to: &row)
        out.append(contentsOf: row.written)
    }

    private static func appendRow<Out: RowTextOutput>(
        _ batch: ExportRowBatch, payload: UnsafeBufferPointer<UInt8>,
        at cursor: inout ExportRowBatch.Cursor, types: [LogicalType], to out: inout Out
    ) {
        out.append(UInt8(ascii: "["))
        for index in types.indices {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            switch batch.kind(at: cursor) {
            case .null: appendNull(to: &out)
            case .integer: appendInteger(batch.integer(at: cursor), type: types[index], to: &out)
            case .real: appendReal(batch.real(at: cursor), to: &out)
            case .text: appendJSONString(batch.bytes(at: cursor, in: payload), to: &out)
            case .blob:
                appendBlob(UnsafeRawBufferPointer(batch.bytes(at: cursor, in: payload)), to: &out)
            case .falseValue: appendBoolean(false, to: &out)
            case .trueValue: appendBoolean(true, to: &out)
            }
            batch.advance(&cursor)
        }
        out.append(UInt8(ascii: "]"))
        out.append(UInt8(ascii: "\n"))
    }

    private static func appendNull<Out: RowTextOutput>(to out: inout Out) {
        out.append("null")
    }

    private static func appendBoolean<Out: RowTextOutput>(_ flag: Bool, to out: inout Out) {
        out.append(flag ? "true" : "false")
    }

    private static func appendInteger<Out: RowTextOutput>(
        _ integer: Int64, type: LogicalType, to out: inout Out
    ) {
        if integer.magnitude <= exactIntegerLimit.magnitude {
            appendDecimal(integer, to: &out)
        } else if type == .integer {
            writeJSONString(String(integer), to: &out)
        } else {
            out.append("{\"$int\":\"")
            appendDecimal(integer, to: &out)
            out.append("\"}")
        }
    }

    private static func appendReal<Out: RowTextOutput>(_ real: Double, to out: inout Out) {
        if real.isNaN {
            out.append("{\"$real\":\"NaN\"}")
        } else if real.isInfinite {
            out.append(real < 0 ? "{\"$real\":\"-Infinity\"}" : "{\"$real\":\"Infinity\"}")
        } else {
            withShortestText(of: real) { text in
                out.append(contentsOf: text)
                if !text.contains(where: {
                    $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
                }) {
                    out.append(".0")
                }
            }
        }
    }

    private static func appendBlob<Out: RowTextOutput>(
        _ bytes: UnsafeRawBufferPointer, to out: inout Out
    ) {
        out.append("{\"$base64\":\"")
        var text = Data(bytes).base64EncodedString()
        text.withUTF8 { out.append(contentsOf: $0) }
        out.append("\"}")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The two digits of each number below 100, in order: `00`, `01`, … `99`.
    private static let digitPairs: [UInt8] = (0..<100).flatMap { number in
        [UInt8(ascii: "0") + UInt8(number / 10), UInt8(ascii: "0") + UInt8(number % 10)]
    }

    /// An integer's decimal digits, appended (no text made on the way).
    static func appendDecimal<Out: RowTextOutput>(_ integer: Int64, to out: inout Out) {
        withDecimalDigits(of: integer) { out.append(contentsOf: $0) }
    }

    /// Hands `body` an integer's decimal text (with its `-`), written two
    /// digits at a time from the right into a buffer on the stack.
    ///
    /// - Parameters:
    ///   - integer: The integer.
    ///   - body: Reads the text's bytes, which live only during the call.
    ///
    /// Not generic over a result: another module's call of a generic
    /// function here is not specialized, and finding the generic's metadata
    /// at each call was an eighth of an import's time.
    public static func withDecimalDigits(
        of integer: Int64, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var magnitude = integer.magnitude
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            digitPairs.withUnsafeBufferPointer { pairs in
                while magnitude >= 100 {
                    let pair = Int(magnitude % 100) * 2
                    magnitude /= 100
                    index -= 2
                    digits[index] = pairs[pair]
                    digits[index + 1] = pairs[pair + 1]
                }
                if magnitude >= 10 {
                    let pair = Int(magnitude) * 2
                    index -= 2
                    digits[index] = pairs[pair]
                    digits[index + 1] = pairs[pair + 1]
                } else {
                    index -= 1
                    digits[index] = UInt8(ascii: "0") + UInt8(magnitude)
                }
            }
            if integer < 0 {
                index -= 1
                digits[index] = UInt8(ascii: "-")
            }
            return try body(UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Hands `body` the shortest text that reads back to the same bits as a
    /// finite real, exactly as Swift's `description` writes it.
    ///
    /// Most reals that people store are short decimals (`520.35`): for those
    /// between 10⁻⁴ and 2⁵³ the text is found by trying 0, 1, 2… decimals,
    /// each checked to read back to the same bits (a decimal of fewer than 2⁵³
    /// units over a power of ten is read with one correctly rounded
    /// division), and taken only when one integer alone fits at that count;
    /// any other real is printed by Swift.
    ///
    /// - Parameters:
    ///   - real: A finite real.
    ///   - body: Reads the text's bytes, which live only during the call
    ///     (not generic over a result, as ``withDecimalDigits(of:_:)``).
    public static func withShortestText(
        of real: Double, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        guard let (units, decimals) = shortestDecimal(real.magnitude) else {
            var text = real.description
            return try text.withUTF8 { try body($0) }
        }
        return try withDecimalText(
            units: units, decimals: decimals, negative: real.sign == .minus, body)
    }

    /// Hands `body` the text `units / 10^decimals` (with a `-` when
    /// `negative`): its digits with a `.` before the last `decimals`, and
    /// `.0` when there are none.
    package static func withDecimalText(
        units: UInt64, decimals: Int, negative: Bool,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        precondition(decimals >= 0 && decimals < 20, "at most 19 decimals")
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            var index = 40
            var remaining = units
            func put(_ byte: UInt8) {
                index -= 1
                buffer[index] = byte
            }
            if decimals == 0 {
                put(UInt8(ascii: "0"))
            } else {
                for _ in 0..<decimals {
                    put(UInt8(ascii: "0") + UInt8(remaining % 10))
                    remaining /= 10
                }
            }
            put(UInt8(ascii: "."))
            repeat {
                put(UInt8(ascii: "0") + UInt8(remaining % 10))
                remaining /= 10
            } while remaining > 0
            if negative { put(UInt8(ascii: "-")) }
            return try body(UnsafeBufferPointer(rebasing: buffer[index..<40]))
        }
    }

    /// Exact powers of ten as reals, 10⁰ to 10¹⁷.
    private static let powersOfTen: [Double] = (0...17).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The fewest decimals `d` and the one integer `units` with
    /// `units / 10^d` reading back to `magnitude`, for a magnitude in
    /// [10⁻⁴, 2⁵³); nil when there is none below 2⁵³ units or two fit.
    package static func shortestDecimal(_ magnitude: Double) -> (units: UInt64, decimals: Int)? {
        let limit = 9_007_199_254_740_992.0
        guard magnitude >= 1e-4, magnitude < limit else { return nil }
        for decimals in 0..<powersOfTen.count {
            let scale = powersOfTen[decimals]
            let product = magnitude * scale
            guard product < limit - 1 else { return nil }
            let units = product.rounded()
            let fits = units / scale == magnitude
            let neighbourFits =
                (units >= 1 && (units - 1) / scale == magnitude) || (units + 1) / scale == magnitude
            if neighbourFits { return nil }
            if fits { return (UInt64(units), decimals) }
        }
        return nil
    }

    /// A 64-bit integer's decimal text (an optional `-`, then digits), read
    /// without making a text first.
    ///
    /// - Parameter digits: The text's bytes.
    /// - Returns: The integer, or nil for anything else or one out of range.
    public static func integer(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
        Reader.integer(digits)
    }

    /// A real's decimal text (digits, `.`, an exponent), read correctly
    /// rounded as `Double(String)` reads it, without making a text first.
    ///
    /// - Parameter text: The text's bytes.
    /// - Returns: The real, or nil for anything else (`Infinity`, `NaN`,
    ///   spaces, more than 64 bytes): read those through a text.
    public static func real(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        if let exact = exactReal(text) { return exact }
        guard !text.isEmpty, text.count <= 64,
            text.allSatisfy({
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+")
            })
        else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 65) { buffer -> Double? in
            for (index, byte) in text.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            buffer[text.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard end == buffer.baseAddress! + text.count else { return nil }
            return value
        }
    }

    /// The powers of ten that a double holds exactly.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// A real's decimal text read with one exact operation, where one is
    /// enough (Clinger's fast path): when its digits make an integer of at
    /// most 2^53 and its power of ten is within ±22, both are doubles exactly,
    /// and their product or quotient, rounded once, is the correctly rounded
    /// value, what `strtod` reads. Most stored reals are such (59.19 is 5919
    /// over 10^2), and `strtod` was a tenth of an import's reading.
    ///
    /// - Returns: The real, or nil for any other text (read it with `strtod`).
    @inline(__always)
    static func exactReal(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = text.count
        var index = 0
        let negative = count > 0 && text[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var significand: UInt64 = 0
        var digits = 0
        var exponent = 0
        while index < count, case let digit = text[index] &- UInt8(ascii: "0"), digit < 10 {
            significand = significand &* 10 &+ UInt64(digit)
            digits += 1
            index += 1
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, case let digit = text[index] &- UInt8(ascii: "0"), digit < 10 {
                significand = significand &* 10 &+ UInt64(digit)
                digits += 1
                exponent -= 1
                index += 1
            }
        }
        // At most 19 digits: the significand did not wrap.
        guard digits > 0, digits <= 19 else { return nil }
        if index < count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var exponentDigits = 0
            while index < count, case let digit = text[index] &- UInt8(ascii: "0"), digit < 10 {
                written = written * 10 + Int(digit)
                exponentDigits += 1
                index += 1
                guard exponentDigits <= 4 else { return nil }
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == count, significand <= 1 << 53, (-22...22).contains(exponent) else {
            return nil
        }
        let power = exactPowersOfTen[exponent < 0 ? -exponent : exponent]
        let magnitude = exponent < 0 ? Double(significand) / power : Double(significand) * power
        return negative ? -magnitude : magnitude
    }

    /// Whether a byte of a text must be escaped in JSON.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Appends `text` as a JSON string, quotes included: `"`, `\\` and the
    /// control characters escaped, everything else as its UTF-8.
    public static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        writeJSONString(text, to: &out)
    }

    /// ``appendJSONString(_:to:)`` into any ``RowTextOutput``.
    static func writeJSONString<Out: RowTextOutput>(_ text: String, to out: inout Out) {
        out.append(UInt8(ascii: "\""))
        // Most texts need no escape: their bytes go over at once.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: needsEscape) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "\\"): out.append("\\\\")
            case UInt8(ascii: "\n"): out.append("\\n")
            case UInt8(ascii: "\r"): out.append("\\r")
            case UInt8(ascii: "\t"): out.append("\\t")
            case 0..<0x20:
                out.append("\\u00")
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends a text's UTF-8 bytes as a JSON string, as
    /// ``appendJSONString(_:to:)`` appends the text they decode to (bytes
    /// that are not UTF-8 decode to U+FFFD).
    static func appendJSONString<Out: RowTextOutput>(
        _ bytes: UnsafeBufferPointer<UInt8>, to out: inout Out
    ) {
        // ASCII without an escape is its own JSON: no text made.
        guard bytes.contains(where: { $0 >= 0x80 || needsEscape($0) }) else {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        writeJSONString(String(decoding: bytes, as: UTF8.self), to: &out)
    }

    /// Why a line is not a row.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        /// What is wrong, and where in the line.
        public var description: String
    }

    /// Reads one line (without its `\n`) as a row of `types.count` values.
    ///
    /// - Throws: ``Malformed`` when the line is not such a row.
    public static func decode(_ line: some Collection<UInt8>, types: [LogicalType]) throws
        -> [ExportValue]
    {
        var values: [ExportValue] = []
        values.reserveCapacity(types.count)
        try decode(line, types: types, appendingTo: &values)
        return values
    }

    /// Reads one line (without its `\n`) as a row of `types.count` values
    /// and appends them to `values`: rows decoded one after another into
    /// one array need no array of their own each.
    ///
    /// - Throws: ``Malformed`` when the line is not such a row; `values`
    ///   may then hold part of it.
    public static func decode(
        _ line: some Collection<UInt8>, types: [LogicalType],
        appendingTo values: inout [ExportValue]
    ) throws {
        let before = values.count
        // Read in place where the line's bytes lie together (a slice of the reader's buffer).
        let readInPlace: Void? = try line.withContiguousStorageIfAvailable { bytes in
            var reader = Reader(bytes: bytes)
            try reader.row(types: types, into: &values)
        }
        if readInPlace == nil {
            try Array(line).withUnsafeBufferPointer { bytes in
                var reader = Reader(bytes: bytes)
                try reader.row(types: types, into: &values)
            }
        }
        let count = values.count - before
        guard count == types.count else {
            throw Malformed(
                description: "the row has \(count) values for \(types.count) columns")
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        /// Appends the row's values to `values`.
        mutating func row(types: [LogicalType], into values: inout [ExportValue]) throws {
            let first = values.count
            skipSpaces()
            try expect(UInt8(ascii: "["))
            skipSpaces()
            if peek() == UInt8(ascii: "]") {
                position += 1
            } else {
                while true {
                    skipSpaces()
                    let column = values.count - first
                    let type = column < types.count ? types[column] : .any
                    values.append(try value(type: type))
                    skipSpaces()
                    let next = try take()
                    if next == UInt8(ascii: "]") { break }
                    guard next == UInt8(ascii: ",") else { throw fail("',' or ']' expected") }
                }
            }
            skipSpaces()
            guard position == bytes.count else { throw fail("text after the row") }
        }

        func fail(_ what: String) -> Malformed {
            Malformed(description: "\(what) at byte \(position + 1)")
        }

        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func take() throws -> UInt8 {
            guard position < bytes.count else { throw fail("the line ends early") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func expect(_ byte: UInt8) throws {
            guard try take() == byte else {
                position -= 1
                throw fail("'\(Character(UnicodeScalar(byte)))' expected")
            }
        }

        mutating func skipSpaces() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0d { position += 1 }
        }

        mutating func word(_ text: String) throws {
            for byte in text.utf8 { try expect(byte) }
        }

        mutating func value(type: LogicalType) throws -> ExportValue {
            guard let first = peek() else { throw fail("a value expected") }
            switch first {
            case UInt8(ascii: "n"):
                try word("null")
                return .null
            case UInt8(ascii: "t"):
                try word("true")
                return .boolean(true)
            case UInt8(ascii: "f"):
                try word("false")
                return .boolean(false)
            case UInt8(ascii: "\""):
                let text = try string()
                if case .integer = type, let integer = Int64(text),
                    integer.magnitude > RowCodec.exactIntegerLimit.magnitude
                {
                    return .integer(integer)
                }
                return .text(text)
            case UInt8(ascii: "{"):
                return try tagged()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try number()
            default:
                throw fail("a value expected")
            }
        }

        mutating func number() throws -> ExportValue {
            let start = position
            var isReal = false
            while let byte = peek(),
                byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            {
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                    || byte == UInt8(ascii: "E")
                {
                    isReal = true
                }
                position += 1
            }
            let digits = UnsafeBufferPointer(rebasing: bytes[start..<position])
            if !isReal, let integer = Self.integer(digits) { return .integer(integer) }
            if isReal, let real = RowCodec.real(digits), real.isFinite { return .real(real) }
            let text = String(decoding: digits, as: UTF8.self)
            // A text longer than `RowCodec.real` reads in place.
            if isReal, let real = Double(text), real.isFinite { return .real(real) }
            throw fail(isReal ? "'\(text)' is not a number" : "'\(text)' is not a 64-bit integer")
        }

        /// A 64-bit integer's decimal digits (after an optional `-`), or nil
        /// for anything else or a number out of range, as `Int64(_:)` reads them
        /// but without making a text first.
        static func integer(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
            var index = 0
            let negative = digits.first == UInt8(ascii: "-")
            if negative { index = 1 }
            guard index < digits.count else { return nil }
            let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            var magnitude: UInt64 = 0
            while index < digits.count {
                let digit = digits[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (times10, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, carried) = times10.addingReportingOverflow(UInt64(digit))
                guard !overflowed, !carried, sum <= limit else { return nil }
                magnitude = sum
                index += 1
            }
            return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
        }

        mutating func tagged() throws -> ExportValue {
            try expect(UInt8(ascii: "{"))
            skipSpaces()
            let tag = try string()
            skipSpaces()
            try expect(UInt8(ascii: ":"))
            skipSpaces()
            let text = try string()
            skipSpaces()
            try expect(UInt8(ascii: "}"))
            switch tag {
            case "$base64":
                guard let data = Data(base64Encoded: text) else { throw fail("bad base64") }
                return .blob(Array(data))
            case "$int":
                guard let integer = Int64(text) else { throw fail("'\(text)' is not an integer") }
                return .integer(integer)
            case "$real":
                switch text {
                case "NaN": return .real(.nan)
                case "Infinity": return .real(.infinity)
                case "-Infinity": return .real(-.infinity)
                default: throw fail("'\(text)' is not a tagged real")
                }
            default:
                throw fail("unknown tag '\(tag)'")
            }
        }

        mutating func hexValue() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = try take()
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            // Most texts hold no escape: they are read straight from the line.
            var end = position
            var bits: UInt8 = 0
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""),
                bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20
            {
                bits |= bytes[end]
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                let text = UnsafeBufferPointer(rebasing: bytes[position..<end])
                // ASCII is UTF-8: a text of it needs no validation (whose generic code looked up
                // its type's metadata at every call, a twentieth of an import's reading).
                if bits < 0x80 {
                    position = end + 1
                    return String(decoding: text, as: UTF8.self)
                }
                guard let text = String(validating: text, as: UTF8.self) else {
                    position = end + 1
                    throw fail("the text is not UTF-8")
                }
                position = end + 1
                return text
            }
            var out: [UInt8] = []
            while true {
                let byte = try take()
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: out, as: UTF8.self) else {
                        throw fail("the text is not UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    let escaped = try take()
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                        out.append(escaped)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "u"):
                        var scalar = try hexValue()
                        if (0xD800..<0xDC00).contains(scalar) {
                            try word("\\u")
                            let low = try hexValue()
                            guard (0xDC00..<0xE000).contains(low) else {
                                throw fail("bad surrogate pair")
                            }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else {
                            throw fail("bad \\u escape")
                        }
                        out.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        throw fail("bad escape")
                    }
                default:
                    guard byte >= 0x20 else { throw fail("a control character in a text") }
                    out.append(byte)
                }
            }
        }
    }
}
