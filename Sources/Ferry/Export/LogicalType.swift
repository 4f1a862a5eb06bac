/// What a column holds, in words every engine understands: what an import
/// into another engine converts by, whatever the column was declared as.
///
/// Engines map their declared types to one (SQLite by its type affinity
/// rules, PostgreSQL by the type's name); a declared type they do not know
/// is ``other``, and its values travel as the engine's text.
public enum LogicalType: String, Sendable, Codable, Hashable {
    /// Whole numbers up to 64 bits.
    case integer
    /// Floating-point numbers.
    case real
    /// Exact decimals (PostgreSQL's `numeric`, SQLite's NUMERIC affinity).
    case numeric
    /// True or false.
    case boolean
    /// Text.
    case text
    /// Bytes.
    case blob
    /// A calendar date.
    case date
    /// A time of day.
    case time
    /// A date and time without a time zone.
    case timestamp
    /// A date and time with a time zone (an instant).
    case timestampWithTimeZone
    /// A duration.
    case interval
    /// A JSON document.
    case json
    /// A UUID.
    case uuid
    /// Any value (a SQLite column declared without a type).
    case any
    /// A type the engine has no logical type for; its values are its text.
    case other
}
