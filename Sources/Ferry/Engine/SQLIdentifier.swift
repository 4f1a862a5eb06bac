/// SQL's quoting of a name (a table, a column, a database), which SQLite and
/// PostgreSQL share.
///
/// GRDB's `String.quotedDatabaseIdentifier` (7.10) puts the name in quotes
/// but leaves a quote inside it as it is, so that `a"b` would end the name
/// early: every engine quotes with this one instead.
package enum SQLIdentifier {
    /// The name in double quotes, with each double quote inside it doubled:
    /// `a"b` → `"a""b"`.
    package static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
