import Foundation
import GRDB
import GRDBSQLite

/// Runs the multi-row INSERTs of Ferry's own SQL dumps by binding each row's
/// values to one prepared single-row INSERT per table, instead of having
/// SQLite compile every statement of up to a thousand rows.
///
/// Compiling those statements was most of the time a restore of a dump took
/// (SQLite builds a program with the rows' values as constants, runs it once
/// and throws it away). Only the exact form that ``SQLiteDumpWriter`` writes
/// is taken here: `INSERT INTO "t" ("a","b") VALUES` followed by rows of the
/// literals `NULL`, integers, reals (and the exact form of
/// ``SQLiteRealLiteral``), `'text'`, `X'blob'` and `CAST(X'…' AS TEXT)`.
/// Anything else (another program's dump, a hand-edited one) is left to
/// SQLite as text, so the database is the same either way: a bound value gets
/// its column's affinity exactly as the literal would. One difference is
/// wanted: a real's text is read correctly rounded, where SQLite before 3.43
/// reads a few texts one last place off (see ``SQLiteRealLiteral``: earlier dumps
/// of Ferry may hold such texts, and restore to their exact bits).
struct DumpInsertBinder {
    /// One value of a row in 16 bytes (a dump's megabyte holds about
    /// 150,000): its kind, and an integer's or a real's bits, or where its
    /// text or digits are in the statement's bytes (offset and length, 32
    /// bits each: a statement is taken only when it is under 4 GiB).
    struct Literal {
        enum Kind: UInt8 {
            case null, integer, real
            /// Text between quotes, and text that holds `''` for a quote.
            case text, textWithDoubledQuotes
            /// The hexadecimal digits of `X'…'`, and of `CAST(X'…' AS TEXT)`.
            case blob, hexText
        }

        let kind: Kind
        let word: UInt64

        static let null = Literal(kind: .null, word: 0)

        static func integer(_ value: Int64) -> Literal {
            Literal(kind: .integer, word: UInt64(bitPattern: value))
        }

        static func real(_ value: Double) -> Literal {
            Literal(kind: .real, word: value.bitPattern)
        }

        /// `range` is in a statement of less than 4 GiB.
        init(_ kind: Kind, _ range: Range<Int>) {
            self.init(kind: kind, word: UInt64(range.lowerBound) << 32 | UInt64(range.count))
        }

        private init(kind: Kind, word: UInt64) {
            self.kind = kind
            self.word = word
        }

        /// Where the text or the digits are, in the statement's bytes.
        var range: Range<Int> {
            let start = Int(word >> 32)
            return start..<start + Int(word & 0xffff_ffff)
        }
    }

    /// The rows of one of Ferry's INSERTs, read: where its header (the text
    /// before the rows) ends, how many columns it names, and where its values
    /// are in the array they were appended to, row after row.
    struct Rows {
        let headerEnd: Int
        let columns: Int
        let values: Range<Int>
    }

    /// A prepared INSERT: the statement's text before its rows, and how many
    /// rows of values it takes.
    private struct Shape: Hashable {
        let header: [UInt8]
        let rows: Int
    }

    /// The prepared INSERTs of one row and of many (see
    /// ``SQLiteSession/rowsPerInsert(columns:in:)``) for each header.
    private var inserts: [Shape: Statement] = [:]
    /// The values of the statement being inserted by ``insert(_:into:)``.
    private var values: [Literal] = []
    /// Unescaped text or decoded bytes of one value.
    private var scratch: [UInt8] = []

    /// Inserts the rows of `statement` (without the blanks around it) if it is
    /// one of Ferry's INSERTs.
    ///
    /// - Returns: false, having changed nothing, when it is not.
    /// - Throws: `DatabaseError` when SQLite refuses a row.
    mutating func insert(_ statement: UnsafeBufferPointer<UInt8>, into db: Database) throws -> Bool
    {
        values.removeAll(keepingCapacity: true)
        guard let rows = Self.rows(of: statement, appendingTo: &values) else { return false }
        let literals = values
        try literals.withUnsafeBufferPointer { literals in
            try insert(rows, of: statement, literals: literals, into: db)
        }
        return true
    }

    /// Reads the rows of `statement` (without the blanks around it), their
    /// values appended to `literals`, if it is one of Ferry's INSERTs.
    ///
    /// - Returns: nil, `literals` as it was, when it is not.
    static func rows(
        of statement: UnsafeBufferPointer<UInt8>, appendingTo literals: inout [Literal]
    )
        -> Rows?
    {
        guard statement.count <= Int(UInt32.max), let (headerEnd, columns) = header(statement)
        else { return nil }
        let first = literals.count
        guard parseRows(statement, from: headerEnd, columns: columns, into: &literals) else {
            literals.removeSubrange(first...)
            return nil
        }
        return Rows(headerEnd: headerEnd, columns: columns, values: first..<literals.count)
    }

