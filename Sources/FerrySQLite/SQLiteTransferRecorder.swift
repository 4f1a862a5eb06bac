import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Records the rows a transfer moves while SQLite moves them: the `UPDATE`
/// sets the owner column to `ferry_record_row(value, key, column, …)`, which
/// keeps the row's key and digest and gives back `value`. One pass over the
/// rows instead of a second one, and a few packs of 65,536 rows written
/// afterwards instead of a b-tree insert per row; the undo reads the packs
/// back as rows through `json_each(ferry_unpacked_rows(rows))`.
///
/// A pack holds, for each row: its key (a tag byte, then an integer as a
/// zigzag varint, a real as its eight bytes, or a text as a varint length
/// and its UTF-8), then the row's digest (``packedDigest(_:count:)``, which
/// `ferry_packed_row_digest(…)` computes again for an undo) in eight bytes,
/// little-endian.
final class SQLiteTransferRecorder {
    /// The packs filled, each with its number of rows.
    private var packs: [(rows: Int, bytes: [UInt8])] = []
    // Called once per moved row, from SQLite, on the one thread that runs
    // the statement: no access of these overlaps another.
    @exclusivity(unchecked) private var current: [UInt8] = []
    @exclusivity(unchecked) private var currentRows = 0
    /// How many rows were recorded.
    @exclusivity(unchecked) private(set) var count = 0
    /// Whether a key could not be packed (a blob, NULL, or a text holding
    /// a NUL, which SQLite's JSON cuts short): the statement then failed,
    /// and the rows are recorded one each instead (``SQLiteSession/move(_:)``).
    private(set) var metUnpackableKey = false
    /// How many bytes a pack holds at most, besides its number of rows:
    /// far below SQLite's largest blob (a gigabyte) whatever the keys.
    static let bytesPerPack = 64 << 20

    private enum Tag: UInt8 {
        case integer = 1
        case real = 2
        case text = 3
    }

    /// The packs, the last one closed.
    func finish() -> [(rows: Int, bytes: [UInt8])] {
        if currentRows > 0 { close() }
        return packs
    }

    private func close() {
        packs.append((currentRows, current))
        current = []
        currentRows = 0
    }

