import Ferry
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
/// several changes cancel out with about that chance too. The result is the
/// sum as an integer; an empty table gives 0. Like the transfer's digests it tells
/// damage from none; it is not meant to resist rows forged to collide.
enum SQLiteRowFingerprint {
    static let name = "ferry_row_fingerprint"

    /// Adds the aggregate to a connection.
    static func register(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
            nil, nil,
            { context, count, values in
                guard
                    let sum = sqlite3_aggregate_context(context, 8)?
                        .assumingMemoryBound(to: UInt64.self)
                else {
                    sqlite3_result_error_nomem(context)
                    return
                }
                sum.pointee &+= SQLiteRowFingerprint.hash(values, count: Int(count))
            },
            { context in
                let sum = sqlite3_aggregate_context(context, 0)?
                    .assumingMemoryBound(to: UInt64.self).pointee
                sqlite3_result_int64(context, Int64(bitPattern: sum ?? 0))
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
}
