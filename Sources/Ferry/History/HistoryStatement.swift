import Foundation

/// A value bound to, or read from, a statement of Ferry's own tables,
/// typed as the store means it: each engine binds and reads it in its own
/// way (a date as ISO 8601 text in SQLite, a `timestamptz` in
/// PostgreSQL; a boolean as 0/1 or `boolean`).
public enum HistoryValue: Sendable, Hashable {
    /// NULL.
    case null
    /// A text.
    case text(String)
    /// An integer.
    case integer(Int)
    /// A floating-point number.
    case real(Double)
    /// A point in time.
    case date(Date)
    /// True or false.
    case boolean(Bool)

    /// The type a column of a query's result is read as.
    public enum Kind: Sendable, Hashable {
        case text, integer, real, date, boolean
    }

    /// The text, or nil for any other value.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The integer, or nil for any other value.
    public var integer: Int? {
        if case .integer(let integer) = self { return integer }
        return nil
    }

    /// The number, or nil for any other value.
    public var real: Double? {
        switch self {
        case .real(let real): return real
        case .integer(let integer): return Double(integer)
        default: return nil
        }
    }

    /// The date, or nil for any other value.
    public var date: Date? {
        if case .date(let date) = self { return date }
        return nil
    }

    /// The boolean, or nil for any other value.
    public var boolean: Bool? {
        if case .boolean(let boolean) = self { return boolean }
        return nil
    }
}

/// One statement of Ferry's own tables, as ``HistoryStore`` writes it: the
/// SQL in the engine's dialect, the values bound to its parameters, and,
/// for a query, the type of each column of its rows.
public struct HistoryStatement: Sendable {
    /// The SQL.
    public let sql: String
    /// The values of its parameters, in order.
    public let arguments: [HistoryValue]
    /// The types of the result's columns, in order (empty for a statement
    /// that returns no rows).
    public let columns: [HistoryValue.Kind]

    /// Creates a statement.
    public init(_ sql: String, arguments: [HistoryValue] = [], columns: [HistoryValue.Kind] = []) {
        self.sql = sql
        self.arguments = arguments
        self.columns = columns
    }
}
