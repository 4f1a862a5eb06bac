import Foundation

/// SQL text with values bound to it, written as a string interpolation.
///
/// Each interpolated value becomes a placeholder in the text and is sent to
/// the engine apart from it (SQLite binds `?`, PostgreSQL `$1`, `$2`, …), as
/// GRDB's `SQL` and PostgresNIO's `PostgresQuery` do: a quote in a value can
/// never end a string literal, and a value never needs escaping.
///
/// ```swift
/// let theme = "light"
/// try await db.execute(literal: "UPDATE settings SET value = \(theme) WHERE key = 'theme'")
/// let rows = try await db.fetchAll(literal: "SELECT id FROM devices WHERE room = \(room)")
/// ```
///
/// Trusted text that must be part of the SQL itself (a table name) goes in
/// with `\(sql: name)`; it is not bound, so never pass a value from outside.
public struct SQLStatement: Sendable, Hashable, ExpressibleByStringInterpolation,
    CustomStringConvertible
{
    /// A piece of the statement.
    public enum Part: Sendable, Hashable {
        /// SQL text, sent as it is.
        case text(String)
        /// A value, sent apart from the text in place of a placeholder.
        case value(SQLValue)
    }

    /// The pieces of the statement, in order.
    public private(set) var parts: [Part]

    /// SQL text without values.
    public init(stringLiteral text: String) {
        parts = [.text(text)]
    }

    /// SQL text with the values interpolated into it bound.
    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    /// SQL text without values, from a string made at run time: the text is
    /// trusted as SQL, so it must not hold values from outside.
    public init(sql text: String) {
        parts = [.text(text)]
    }

    /// The bound values, in the order of their placeholders.
    public var arguments: [SQLValue] {
        parts.compactMap { part in
            guard case .value(let value) = part else { return nil }
            return value
        }
    }

    /// The statement's text with each value replaced by its engine's placeholder.
    ///
    /// - Parameter placeholder: The placeholder of the value at a position,
    ///   counted from 1: `?` for SQLite, `$1` for PostgreSQL.
    public func text(placeholder: (Int) -> String) -> String {
        var text = ""
        var position = 0
        for part in parts {
            switch part {
            case .text(let sql): text += sql
            case .value:
                position += 1
                text += placeholder(position)
            }
        }
        return text
    }

    /// The text with `?` for each value; never the values, which may be secret.
    public var description: String { text { _ in "?" } }

    /// Collects the pieces of an interpolated literal.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        /// Makes room for the pieces of one literal.
        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        /// SQL text, sent as it is.
        public mutating func appendLiteral(_ literal: String) {
            guard !literal.isEmpty else { return }
            parts.append(.text(literal))
        }

        /// A value, bound: `\(name)`, `\(count)`, `\(bytes)`, `\(optional)` (nil is NULL).
        public mutating func appendInterpolation(_ value: some SQLValueConvertible) {
            parts.append(.value(value.sqlValue))
        }

        /// An optional value, bound: nil is NULL.
        public mutating func appendInterpolation<Value: SQLValueConvertible>(_ value: Value?) {
            parts.append(.value(value?.sqlValue ?? .null))
        }

        /// Trusted SQL text, not bound: `\(sql: tableName)`. Never a value from outside.
        public mutating func appendInterpolation(sql text: String) {
            parts.append(.text(text))
        }

        /// Another statement's pieces, with its values still bound: `\(literal: condition)`.
        public mutating func appendInterpolation(literal sql: SQLStatement) {
            parts.append(contentsOf: sql.parts)
        }
    }
}

/// A Swift value that can be bound to an ``SQLStatement``.
///
/// Strings, integers, `Double`, bytes (`[UInt8]`, `Data`), ``SQLValue``
/// itself, and optionals of them (nil is NULL). Booleans are left out on
/// purpose: SQLite stores them as 0 and 1, PostgreSQL has a type of its own;
/// bind `1` or `0`, or `"true"`, as the column wants.
public protocol SQLValueConvertible {
    /// The value as the engines take it.
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLValueConvertible {
    public var sqlValue: SQLValue { self }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
}

extension Substring: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(String(self)) }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int32: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension Data: SQLValueConvertible {
    public var sqlValue: SQLValue { .blob(Array(self)) }
}
