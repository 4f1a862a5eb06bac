import Foundation
import Testing

@testable import Ferry

/// The row lines of an export: every value reads back as it was written,
/// and a line from outside that is not a row is refused, never a crash.
@Suite struct RowCodecTests {
    static let types: [LogicalType] = [.integer, .any, .real, .text, .blob, .boolean, .any]

    static let rows: [[ExportValue]] = [
        [
            .integer(1 << 53), .integer(Int64.max), .real(0.1), .text(""), .blob([]),
            .boolean(true), .null,
        ],
        [
            .integer((1 << 53) + 1), .integer(Int64.min), .real(-0.0),
            .text("NUL \0 CR \r LF \n tab \t \" \\ / \u{1} é 🚀 \u{2028}"), .blob(Array(0...255)),
            .boolean(false), .real(.nan),
        ],
        [
            .integer(-(1 << 53) - 1), .text("123"), .real(5e-324), .text("null"), .null, .null,
            .real(.infinity),
        ],
        [
            .null, .real(1e21), .real(1.7976931348623157e308), .null, .null, .null,
            .real(-.infinity),
        ],
    ]

    /// A batch's rows are written as the same lines as the values', whether
    /// a row goes through the scratch area or, too long for it, straight
    /// into the line buffer: every kind of value, escapes, bytes that are not
    /// UTF-8 (written as U+FFFD), and a text of 60,000 bytes.
    @Test func aBatchWritesTheSameLinesThroughTheScratchAreaOrWithout() {
        let notUTF8: [UInt8] = [0x61, 0xff, 0xc3]
        let rows =
            Self.rows + [
                [
                    .integer(-42), .integer(7), .real(59.19),
                    .text(String(repeating: "x\u{1}é", count: 15000)),
                    .blob(Array(repeating: 0xfe, count: 3000)), .boolean(true), .text("plain"),
                ],
                [
                    .null, .null, .null, .text(String(decoding: notUTF8, as: UTF8.self)), .null,
                    .null, .null,
                ],
            ]
        var batch = ExportRowBatch(valueCapacity: 64)
        var expected: [UInt8] = []
        for (number, row) in rows.enumerated() {
            RowCodec.append(row, types: Self.types, to: &expected)
            for value in row {
                switch value {
                case .null: batch.appendNull()
                case .integer(let integer): batch.append(integer)
                case .real(let real): batch.append(real)
                case .boolean(let flag): batch.append(flag)
                case .text(var text):
                    // The last row's text goes in as the bytes it was decoded from.
                    if number == rows.count - 1 {
                        notUTF8.withUnsafeBytes { batch.append(.text, bytes: $0) }
                    } else {
                        text.withUTF8 { batch.append(.text, bytes: UnsafeRawBufferPointer($0)) }
                    }
                case .blob(let bytes): bytes.withUnsafeBytes { batch.append(.blob, bytes: $0) }
                }
            }
            batch.rowCount += 1
        }
        for capacity in [0, 200, 1 << 16, 1 << 20] {
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(capacity, 1))
            defer { scratch.deallocate() }
            var lines: [UInt8] = []
            var cursor = ExportRowBatch.Cursor()
            batch.withPayload { payload in
                for _ in rows {
                    RowCodec.append(
                        batch, payload: payload, at: &cursor, types: Self.types, to: &lines,
                        scratch: UnsafeMutableBufferPointer(rebasing: scratch[0..<capacity]))
                }
            }
            #expect(lines == expected, "scratch of \(capacity) bytes")
        }
    }

    @Test func everyValueReadsBackAsItWasWritten() throws {
        for row in Self.rows {
            var line: [UInt8] = []
            RowCodec.append(row, types: Self.types, to: &line)
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
            let read = try RowCodec.decode(line.dropLast(), types: Self.types)
            for (written, back) in zip(row, read) {
                switch (written, back) {
                case (.real(let a), .real(let b)):
                    #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "\(a) \(b)")
                default:
                    #expect(written == back)
                }
            }
        }
    }

    /// Integers are written as their decimal digits, at every length and
    /// sign, the extremes included.
    @Test func integersAreWrittenAsTheirDigits() {
        var samples: [Int64] = [0, 9, 10, 99, 100, 101, 999, 1000, .max, .min, .max - 1, .min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            samples += [power - 1, power, power + 1]
        }
        var generator = SystemRandomNumberGenerator()
        samples += (0..<1000).map { _ in Int64.random(in: .min ... .max, using: &generator) }
        for sample in samples + samples.map { $0 == .min ? .max : -$0 } {
            var out: [UInt8] = []
            RowCodec.append([.integer(sample)], types: [.any], to: &out)
            let expected =
                sample.magnitude <= 1 << 53 ? "[\(sample)]\n" : "[{\"$int\":\"\(sample)\"}]\n"
            #expect(String(decoding: out, as: UTF8.self) == expected)
        }
    }

    /// Reals are written exactly as Swift's `description` writes them (the
    /// shortest text that reads back to the same bits), through the quick
    /// way for short decimals as through Swift's own.
    @Test func realsAreTheirShortestText() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Double] = [
            0, -0.0, 1e-4, 1e-5, 0.1, 0.2, 0.1 + 0.2, 1.0 / 3, 520.35, -20.0, 100, 1e15, 1e16,
            9_007_199_254_740_991, 9_007_199_254_740_992, 4_503_599_627_370_495.5, 123.456e-3,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, .ulpOfOne, 2.5e-4, 99999.99999,
        ]
        for decimals in 0...8 {
            let scale = (0..<decimals).reduce(1.0) { value, _ in value * 10 }
            for _ in 0..<3000 {
                let units = Double(
                    Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator))
                samples.append(units / scale)
            }
        }
        for _ in 0..<20000 {
            samples.append(Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator)))
            samples.append(Double.random(in: -1e6...1e6, using: &generator))
        }
        var quick = 0
        for sample in samples where sample.isFinite {
            var written = ""
            RowCodec.withShortestText(of: sample) { written = String(decoding: $0, as: UTF8.self) }
            #expect(written == sample.description, "\(sample.bitPattern)")
            if RowCodec.shortestDecimal(sample.magnitude) != nil { quick += 1 }
        }
        // The short decimals take the quick way.
        #expect(quick > 25000, "\(quick) of \(samples.count)")
    }

    @Test func integersBeyondTwoToThe53AreStringsOrTagged() {
        var line: [UInt8] = []
        RowCodec.append(
            [.integer((1 << 53) + 1), .integer((1 << 53) + 1), .integer(1 << 53)],
            types: [.integer, .any, .any], to: &line)
        #expect(
            String(decoding: line, as: UTF8.self)
                == "[\"9007199254740993\",{\"$int\":\"9007199254740993\"},9007199254740992]\n")
    }

    @Test(arguments: [
        "", "[", "]", "[1,]", "[1 2]", "[1]x", "[01x]", "[\"unterminated]", "[\"bad \\q\"]",
        "[\"\\ud800\"]", "[{\"$real\":\"1\"}]", "[{\"$nope\":\"1\"}]", "[{\"$base64\":\"!!\"}]",
        "[99999999999999999999]", "[1e999]",
        // Found in review: the last digit's addition overflowed and trapped.
        "[18446744073709551616]", "[-18446744073709551619]", "[\"18446744073709551616\"]",
        "[1,{\"$int\":\"18446744073709551617\"}]", "[tru]", "[\"\u{1}\"]", "[1,2,3,4,5,6,7,8]",
    ])
    func aLineThatIsNotARowIsRefused(line: String) {
        #expect(throws: RowCodec.Malformed.self) {
            try RowCodec.decode(Array(line.utf8), types: Self.types)
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<40, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes.insert(UInt8(ascii: "["), at: 0) }
            _ = try? RowCodec.decode(bytes, types: Self.types)
        }
    }

    /// A real's text read in place gives the bits `Double(String)` gives, and
    /// anything else is left to be read through a text.
    /// A row's real is read as `Double(String)` reads it, also one whose text
    /// is longer than `RowCodec.real` reads in place; a text is read whether
    /// it is ASCII or not, and bytes that are not UTF-8 are refused.
    @Test func aRowsRealsAndTextsReadAsWritten() throws {
        let long = "0." + String(repeating: "0", count: 70) + "1234567890123456789"
        let line = Array("[\(long),59.19,\"plain\",\"é \\u00e9\",-0.0]".utf8)
        let values = try RowCodec.decode(line[...], types: [.real, .real, .text, .text, .real])
        #expect(values.count == 5)
        #expect(values[0] == .real(Double(long)!))
        #expect(values[1] == .real(59.19))
        #expect(values[2] == .text("plain"))
        #expect(values[3] == .text("é é"))
        #expect(values[4] == .real(-0.0))
        #expect(throws: RowCodec.Malformed.self) {
            try RowCodec.decode(
                (Array("[\"".utf8) + [0xff] + Array("\"]".utf8))[...], types: [.text])
        }
    }

    @Test func realsReadInPlaceAsDoubleReadsThem() {
        var generator = SystemRandomNumberGenerator()
        var texts = [
            "0", "-0", "0.1", "59.19", "123", "1E5", "1e+100", "-1.5e-05",
            "2.2250738585072014e-308",
            "4.9e-324", "1.7976931348623157e+308", "1e999", "00012.50",
        ]
        // Decimal texts as applications store them, around the edges of the exact reading
        // (2^53, 19 digits, 10^±22).
        texts += [
            "9007199254740992", "9007199254740993", "9007199254740993.0", "900719925474099.3",
            "1e22", "1e23", "1e-22", "1e-23", "123456789012345678e-22", "1234567890123456789",
            "12345678901234567890", "0.000001", "-0.0", "1.", ".5", "1e0", "1E-0", "3e+22",
        ]
        for _ in 0..<20_000 {
            let digits = String(UInt64.random(in: 0...UInt64.max, using: &generator))
                .prefix(Int.random(in: 1...20, using: &generator))
            let point = Int.random(in: 0...digits.count, using: &generator)
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if Bool.random(using: &generator) { text = "-" + text }
            if Bool.random(using: &generator) {
                text += "e\(Int.random(in: -30...30, using: &generator))"
            }
            texts.append(text)
        }
        for _ in 0..<20_000 {
            let real = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            if real.isFinite { texts.append("\(real)") }
            texts.append(String(Double.random(in: -1e6...1e6, using: &generator)))
        }
        for text in texts {
            let read = Array(text.utf8).withUnsafeBufferPointer { RowCodec.real($0) }
            #expect(read?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
        for text in ["", "Infinity", "-Infinity", "NaN", " 1", "1 ", "1.2.3", "-", "e5", "0x10"] {
            #expect(
                Array(text.utf8).withUnsafeBufferPointer { RowCodec.real($0) } == nil, "\(text)")
        }
    }
}
