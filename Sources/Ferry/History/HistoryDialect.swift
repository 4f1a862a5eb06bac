import Foundation

/// What differs between engines in the SQL of Ferry's own tables: how a
/// parameter is written, the names of the column types, and the queries
/// that read the engine's catalog. ``HistoryStore`` writes every statement
/// of `ferry_migrations`, `ferry_state` and `ferry_events` over it; each
/// engine implements it and runs the statements (see ``HistoryStatement``).
public protocol HistoryDialect: Sendable {
    /// The parameter at `position` (from 1): SQLite's `?`, PostgreSQL's `$1`.
    func placeholder(_ position: Int) -> String

    /// The type of a text column, such as `TEXT`.
    var textType: String { get }
    /// The type of an integer column, such as `INTEGER`.
    var integerType: String { get }
    /// The type of a floating-point column, such as `REAL`.
    var realType: String { get }
    /// The type of a point in time (SQLite keeps the text of
    /// ISO 8601 text; PostgreSQL a `timestamptz`).
    var timestampType: String { get }
    /// An integer key numbered by the engine, with `PRIMARY KEY`.
    var numberedKey: String { get }

    /// A query whose rows are (table, column), both text, for every column
    /// of those of `tables` that exist, found as the engine resolves the
    /// names that Ferry's statements use.
    func columnsQuery(of tables: [String]) -> String

    /// A query whose rows are the names (text) of the application's tables
    /// and views, for a database without Ferry's tables.
    var applicationTablesQuery: String { get }
}
