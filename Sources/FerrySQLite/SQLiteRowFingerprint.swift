import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// The aggregate `ferry_row_fingerprint(…)`: the fingerprint of a multiset
/// of rows, as ``SQLiteIntegrityCheck`` compares an index with its table.
///
/// Each row's values (their types, integers, reals and bytes, as SQLite
/// keeps them) are hashed to 64 bits, mixed once more by a bijection, and
/// summed over the rows (modulo 2⁶⁴). A sum does not depend on the order
/// the rows come in, so a table read by rowid and its index read in key
/// order give the same fingerprint when they hold the same rows. One
/// changed row changes the sum unless its hash collides (about 2⁻⁶⁴);
/// several changes cancel out with about that chance too. The result is
/// the count of rows and the sum (``Fingerprint/result(count:sum:to:)``): the
/// aggregate counts the rows itself, where a `count(*)` beside it was one
/// more step of SQLite's virtual machine per row. Like the transfer's
/// digests it tells damage from none; it is not meant to resist rows forged
/// to collide.
enum SQLiteRowFingerprint {
    static let name = "ferry_row_fingerprint"

    /// Adds the aggregate to a connection.
    static func register(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
            nil, nil,
            { context, count, values in
                // The count of rows, then the sum.
                guard
                    let state = sqlite3_aggregate_context(context, 16)?
                        .assumingMemoryBound(to: UInt64.self)
                else {
                    sqlite3_result_error_nomem(context)
                    return
                }
                state[0] &+= 1
                state[1] &+= SQLiteRowFingerprint.hash(values, count: Int(count))
            },
            { context in
                let state = sqlite3_aggregate_context(context, 0)?
                    .assumingMemoryBound(to: UInt64.self)
                Fingerprint.result(
                    count: state?[0] ?? 0, sum: state?[1] ?? 0, to: context)
            }, nil)
    }

    /// One row's term of the sum: its values' hash, finalized.
    @inline(__always)
    static func hash(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int) -> UInt64 {
        var hasher = WordHasher()
        hasher.feed(values, count: count)
        return finalizedHash(hasher.hash)
    }

    /// Takes the aggregate off the connection.
    static func unregister(from db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
            nil, nil, nil, nil, nil)
    }
}

/// A multiset of rows in short: how many, and their ``SQLiteRowFingerprint``
/// (nil for an index whose entries are out of order: see ``SQLiteIndexFingerprint``).
struct Fingerprint: Equatable, Sendable {
    let count: Int64
    let sum: Int64?

    /// The fingerprint of both multisets together.
    func adding(_ other: Fingerprint) -> Fingerprint {
        let sum = self.sum.flatMap { mine in other.sum.map { mine &+ $0 } }
        return Fingerprint(count: count &+ other.count, sum: sum)
    }

    /// Sets an aggregate's result to a fingerprint, which
    /// ``init(result:)`` reads: a blob of the count and, but for an index
    /// out of order (`sum` nil), the sum, each eight bytes little-endian.
    static func result(count: UInt64, sum: UInt64?, to context: OpaquePointer?) {
        var words = [count.littleEndian]
        if let sum { words.append(sum.littleEndian) }
        words.withUnsafeBytes { bytes in
            sqlite3_result_blob64(
                context, bytes.baseAddress, UInt64(bytes.count),
                unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }
}

extension Fingerprint {
    /// The fingerprint an aggregate's result holds (``result(count:sum:to:)``);
    /// anything else reads as a count of -1 with no sum, which equals no
    /// table's fingerprint.
    init(result: Data?) {
        guard let result, result.count == 8 || result.count == 16 else {
            self.init(count: -1, sum: nil)
            return
        }
        let words = result.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: 8).map {
                Int64(
                    bitPattern: UInt64(
                        littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt64.self)))
            }
        }
        self.init(count: words[0], sum: words.count == 2 ? words[1] : nil)
    }
}
