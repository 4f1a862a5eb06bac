import Foundation
import GRDB
import GRDBSQLite

/// The aggregate `ferry_index_fingerprint(directions, value…)`: the
/// ``SQLiteRowFingerprint`` of an index's entries read in the order the
/// index holds them, or `NULL` when an entry is not greater than the one
/// before it, as ``SQLiteIntegrityCheck`` compares an index with its table.
///
/// An index's entries must be strictly increasing in its order (its
/// columns' directions, then the rowid): SQLite finds rows by that order,
/// and `PRAGMA quick_check` does not look at it. The first argument names
/// each column's direction (`a` ascending, `d` descending); the values
/// compare as SQLite's `BINARY` collation compares them: `NULL` first, then
/// numbers (integers and reals by value), then texts and blobs byte by byte.
/// Indexes with another collation are left to SQLite's own check.
enum SQLiteIndexFingerprint {
    static let name = "ferry_index_fingerprint"

    /// Adds the aggregate to a connection.
    static func register(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, nil, nil,
            { context, count, values in
                guard
                    let slot = sqlite3_aggregate_context(context, 8)?
                        .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
                else {
                    sqlite3_result_error_nomem(context)
                    return
                }
                if slot.pointee == nil {
                    slot.pointee = Unmanaged.passRetained(Entries()).toOpaque()
                }
                Unmanaged<Entries>.fromOpaque(slot.pointee!)._withUnsafeGuaranteedRef {
                    $0.add(values, count: Int(count))
                }
            },
            { context in
                guard
                    let slot = sqlite3_aggregate_context(context, 0)?
                        .assumingMemoryBound(to: UnsafeMutableRawPointer?.self),
                    let existing = slot.pointee
                else {
                    sqlite3_result_int64(context, 0)
                    return
                }
                slot.pointee = nil
                let entries = Unmanaged<Entries>.fromOpaque(existing).takeRetainedValue()
                if entries.isInOrder {
                    sqlite3_result_int64(context, Int64(bitPattern: entries.sum))
                } else {
                    sqlite3_result_null(context)
                }
            }, nil)
    }

    /// Takes the aggregate off the connection.
    static func unregister(from db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, nil, nil, nil, nil,
            nil)
    }

    /// An integer and a real by value, exactly: -1, 0 or 1 (a real past
    /// the integers' range is beyond all of them).
    static func compare(integer: Int64, real: Double) -> Int {
        if real < -9_223_372_036_854_775_808.0 { return 1 }
        if real >= 9_223_372_036_854_775_808.0 { return -1 }
        let whole = real.rounded(.down)
        let wholeInteger = Int64(whole)
        if integer != wholeInteger { return integer < wholeInteger ? -1 : 1 }
        return real > whole ? -1 : 0
    }

    /// The order of SQLite's storage classes: `NULL`, numbers, texts, blobs.
    @inline(__always)
    static func storageClass(_ type: Int32) -> Int {
        switch type {
        case SQLITE_NULL: return 0
        case SQLITE_INTEGER, SQLITE_FLOAT: return 1
        case SQLITE_TEXT: return 2
        default: return 3
        }
    }

    /// The entry before (its values kept where they can be reused, so that
    /// an entry costs no allocation), whether every entry was greater than
    /// the one before, and the entries' fingerprint.
    final class Entries {
        // Used once per entry, from SQLite, on the one thread that runs the statement.
        @exclusivity(unchecked) private var types: [Int32] = []
        /// An integer's bits, or a real's.
        @exclusivity(unchecked) private var numbers: [UInt64] = []
        /// A text's or a blob's bytes.
        @exclusivity(unchecked) private var bytes: [[UInt8]] = []
        @exclusivity(unchecked) private(set) var isInOrder = true
        @exclusivity(unchecked) private(set) var sum: UInt64 = 0

        func add(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int) {
            guard let values, count >= 2, let directions = sqlite3_value_text(values[0]),
                sqlite3_value_bytes(values[0]) >= count - 1
            else {
                isInOrder = false
                return
            }
            let columns = count - 1
            sum &+= SQLiteRowFingerprint.hash(values + 1, count: columns)
            if types.count != columns {
                types = Array(repeating: SQLITE_NULL, count: columns)
                numbers = Array(repeating: 0, count: columns)
                bytes = Array(repeating: [], count: columns)
                keep(values + 1, columns)
                return
            }
            guard isInOrder else { return }
            var order = 0
            for column in 0..<columns {
                order = compare(values[column + 1], with: column)
                if directions[column] == UInt8(ascii: "d") { order = -order }
                if order != 0 { break }
            }
            // Strictly greater than the entry before, or out of order (equal included).
            if order <= 0 { isInOrder = false }
            keep(values + 1, columns)
        }

        /// -1, 0 or 1: `value` against the entry before's value in `column`, as `BINARY` orders them.
        private func compare(_ value: OpaquePointer?, with column: Int) -> Int {
            let type = sqlite3_value_type(value)
            let previous = types[column]
            let classes = (storageClass(type), storageClass(previous))
            if classes.0 != classes.1 { return classes.0 < classes.1 ? -1 : 1 }
            switch (type, previous) {
            case (SQLITE_NULL, _): return 0
            case (SQLITE_INTEGER, SQLITE_INTEGER):
                let (a, b) = (sqlite3_value_int64(value), Int64(bitPattern: numbers[column]))
                return a < b ? -1 : (a > b ? 1 : 0)
            case (SQLITE_FLOAT, SQLITE_FLOAT):
                let (a, b) = (sqlite3_value_double(value), Double(bitPattern: numbers[column]))
                return a < b ? -1 : (a > b ? 1 : 0)
            case (SQLITE_INTEGER, _):
                return SQLiteIndexFingerprint.compare(
                    integer: sqlite3_value_int64(value), real: Double(bitPattern: numbers[column]))
            case (SQLITE_FLOAT, _):
                return -SQLiteIndexFingerprint.compare(
                    integer: Int64(bitPattern: numbers[column]), real: sqlite3_value_double(value))
            default:
                let count = Int(sqlite3_value_bytes(value))
                let start =
                    type == SQLITE_TEXT
                    ? UnsafeRawPointer(sqlite3_value_text(value)) : sqlite3_value_blob(value)
                return bytes[column].withUnsafeBytes { kept in
                    let common = min(count, kept.count)
                    let order =
                        common == 0 ? 0 : memcmp(start!, kept.baseAddress!, common)
                    if order != 0 { return order < 0 ? -1 : 1 }
                    return count < kept.count ? -1 : (count > kept.count ? 1 : 0)
                }
            }
        }

        /// Keeps an entry's values for the next comparison.
        private func keep(_ values: UnsafeMutablePointer<OpaquePointer?>, _ columns: Int) {
            for column in 0..<columns {
                let value = values[column]
                let type = sqlite3_value_type(value)
                types[column] = type
                switch type {
                case SQLITE_INTEGER:
                    numbers[column] = UInt64(bitPattern: sqlite3_value_int64(value))
                case SQLITE_FLOAT: numbers[column] = sqlite3_value_double(value).bitPattern
                case SQLITE_TEXT, SQLITE_BLOB:
                    let count = Int(sqlite3_value_bytes(value))
                    let start =
                        type == SQLITE_TEXT
                        ? UnsafeRawPointer(sqlite3_value_text(value)) : sqlite3_value_blob(value)
                    bytes[column].removeAll(keepingCapacity: true)
                    if let start, count > 0 {
                        bytes[column].append(
                            contentsOf: UnsafeRawBufferPointer(start: start, count: count))
                    }
                default: break
                }
            }
        }
    }
}