    /// Inserts rows read by ``rows(of:appendingTo:)`` from `statement`, whose
    /// values are `literals[rows.values]`.
    ///
    /// - Throws: `DatabaseError` when SQLite refuses a row.
    mutating func insert(
        _ rows: Rows, of statement: UnsafeBufferPointer<UInt8>,
        literals: UnsafeBufferPointer<Literal>, into db: Database
    ) throws {
        let header = Array(statement[..<rows.headerEnd])
        // The statement's rows in a few INSERTs of as many rows as they can take, of nearly
        // equal sizes (1,000 rows of 6 columns: 4 of 167 and 2 of 166): an INSERT per row spent
        // about a third of the load starting and ending statements (opening the table,
        // checking the schema, finding the table's last row again).
        let total = rows.values.count / rows.columns
        let most = SQLiteSession.rowsPerInsert(columns: rows.columns, in: db)
        let parts = (total + most - 1) / most
        var index = rows.values.lowerBound
        for part in 0..<parts {
            let count = total / parts + (part < total % parts ? 1 : 0)
            let handle = try prepared(
                Shape(header: header, rows: count), columns: rows.columns, in: db
            )
            .sqliteStatement
            for offset in 0..<(count * rows.columns) {
                try bind(
                    literals[index + offset], at: Int32(offset + 1), of: statement, to: handle,
                    db: db)
            }
            try RawStatement.run(handle, in: db)
            index += count * rows.columns
        }
    }

    /// How many prepared INSERTs are kept at most.
    private static let preparedKept = 32

