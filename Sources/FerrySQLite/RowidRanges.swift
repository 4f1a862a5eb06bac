import Ferry
import GRDB

/// Ranges of a table's rowids, to read a large table in pieces on several
/// connections at once (a backup's full check, an export).
enum RowidRanges {
    /// A name of a table's rowid that none of its columns takes, or nil
    /// when they take all three.
    ///
    /// - Parameter columns: The table's column names, lowercased.
    static func name(notTakenBy columns: Set<String>) -> String? {
        ["rowid", "_rowid_", "oid"].first { !columns.contains($0) }
    }

    /// The smallest and largest rowid of `table` (a rowid table), read by
    /// the name `rowid`; nil when it has no row. Two lookups, not a scan.
    static func bounds(of table: String, rowid: String, in db: Database) throws
        -> ClosedRange<Int64>?
    {
        let quoted = SQLIdentifier.quoted(table)
        guard
            let bounds = try Row.fetchOne(
                db,
                // One aggregate each: SQLite looks the first or last rowid up, not a scan.
                sql:
                    "SELECT (SELECT min(\(rowid)) FROM \(quoted)), (SELECT max(\(rowid)) FROM \(quoted))"
            ),
            let low = bounds[0] as Int64?, let high = bounds[1] as Int64?, low <= high
        else { return nil }
        return low...high
    }

    /// `count` ranges of about the same width that together make
    /// `low...high` (fewer when it holds fewer numbers).
    static func split(from low: Int64, to high: Int64, count: Int) -> [ClosedRange<Int64>] {
        guard low <= high else { return [] }
        // high - low, exactly, as an unsigned number: it may not fit an Int64.
        let step = UInt64(bitPattern: high &- low) / UInt64(max(count, 1))
        guard count > 1, step > 0 else { return [low...high] }
        var pieces: [ClosedRange<Int64>] = []
        var start = low
        for _ in 1..<count {
            let end = start &+ Int64(bitPattern: step &- 1)
            pieces.append(start...end)
            start = end &+ 1
        }
        pieces.append(start...high)
        return pieces
    }
}
