/// An SQL name in quotes, as the statements Ferry reads write it: `"…"` or
/// `` `…` `` with the quote doubled for one inside, `[…]` without.
enum QuotedName {
    /// Where the name whose opening quote is at `start` ends: just past its
    /// closing quote `close`; nil when it does not close.
    static func end(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, closing close: UInt8)
        -> Int?
    {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == close {
                if close != UInt8(ascii: "]"), index + 1 < bytes.count, bytes[index + 1] == close {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return nil
    }
}