    /// Records a row: its key and digest. False, and ``metUnpackableKey``,
    /// for a key that is not an integer, a real or a text without a NUL.
    fileprivate func record(key: OpaquePointer?, digest: UInt64) -> Bool {
        if current.isEmpty { current.reserveCapacity(TransferStore.rowsPerPack * 13) }
        let type = sqlite3_value_type(key)
        guard
            type == SQLITE_INTEGER || type == SQLITE_FLOAT
                || (type == SQLITE_TEXT
                    && memchr(sqlite3_value_text(key), 0, Int(sqlite3_value_bytes(key))) == nil)
        else {
            metUnpackableKey = true
            return false
        }
        // The tag, the key (or a text's length) and the digest, then a text's bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { entry in
            var length = 0
            func varint(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    entry[length] = UInt8(truncatingIfNeeded: value) | 0x80
                    length += 1
                    value >>= 7
                }
                entry[length] = UInt8(value)
                length += 1
            }
            func word(_ word: UInt64) {
                for shift in stride(from: 0, to: 64, by: 8) {
                    entry[length] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                    length += 1
                }
            }
            switch type {
            case SQLITE_INTEGER:
                entry[0] = Tag.integer.rawValue
                length = 1
                let value = sqlite3_value_int64(key)
                varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
                word(digest)
            case SQLITE_FLOAT:
                entry[0] = Tag.real.rawValue
                length = 1
                word(sqlite3_value_double(key).bitPattern)
                word(digest)
            default:
                entry[0] = Tag.text.rawValue
                length = 1
                varint(UInt64(sqlite3_value_bytes(key)))
            }
            current.append(contentsOf: UnsafeBufferPointer(rebasing: entry[0..<length]))
        }
        if type == SQLITE_TEXT {
            let length = Int(sqlite3_value_bytes(key))
            if length > 0, let text = sqlite3_value_text(key) {
                current.append(contentsOf: UnsafeBufferPointer(start: text, count: length))
            }
            withUnsafeBytes(of: digest.littleEndian) { current.append(contentsOf: $0) }
        }
        currentRows += 1
        count += 1
        if currentRows == TransferStore.rowsPerPack || current.count >= Self.bytesPerPack {
            close()
        }
        return true
    }

    // MARK: Functions on the connection

    /// Adds `ferry_record_row(…)` to the connection, recording into this
    /// recorder until ``remove(from:)``.
    func install(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_record_row", -1, SQLITE_UTF8,
            Unmanaged.passUnretained(self).toOpaque(),
            { context, count, values in
                guard count >= 2, let values, let data = sqlite3_user_data(context) else {
                    sqlite3_result_error(context, "ferry_record_row takes a value and a key", -1)
                    return
                }
                let digest = SQLiteTransferRecorder.packedDigest(values + 2, count: Int(count) - 2)
                let recorded = Unmanaged<SQLiteTransferRecorder>.fromOpaque(data)
                    ._withUnsafeGuaranteedRef { $0.record(key: values[1], digest: digest) }
                guard recorded else {
                    sqlite3_result_error(
                        context,
                        "a pack records keys of integers, reals and texts without a NUL; "
                            + "this row's key is none of them", -1)
                    return
                }
                sqlite3_result_value(context, values[0])
            }, nil, nil, nil)
    }

    /// Takes `ferry_record_row` off the connection.
    static func remove(from db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_record_row", -1, SQLITE_UTF8, nil, nil, nil, nil, nil)
    }

    /// Adds `ferry_row_digest(…)` (``digest(_:count:)`` of its arguments,
    /// as `ferry_transfer_rows` holds it), `ferry_packed_row_digest(…)`
    /// (``packedDigest(_:count:)``, as packs hold it) and
    /// `ferry_unpacked_rows(pack)` (a pack as the JSON array
    /// `[[key, digest], …]`) to the connection.
    static func addFunctions(to db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_row_digest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, count, values in
                let digest = SQLiteTransferRecorder.digest(values, count: Int(count))
                sqlite3_result_int64(context, Int64(bitPattern: digest))
            }, nil, nil, nil)
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_packed_row_digest", -1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, count, values in
                let digest = SQLiteTransferRecorder.packedDigest(values, count: Int(count))
                sqlite3_result_int64(context, Int64(bitPattern: digest))
            }, nil, nil, nil)
        sqlite3_create_function_v2(
            db.sqliteConnection, "ferry_unpacked_rows", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, values in
                let length = Int(sqlite3_value_bytes(values?[0]))
                let bytes = UnsafeRawBufferPointer(
                    start: sqlite3_value_blob(values?[0]), count: length)
                guard let json = SQLiteTransferRecorder.json(of: bytes) else {
                    sqlite3_result_error(context, "a pack of ferry_transfer_packs is damaged", -1)
                    return
                }
                json.withUnsafeBufferPointer { text in
                    text.withMemoryRebound(to: CChar.self) { text in
                        sqlite3_result_text64(
                            context, text.baseAddress, sqlite3_uint64(text.count),
                            SQLiteTransferRecorder.transientDestructor, UInt8(SQLITE_UTF8))
                    }
                }
            }, nil, nil, nil)
    }

    /// SQLite's `SQLITE_TRANSIENT`: SQLite copies the bytes first.
    private static let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// 64-bit FNV-1a over each value's type and bytes: it tells a changed
    /// row from an unchanged one; it is not meant to resist someone who
    /// forges rows. Reads each value where SQLite keeps it: a Swift value
    /// per column cost more than the whole `UPDATE` of a million rows.
    static func digest(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int) -> UInt64 {
        var hasher = ByteHasher()
        hasher.feed(values, count: count)
        return hasher.hash
    }

    /// The digest that packs hold: each value's type and its bytes mixed
    /// eight at a time (a multiply and a shift per word), several times
    /// faster than FNV-1a's byte at a time inside the `UPDATE` that moves a
    /// million rows. Like ``digest(_:count:)``, it tells a changed row from
    /// an unchanged one and does not resist forged rows.
    static func packedDigest(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int)
        -> UInt64
    {
        var hasher = WordHasher()
        hasher.feed(values, count: count)
        return hasher.hash
    }

    /// A pack as JSON text, `[[key, digest], …]`, in UTF-8; nil when it is damaged.
    static func json(of pack: UnsafeRawBufferPointer) -> [UInt8]? {
        var reader = PackReader(bytes: pack)
        var json: [UInt8] = []
        json.reserveCapacity(pack.count * 3)
        func append(_ text: String) { json.append(contentsOf: text.utf8) }
        json.append(UInt8(ascii: "["))
        while !reader.atEnd {
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "["))
            guard let tag = reader.byte().flatMap(Tag.init(rawValue:)) else { return nil }
            switch tag {
            case .integer:
                guard let zigzag = reader.varint() else { return nil }
                append(String(Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))))
            case .real:
                guard let bits = reader.word() else { return nil }
                let real = Double(bitPattern: bits)
                append(real.isFinite ? "\(real)" : (real < 0 ? "-9e999" : "9e999"))
            case .text:
                guard let length = reader.varint(), length <= UInt64(pack.count),
                    let text = reader.bytes(Int(length))
                else { return nil }
                appendJSONString(text, to: &json)
            }
            guard let digest = reader.word() else { return nil }
            append(",\(Int64(bitPattern: digest))]")
        }
        json.append(UInt8(ascii: "]"))
        return json
    }

    /// Appends a text as a JSON string: quotes, backslashes and control
    /// characters escaped, the rest as it is.
    private static func appendJSONString(_ bytes: UnsafeRawBufferPointer, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                json += [UInt8(ascii: "\\"), byte]
            case 0..<0x20:
                json += Array(String(format: "\\u%04x", byte).utf8)
            default:
                json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    /// Reads a pack's bytes in order.
    private struct PackReader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let byte = byte() else { return nil }
                value |= UInt64(byte & 0x7f) << UInt64(shift)
                if byte < 0x80 { return value }
            }
            return nil
        }

        mutating func word() -> UInt64? {
            guard let bytes = self.bytes(8) else { return nil }
            return bytes.loadUnaligned(as: UInt64.self).littleEndian
        }

        mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }
    }
}
