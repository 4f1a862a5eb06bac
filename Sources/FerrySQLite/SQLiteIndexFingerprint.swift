import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// The aggregate `ferry_index_fingerprint(directions, value…)`: the
/// ``SQLiteRowFingerprint`` of an index's entries read in the order the
/// index holds them (their count and sum), without the sum when an entry is
/// not greater than the one before it, as ``SQLiteIntegrityCheck`` compares
/// an index with its table.
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
                    Fingerprint.result(count: 0, sum: 0, to: context)
                    return
                }
                slot.pointee = nil
                let entries = Unmanaged<Entries>.fromOpaque(existing).takeRetainedValue()
                Fingerprint.result(
                    count: entries.count, sum: entries.isInOrder ? entries.sum : nil, to: context)
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
    ///
    /// Each value is read from SQLite once, for the entry's hash, the
    /// comparison with the entry before and keeping it: the index pass reads
    /// every entry of an index, and SQLite's accessors are calls into the
    /// library.
    final class Entries {
        // Used once per entry, from SQLite, on the one thread that runs the statement.
        /// The number of columns of an entry; 0 before the first.
        @exclusivity(unchecked) private var columns = 0
        /// Each column's type in the entry before.
        @exclusivity(unchecked) private var types = UnsafeMutableBufferPointer<Int32>(
            start: nil, count: 0)
        /// An integer's bits, or a real's, in the entry before.
        @exclusivity(unchecked) private var numbers = UnsafeMutableBufferPointer<UInt64>(
            start: nil, count: 0)
        /// A text's or a blob's bytes in the entry before.
        @exclusivity(unchecked) private var bytes: [[UInt8]] = []
        /// Whether each column is descending in the index, from the first
        /// entry's first argument (the same for every entry).
        @exclusivity(unchecked) private var descending = UnsafeMutableBufferPointer<Bool>(
            start: nil, count: 0)
        @exclusivity(unchecked) private(set) var isInOrder = true
        @exclusivity(unchecked) private(set) var count: UInt64 = 0
        @exclusivity(unchecked) private(set) var sum: UInt64 = 0

        deinit {
            types.deallocate()
            numbers.deallocate()
            descending.deallocate()
        }

        func add(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int) {
            guard let values, count >= 2, columns == 0 || columns == count - 1 else {
                isInOrder = false
                return
            }
            // The first entry has none before it; once one is out of order, order no longer matters.
            let comparing = columns != 0 && isInOrder
            if columns == 0 {
                guard let directions = sqlite3_value_text(values[0]),
                    sqlite3_value_bytes(values[0]) >= count - 1
                else {
                    isInOrder = false
                    return
                }
                columns = count - 1
                descending = .allocate(capacity: columns)
                for column in 0..<columns {
                    descending.initializeElement(
                        at: column, to: directions[column] == UInt8(ascii: "d"))
                }
                types = .allocate(capacity: columns)
                types.initialize(repeating: SQLITE_NULL)
                numbers = .allocate(capacity: columns)
                numbers.initialize(repeating: 0)
                bytes = Array(repeating: [], count: columns)
            }
            var hasher = WordHasher()
            // Against the entry before, in the index's order: 0 while the columns so far are equal.
            var order = 0
            for column in 0..<columns {
                let value = values[column + 1]
                let type = sqlite3_value_type(value)
                hasher.mix(type: type)
                let decides = comparing && order == 0
                switch type {
                case SQLITE_INTEGER:
                    let number = sqlite3_value_int64(value)
                    hasher.mix(UInt64(bitPattern: number))
                    if decides { order = compare(integer: number, with: column) }
                    numbers[column] = UInt64(bitPattern: number)
                case SQLITE_FLOAT:
                    let number = sqlite3_value_double(value)
                    hasher.mix(number.bitPattern)
                    if decides { order = compare(real: number, with: column) }
                    numbers[column] = number.bitPattern
                case SQLITE_TEXT, SQLITE_BLOB:
                    let start =
                        type == SQLITE_TEXT
                        ? UnsafeRawPointer(sqlite3_value_text(value)) : sqlite3_value_blob(value)
                    let length = sqlite3_value_bytes(value)
                    hasher.mix(start, length)
                    let stored = UnsafeRawBufferPointer(start: start, count: Int(max(length, 0)))
                    if decides { order = compare(bytes: stored, type: type, with: column) }
                    bytes[column].removeAll(keepingCapacity: true)
                    if stored.count > 0 { bytes[column].append(contentsOf: stored) }
                default:
                    // NULL comes before everything else, and equals NULL.
                    if decides { order = types[column] == SQLITE_NULL ? 0 : -1 }
                }
                if decides, descending[column] { order = -order }
                types[column] = type
            }
            self.count &+= 1
            sum &+= finalizedHash(hasher.hash)
            // Strictly greater than the entry before, or out of order (equal included).
            if comparing, order <= 0 { isInOrder = false }
        }

        /// -1 or 1 when the storage classes of a value of `type` and of the
        /// entry before's value in `column` differ, 0 when they are the same.
        @inline(__always)
        private func classOrder(_ type: Int32, _ column: Int) -> Int {
            let classes = (storageClass(type), storageClass(types[column]))
            return classes.0 == classes.1 ? 0 : (classes.0 < classes.1 ? -1 : 1)
        }

        /// -1, 0 or 1: an integer against the entry before's value in `column`.
        @inline(__always)
        private func compare(integer: Int64, with column: Int) -> Int {
            switch types[column] {
            case SQLITE_INTEGER:
                let before = Int64(bitPattern: numbers[column])
                return integer < before ? -1 : (integer > before ? 1 : 0)
            case SQLITE_FLOAT:
                return SQLiteIndexFingerprint.compare(
                    integer: integer, real: Double(bitPattern: numbers[column]))
            default: return classOrder(SQLITE_INTEGER, column)
            }
        }

        /// -1, 0 or 1: a real against the entry before's value in `column`.
        @inline(__always)
        private func compare(real: Double, with column: Int) -> Int {
            switch types[column] {
            case SQLITE_FLOAT:
                let before = Double(bitPattern: numbers[column])
                return real < before ? -1 : (real > before ? 1 : 0)
            case SQLITE_INTEGER:
                return -SQLiteIndexFingerprint.compare(
                    integer: Int64(bitPattern: numbers[column]), real: real)
            default: return classOrder(SQLITE_FLOAT, column)
            }
        }

        /// -1, 0 or 1: a text or a blob against the entry before's value in
        /// `column`, byte by byte as `BINARY` compares them.
        private func compare(bytes value: UnsafeRawBufferPointer, type: Int32, with column: Int)
            -> Int
        {
            // Texts come before blobs, numbers and NULL before both.
            let classes = classOrder(type, column)
            guard classes == 0 else { return classes }
            return bytes[column].withUnsafeBytes { kept in
                let common = min(value.count, kept.count)
                let order =
                    common == 0 ? 0 : memcmp(value.baseAddress!, kept.baseAddress!, common)
                if order != 0 { return order < 0 ? -1 : 1 }
                return value.count < kept.count ? -1 : (value.count > kept.count ? 1 : 0)
            }
        }
    }
}
