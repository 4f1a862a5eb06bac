/// Where ``ExportSnapshot/readRows(of:where:into:)`` puts a table's rows:
/// the engine appends each value of a row in the order of the table's
/// columns, then ends the row.
///
/// An export hands the rows on in batches (up to 8,192 rows, or about a
/// megabyte of texts and blobs) to the thread that encodes and writes them,
/// so the reading thread does little more than read: no value or array is
/// made per row, and a text is copied as its bytes. Memory stays bounded by
/// one batch.
public final class ExportRowBuffer {
    // Touched once per value: the run time's check of each access would cost
    // a tenth of an export's reading. Only the reading thread touches them.
    // Inlined into the engines' reading loops (another module's): a call per value cost a
    // tenth of a SQLite export's reading thread.
    @exclusivity(unchecked) @usableFromInline var batch: ExportRowBatch
    @exclusivity(unchecked) @usableFromInline var column = 0
    @usableFromInline let columns: Int
    @usableFromInline let rowsPerHandOver: Int
    /// Per column, whether its values are written as NULL; empty when none is.
    @usableFromInline let redacted: [Bool]
    private let handOver: (inout ExportRowBatch) throws -> Void

    /// A batch is handed on once its texts and blobs reach this size.
    @usableFromInline static let handOverBytes = 1 << 20

    /// A buffer that hands each row to `row` as soon as it ends.
    ///
    /// - Parameters:
    ///   - columns: The values in a row.
    ///   - row: Called with each row's values.
    public convenience init(columns: Int, _ row: @escaping ([ExportValue]) throws -> Void) {
        self.init(columns: columns, rowsPerHandOver: 1, redacted: []) { batch in
            var cursor = ExportRowBatch.Cursor()
            let values = batch.withPayload { payload in
                (0..<batch.valueCount).map { _ in
                    defer { batch.advance(&cursor) }
                    return batch.value(at: cursor, in: payload)
                }
            }
            try row(values)
        }
    }

    /// A buffer that hands rows on in batches.
    ///
    /// - Parameters:
    ///   - columns: The values in a row.
    ///   - rowsPerHandOver: The most rows in a batch.
    ///   - redacted: The positions of the columns whose values are written as NULL.
    ///   - handOver: Takes a batch; the batch is emptied after it (it may
    ///     swap in another, empty one).
    init(
        columns: Int, rowsPerHandOver: Int, redacted: [Int],
        handOver: @escaping (inout ExportRowBatch) throws -> Void
    ) {
        self.columns = columns
        self.rowsPerHandOver = max(1, rowsPerHandOver)
        self.redacted =
            redacted.isEmpty ? [] : (0..<columns).map { redacted.contains($0) }
        self.handOver = handOver
        batch = ExportRowBatch(valueCapacity: self.rowsPerHandOver * columns)
    }

    /// Appends the current row's next value.
    public func append(_ value: ExportValue) {
        switch value {
        case .null: appendNull()
        case .integer(let integer): append(integer)
        case .real(let real): append(real)
        case .boolean(let flag): append(flag)
        case .text(var text): text.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
        case .blob(let bytes): bytes.withUnsafeBytes { appendBlob($0) }
        }
    }

    /// Appends NULL as the current row's next value.
    @inlinable
    public func appendNull() {
        column += 1
        batch.appendNull()
    }

    /// Appends an integer as the current row's next value.
    @inlinable
    public func append(_ integer: Int64) {
        if isRedacted() { return batch.appendNull() }
        batch.append(integer)
    }

    /// Appends a real as the current row's next value.
    @inlinable
    public func append(_ real: Double) {
        if isRedacted() { return batch.appendNull() }
        batch.append(real)
    }

    /// Appends a boolean as the current row's next value.
    @inlinable
    public func append(_ flag: Bool) {
        if isRedacted() { return batch.appendNull() }
        batch.append(flag)
    }

    /// Appends a text, as its UTF-8 bytes (copied), as the current row's
    /// next value; bytes that are not UTF-8 are written as U+FFFD.
    @inlinable
    public func appendText(_ utf8: UnsafeRawBufferPointer) {
        if isRedacted() { return batch.appendNull() }
        batch.append(.text, bytes: utf8)
    }

    /// Appends a blob's bytes (copied) as the current row's next value.
    @inlinable
    public func appendBlob(_ bytes: UnsafeRawBufferPointer) {
        if isRedacted() { return batch.appendNull() }
        batch.append(.blob, bytes: bytes)
    }

    /// Counts the value being appended; whether its column is redacted.
    @inlinable @inline(__always)
    func isRedacted() -> Bool {
        defer { column += 1 }
        return column < redacted.count && redacted[column]
    }

    /// Ends the current row, which must hold one value per column.
    ///
    /// - Throws: What handing the rows on throws (a full disk, a stop).
    @inlinable
    public func endRow() throws {
        precondition(column == columns, "a row has one value per column")
        column = 0
        batch.rowCount += 1
        if batch.rowCount >= rowsPerHandOver || batch.byteCount >= Self.handOverBytes {
            try flush()
        }
    }

    /// Hands on the rows not yet handed on.
    @usableFromInline func flush() throws {
        guard batch.rowCount > 0 else { return }
        defer { batch.removeAll() }
        try handOver(&batch)
    }
}
