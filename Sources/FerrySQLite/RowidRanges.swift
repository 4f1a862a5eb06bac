/// Ranges of a table's rowids, to read a large table in pieces on several
/// connections at once (a backup's full check, an export).
enum RowidRanges {
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
