/// One value of an exported row, independent of the engine it came from or
/// goes to.
///
/// The kinds are those a value has in the database (SQLite's storage
/// classes, and PostgreSQL's booleans); what a column means beyond that
/// (a timestamp, a decimal, a UUID) is its ``LogicalType``, and such values
/// travel as the text their engine prints them as.
public enum ExportValue: Sendable, Hashable {
    /// SQL NULL, distinct from an empty text.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double, NaN and the infinities included.
    case real(Double)
    /// A text, exact: any Unicode, NUL and carriage returns included.
    case text(String)
    /// Bytes.
    case blob([UInt8])
    /// A boolean (PostgreSQL's `boolean`).
    case boolean(Bool)
}

extension ExportValue {
    /// The value as a message shows it, short.
    public var shown: String {
        switch self {
        case .null: return "NULL"
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .text(let text): return text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
        case .blob(let bytes):
            return "x'\(Checksum.hex(bytes.prefix(16)))\(bytes.count > 16 ? "…" : "")'"
        case .boolean(let flag): return flag ? "true" : "false"
        }
    }
}
