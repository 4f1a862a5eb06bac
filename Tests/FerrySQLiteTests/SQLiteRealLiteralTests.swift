import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import FerrySQLite

/// A dump's reals must come back from SQLite with the bits they had. SQLite
/// 3.40 (the one this machine links, and its `sqlite3` shell) reads a few
/// shortest texts one last place off; those are written as exact arithmetic.
@Suite struct SQLiteRealLiteralTests {
    /// Shortest texts that SQLite 3.40 on x86 reads one last place off,
    /// found by reading random reals' texts back through it. Read here with
    /// `Double(String)`: a Swift literal on x86 is rounded twice as well.
    static let misreadBySQLite340 = [
        "462.5430482689342", "730.387486939035", "275.7938229774023", "0.511066794939322",
        "0.760838137020659", "99390.1170642047", "60895.96511147817", "3742107.196078629",
        "2.248323489435648e-52", "4.68659652490359e-298", "4.01194897562786e-308",
    ].map { Double($0)! }

    /// Every real's literal, read by SQLite, in batches of one SELECT.
    static func readBySQLite(_ values: [Double]) throws -> [Double] {
        let queue = try DatabaseQueue()
        return try queue.read { db in
            var read: [Double] = []
            for start in stride(from: 0, to: values.count, by: 500) {
                let literals = values[start..<min(start + 500, values.count)].map(literal)
                let row = try #require(
                    try Row.fetchOne(db, sql: "SELECT " + literals.joined(separator: ",")))
                for index in 0..<row.count {
                    let value = row[index] as DatabaseValue
                    guard case .double(let real) = value.storage else {
                        Issue.record("\(literals[index]) read as \(value)")
                        read.append(.nan)
                        continue
                    }
                    read.append(real)
                }
            }
            return read
        }
    }

    static func literal(_ value: Double) -> String {
        var out: [UInt8] = []
        let count = SQLiteRealLiteral.append(value, to: &out)
        #expect(count == out.count)
        return String(decoding: out, as: UTF8.self)
    }

    /// The texts above still show the fault on the SQLite this runs with
    /// (before 3.43): the test below is not empty.
    @Test func theMisreadTextsAreMisreadByThisSQLite() throws {
        let row = try DatabaseQueue().read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT " + Self.misreadBySQLite340.map(\.description).joined(separator: ","))
        }
        guard sqlite3_libversion_number() < 3_043_000 else { return }
        let read = try #require(row).databaseValues.map { Double.fromDatabaseValue($0) }
        for (value, back) in zip(Self.misreadBySQLite340, read) {
            #expect(back != value, "\(value) is read back exactly")
        }
    }

    @Test func everyRealComesBackFromSQLiteWithItsBits() throws {
        var generator = SystemRandomNumberGenerator()
        var samples: [Double] =
            Self.misreadBySQLite340 + [
                0, 0.1, 0.2, 0.3, 1.0 / 3, 2.5, 19.99, 520.35, 1e-4, 1e-5, 1e15, 1e20, 1e22, 1e23,
                9_007_199_254_740_991, 9_007_199_254_740_992, 9_007_199_254_740_994, .ulpOfOne,
                .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .infinity,
            ]
        for _ in 0..<20000 {
            samples.append(Double.random(in: 0..<1, using: &generator))
            samples.append(Double.random(in: -1e6...1e6, using: &generator))
            let bits = Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator))
            if !bits.isNaN { samples.append(bits) }
        }
        samples += samples.map { -$0 }
        let read = try Self.readBySQLite(samples)
        for (sample, back) in zip(samples, read) where sample.bitPattern != back.bitPattern {
            Issue.record(
                "\(sample) (\(sample.bitPattern)) written \(Self.literal(sample)) read \(back)")
        }
    }

    /// The reals people store keep their short text; only the few SQLite
    /// misreads (and reals of more digits than a double's) take the exact form.
    @Test func shortTextsStayShort() {
        for value in [0.1, 0.3, 2.5, -19.99, 520.35, 1e-5, 1e20, 123.0, 0.0] {
            #expect(Self.literal(value) == value.description)
        }
        #expect(Self.literal(Self.misreadBySQLite340[0]) == "(8137143358698381.0/17592186044416)")
        #expect(
            Self.literal(-.leastNonzeroMagnitude)
                == "(-1.0" + String(repeating: "/4611686018427387904", count: 17) + "/1048576)")
        #expect(Self.literal(.greatestFiniteMagnitude).hasPrefix("(9007199254740991.0*"))
        #expect(Self.literal(-.infinity) == "-1e999")
    }

    @Test func theExactFormIsReadBack() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator))
            guard value.isFinite else { continue }
            var out: [UInt8] = []
            _ = SQLiteRealLiteral.appendExact(value, to: &out)
            out += Array(",next".utf8)
            var position = 0
            let read = out.withUnsafeBufferPointer {
                SQLiteRealLiteral.read(in: $0, at: &position)
            }
            #expect(read?.bitPattern == value.bitPattern, "\(value.bitPattern)")
            #expect(position == out.count - 5)
        }
        for other in [
            "(3.0/3)", "(1.0/0)", "(1.0", "(1.0/9223372036854775808)", "(1/2)", "(1.5/2)",
            "(99999999999999999999.0/2)", "(1.0/2", "(1.0+2)", "(.0/2)", "(1.0/1)",
        ] {
            var position = 0
            let read = Array(other.utf8).withUnsafeBufferPointer {
                SQLiteRealLiteral.read(in: $0, at: &position)
            }
            #expect(read == nil, "\(other)")
            #expect(position == 0)
        }
    }
}
