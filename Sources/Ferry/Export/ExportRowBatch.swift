/// Rows read for an export, held compactly on their way from the reading
/// thread to the encoding one: per value a kind and a word (an integer's or
/// a real's bits, a text's or a blob's length), and the bytes of the texts
/// and blobs one after another. No value is made per row, nothing is
/// counted or freed per text: the batch's three arrays are reused. An SQL
/// dump's rows travel the same way, from the thread that reads them to the
/// one that writes them as text.
@usableFromInline package struct ExportRowBatch {
    /// What a value is.
    @usableFromInline package enum Kind: UInt8 {
        case null, integer, real, text, blob, falseValue, trueValue
    }

    /// Where the next value is read: its index, and its bytes' offset.
    @usableFromInline package struct Cursor {
        @usableFromInline var index = 0
        @usableFromInline var offset = 0

        /// At the first value.
        package init() {}
    }

    // Read and written by other modules' hot loops (an SQL dump's), through inlined accessors.
    @usableFromInline var kinds: [Kind] = []
    @usableFromInline var words: [UInt64] = []
    @usableFromInline var payload: [UInt8] = []
    /// The rows held.
    @usableFromInline package var rowCount = 0

    package init(valueCapacity: Int) {
        kinds.reserveCapacity(valueCapacity)
        words.reserveCapacity(valueCapacity)
    }

    /// The values held.
    package var valueCount: Int { kinds.count }
    /// The bytes of the texts and blobs held.
    @usableFromInline package var byteCount: Int { payload.count }

    @inlinable
    package mutating func appendNull() {
        kinds.append(.null)
        words.append(0)
    }

    @inlinable
    package mutating func append(_ integer: Int64) {
        kinds.append(.integer)
        words.append(UInt64(bitPattern: integer))
    }

    @inlinable
    package mutating func append(_ real: Double) {
        kinds.append(.real)
        words.append(real.bitPattern)
    }

    @inlinable
    package mutating func append(_ flag: Bool) {
        kinds.append(flag ? .trueValue : .falseValue)
        words.append(0)
    }

    /// Appends a text (its UTF-8 bytes) or a blob.
    @inlinable
    package mutating func append(_ kind: Kind, bytes: UnsafeRawBufferPointer) {
        kinds.append(kind)
        words.append(UInt64(bytes.count))
        payload.append(contentsOf: bytes)
    }

    /// Empties the batch, keeping its storage.
    package mutating func removeAll() {
        kinds.removeAll(keepingCapacity: true)
        words.removeAll(keepingCapacity: true)
        payload.removeAll(keepingCapacity: true)
        rowCount = 0
    }

    @inlinable
    package func kind(at cursor: Cursor) -> Kind { kinds[cursor.index] }
    @inlinable
    package func integer(at cursor: Cursor) -> Int64 { Int64(bitPattern: words[cursor.index]) }
    @inlinable
    package func real(at cursor: Cursor) -> Double { Double(bitPattern: words[cursor.index]) }

    /// Lends `body` the bytes of the texts and blobs, for ``bytes(at:in:)``.
    @inlinable
    package func withPayload<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
        -> Result
    {
        try payload.withUnsafeBufferPointer(body)
    }

    /// A text's or blob's bytes, within the lent `payload`.
    @inlinable
    package func bytes(at cursor: Cursor, in payload: UnsafeBufferPointer<UInt8>)
        -> UnsafeBufferPointer<UInt8>
    {
        UnsafeBufferPointer(
            rebasing: payload[cursor.offset..<cursor.offset + Int(words[cursor.index])])
    }

    /// Moves past the value at `cursor`.
    @inlinable
    package func advance(_ cursor: inout Cursor) {
        switch kinds[cursor.index] {
        case .text, .blob: cursor.offset += Int(words[cursor.index])
        default: break
        }
        cursor.index += 1
    }

    /// The value at `cursor`, as the rest of Ferry holds values.
    package func value(at cursor: Cursor, in payload: UnsafeBufferPointer<UInt8>) -> ExportValue {
        switch kind(at: cursor) {
        case .null: return .null
        case .integer: return .integer(integer(at: cursor))
        case .real: return .real(real(at: cursor))
        case .text: return .text(String(decoding: bytes(at: cursor, in: payload), as: UTF8.self))
        case .blob: return .blob(Array(bytes(at: cursor, in: payload)))
        case .falseValue: return .boolean(false)
        case .trueValue: return .boolean(true)
        }
    }
}
