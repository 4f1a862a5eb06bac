import Ferry
import GRDBSQLite

/// Where ``SQLiteColumnReader`` puts a row's values: an export's row buffer,
/// or the batch an SQL dump hands to its formatter.
protocol SQLiteValueSink {
    mutating func appendNull()
    mutating func append(_ integer: Int64)
    mutating func append(_ real: Double)
    /// Appends a text's UTF-8 bytes (copied).
    mutating func appendText(_ bytes: UnsafeRawBufferPointer)
    /// Appends a blob's bytes (copied).
    mutating func appendBlob(_ bytes: UnsafeRawBufferPointer)
}

extension ExportRowBuffer: SQLiteValueSink {}

extension ExportRowBatch: SQLiteValueSink {
    mutating func appendText(_ bytes: UnsafeRawBufferPointer) { append(.text, bytes: bytes) }
    mutating func appendBlob(_ bytes: UnsafeRawBufferPointer) { append(.blob, bytes: bytes) }
}

/// Reads the values of a stepped statement's current row as they are
/// stored, for the loops that read whole tables (an export, an SQL dump).
enum SQLiteColumnReader {
    /// Appends column `index` of `handle`'s current row to `sink`: a text or
    /// a blob as its bytes, copied straight from SQLite's.
    ///
    /// The column is looked up once (`sqlite3_column_value`), and its type
    /// and contents read from the value: each `sqlite3_column_…` call looks
    /// the column up and checks for a failed allocation again, which took a
    /// fifth of an export's reading thread. The value is used on the
    /// connection's thread only, before the next step.
    @inline(__always)
    static func read<Sink: SQLiteValueSink>(
        _ handle: OpaquePointer, _ index: Int32, into sink: inout Sink
    ) {
        let value = sqlite3_column_value(handle, index)
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER:
            sink.append(sqlite3_value_int64(value))
        case SQLITE_FLOAT:
            sink.append(sqlite3_value_double(value))
        case SQLITE_TEXT:
            // The pointer first, then the count (SQLite's order for a value it may convert).
            let pointer = sqlite3_value_text(value)
            let count = Int(sqlite3_value_bytes(value))
            sink.appendText(
                UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
        case SQLITE_BLOB:
            let pointer = sqlite3_value_blob(value)
            let count = Int(sqlite3_value_bytes(value))
            sink.appendBlob(
                UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
        default:
            sink.appendNull()
        }
    }
}