    /// The INSERT of `shape`, prepared once.
    private mutating func prepared(_ shape: Shape, columns: Int, in db: Database) throws
        -> Statement
    {
        if let insert = inserts[shape] { return insert }
        // Dumps of wide rows end their INSERTs by size, so their row counts vary: the
        // statements are let go now and then, and memory stays bounded.
        if inserts.count >= Self.preparedKept { inserts.removeAll() }
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ",") + ")"
        let insert = try db.makeStatement(
            sql: String(decoding: shape.header, as: UTF8.self) + " "
                + Array(repeating: row, count: shape.rows).joined(separator: ","))
        inserts[shape] = insert
        return insert
    }

    // MARK: Reading the statement

    /// Where the rows begin (after `VALUES`) and how many columns the header names,
    /// for `INSERT INTO "t" ("a","b") VALUES`.
    private static func header(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        var position = 0
        guard skip("INSERT INTO ", in: bytes, at: &position),
            skipIdentifier(in: bytes, at: &position),
            skip(" (", in: bytes, at: &position)
        else { return nil }
        var columns = 0
        repeat {
            guard skipIdentifier(in: bytes, at: &position) else { return nil }
            columns += 1
        } while skip(",", in: bytes, at: &position)
        guard skip(") VALUES", in: bytes, at: &position) else { return nil }
        return (position, columns)
    }

    /// Appends every row's values to `values`; false unless each has `columns` values and the
    /// statement ends after the last.
    private static func parseRows(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, columns: Int,
        into values: inout [Literal]
    ) -> Bool {
        var position = start
        guard skip("\n(", in: bytes, at: &position) else { return false }
        while true {
            for column in 0..<columns {
                if column > 0, !skip(",", in: bytes, at: &position) { return false }
                guard let value = literal(in: bytes, at: &position) else { return false }
                values.append(value)
            }
            if skip("),\n(", in: bytes, at: &position) { continue }
            return skip(");", in: bytes, at: &position) && position == bytes.count
        }
    }

    private static func literal(in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int)
        -> Literal?
    {
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "'"):
            let start = position + 1
            var doubled = false
            var index = start
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "'") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                        doubled = true
                        index += 2
                        continue
                    }
                    position = index + 1
                    return Literal(doubled ? .textWithDoubledQuotes : .text, start..<index)
                }
                index += 1
            }
            return nil
        case UInt8(ascii: "N"):
            return skip("NULL", in: bytes, at: &position) ? .null : nil
        case UInt8(ascii: "X"):
            guard skip("X'", in: bytes, at: &position),
                let digits = hexDigits(in: bytes, at: &position),
                skip("'", in: bytes, at: &position)
            else { return nil }
            return Literal(.blob, digits)
        case UInt8(ascii: "C"):
            guard skip("CAST(X'", in: bytes, at: &position),
                let digits = hexDigits(in: bytes, at: &position),
                skip("' AS TEXT)", in: bytes, at: &position)
            else { return nil }
            return Literal(.hexText, digits)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number(in: bytes, at: &position)
        case UInt8(ascii: "("):
            return SQLiteRealLiteral.read(in: bytes, at: &position).map(Literal.real)
        default:
            return nil
        }
    }

    /// An integer, or a real when it has a `.` or an exponent, as SQLite reads a numeric literal.
    /// An integer too large for 64 bits is not taken (SQLite would make it a real).
    private static func number(in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int)
        -> Literal?
    {
        let start = position
        var index = position
        var isReal = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
            {
                isReal = true
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") {
                guard index == start || bytes[index - 1] | 0x20 == UInt8(ascii: "e") else { break }
            } else {
                break
            }
            index += 1
        }
        guard index > start else { return nil }
        if isReal {
            // strtod wants a terminated string; a literal the writer wrote is short.
            guard index - start < 64 else { return nil }
            var text = [CChar](repeating: 0, count: index - start + 1)
            for offset in 0..<(index - start) {
                text[offset] = CChar(bitPattern: bytes[start + offset])
            }
            var end: UnsafeMutablePointer<CChar>?
            let value = text.withUnsafeMutableBufferPointer { buffer in
                strtod(buffer.baseAddress!, &end)
            }
            let consumed = text.withUnsafeBufferPointer { buffer in
                end.map { UnsafePointer($0) - buffer.baseAddress! }
            }
            guard consumed == index - start else { return nil }
            position = index
            return .real(value)
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for offset in (negative ? start + 1 : start)..<index {
            let digit = UInt64(bytes[offset] - UInt8(ascii: "0"))
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2, digit <= 9 else { return nil }
            magnitude = sum
        }
        guard index > (negative ? start + 1 : start) else { return nil }
        position = index
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return .integer(Int64(magnitude))
    }

    /// An even number of hexadecimal digits, up to the next quote.
    private static func hexDigits(in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int)
        -> Range<Int>?
    {
        let start = position
        var index = position
        while index < bytes.count, hexValue(bytes[index]) != nil { index += 1 }
        guard (index - start) % 2 == 0 else { return nil }
        position = index
        return start..<index
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// A double-quoted identifier, with `""` for a quote inside.
    private static func skipIdentifier(in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int)
        -> Bool
    {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\""),
            let end = QuotedName.end(in: bytes, from: position, closing: UInt8(ascii: "\""))
        else { return false }
        position = end
        return true
    }

    /// Moves past `text` if the bytes at `position` are exactly it.
    private static func skip(
        _ text: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at position: inout Int
    ) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        let expected = text.utf8Start
        for offset in 0..<count where bytes[position + offset] != expected[offset] { return false }
        position += count
        return true
    }

    // MARK: Binding

    private mutating func bind(
        _ value: Literal, at index: Int32, of bytes: UnsafeBufferPointer<UInt8>,
        to handle: OpaquePointer, db: Database
    ) throws {
        let code: Int32
        switch value.kind {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer:
            code = sqlite3_bind_int64(handle, index, Int64(bitPattern: value.word))
        case .real:
            code = sqlite3_bind_double(handle, index, Double(bitPattern: value.word))
        case .textWithDoubledQuotes:
            scratch.removeAll(keepingCapacity: true)
            let range = value.range
            var offset = range.lowerBound
            while offset < range.upperBound {
                scratch.append(bytes[offset])
                offset += bytes[offset] == UInt8(ascii: "'") ? 2 : 1
            }
            code = bindScratchAsText(handle, index)
        case .text:
            // The statement's bytes outlive the step that reads them.
            let range = value.range
            let start = bytes.baseAddress! + range.lowerBound
            code = start.withMemoryRebound(to: CChar.self, capacity: max(range.count, 1)) { text in
                sqlite3_bind_text(handle, index, text, Int32(range.count), Self.staticDestructor)
            }
        case .blob:
            decode(value.range, of: bytes)
            code =
                scratch.isEmpty
                ? sqlite3_bind_zeroblob(handle, index, 0)
                : scratch.withUnsafeBytes {
                    sqlite3_bind_blob(
                        handle, index, $0.baseAddress, Int32($0.count), Self.transientDestructor)
                }
        case .hexText:
            decode(value.range, of: bytes)
            code = bindScratchAsText(handle, index)
        }
        guard code == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    private func bindScratchAsText(_ handle: OpaquePointer, _ index: Int32) -> Int32 {
        // An empty array's buffer may have no address, and a null pointer binds NULL, not ''.
        guard !scratch.isEmpty else {
            return sqlite3_bind_text(handle, index, "", 0, Self.staticDestructor)
        }
        return scratch.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                sqlite3_bind_text(
                    handle, index, text.baseAddress, Int32(text.count), Self.transientDestructor)
            }
        }
    }

    private mutating func decode(_ digits: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) {
        scratch.removeAll(keepingCapacity: true)
        var offset = digits.lowerBound
        while offset < digits.upperBound {
            scratch.append(Self.hexValue(bytes[offset])! << 4 | Self.hexValue(bytes[offset + 1])!)
            offset += 2
        }
    }

    /// SQLite's `SQLITE_STATIC`: the bytes stay valid while SQLite reads them.
    private static let staticDestructor = unsafeBitCast(0, to: sqlite3_destructor_type.self)
    /// SQLite's `SQLITE_TRANSIENT`: SQLite copies the bytes first.
    private static let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
