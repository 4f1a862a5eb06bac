import Foundation

/// A value read from a database, independent of the engine.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// Whether the value counts as true: anything but NULL, zero, an empty
    /// blob and a text that says false (`0` or another number that is zero,
    /// `f`, `false`, `n`, `no`, `off`, in any case, as PostgreSQL and the
    /// peers' history tables write a boolean). A verify script's row
    /// `SELECT name FROM …` is true: it found the name.
    public var isTrue: Bool {
        switch self {
        case .null: return false
        case .integer(let value): return value != 0
        case .real(let value): return value != 0
        case .text(let text):
            let word = text.trimmingCharacters(in: .whitespaces).lowercased()
            if let number = Double(word), number.isFinite { return number != 0 }
            return !["f", "false", "n", "no", "off"].contains(word)
        case .blob(let bytes): return !bytes.isEmpty
        }
    }

    /// The value as the engine's shell would print it.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .text(let text): return text
        case .blob(let bytes): return "x'" + Checksum.hex(bytes) + "'"
        }
    }
}

/// One row read from a database: its column names and values, in order.
public struct SQLRow: Sendable, Hashable {
    /// The column names, in the order of the query.
    public let columnNames: [String]
    /// The values, in the order of ``columnNames``.
    public let values: [SQLValue]

    /// Creates a row.
    public init(columnNames: [String], values: [SQLValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value of the first column with this name, or nil if there is none.
    public subscript(_ column: String) -> SQLValue? {
        columnNames.firstIndex(of: column).map { values[$0] }
    }
}
