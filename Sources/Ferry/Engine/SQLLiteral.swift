/// SQL's quoting of a text value, which SQLite and PostgreSQL share (with
/// PostgreSQL's `standard_conforming_strings` on, its default since 9.1).
///
/// Bound values are preferred everywhere; this is for the few statements
/// that cannot take them, such as a PostgreSQL `DO` block.
package enum SQLLiteral {
    /// The text in single quotes, with each single quote inside it doubled:
    /// `it's` → `'it''s'`.
    package static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
