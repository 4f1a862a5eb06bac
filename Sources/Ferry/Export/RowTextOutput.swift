/// Where ``RowCodec`` writes a row's line: the line buffer itself, or a
/// fixed scratch area that the whole line then goes from in one copy.
///
/// An export writes millions of short values (`42`, `59.19`, `"%"`); each
/// appended to an array was a check of its capacity and of its sole owner
/// and a call to copy a few bytes, a quarter of the encoding thread.
protocol RowTextOutput {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension RowTextOutput {
    mutating func append(_ text: StaticString) {
        append(
            contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

extension Array: RowTextOutput where Element == UInt8 {}

/// A scratch area that a row is written into without a check per byte: the
/// caller has made sure that the row's longest text fits.
struct RowScratch: RowTextOutput {
    private let base: UnsafeMutablePointer<UInt8>
    /// The bytes written.
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
    }

    /// What was written.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if bytes.count <= 16 {
            for offset in 0..<bytes.count { base[count + offset] = source[offset] }
        } else {
            (base + count).update(from: source, count: bytes.count)
        }
        count += bytes.count
    }
}
