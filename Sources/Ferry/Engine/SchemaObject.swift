/// One object of an application's schema, as an engine describes it: a
/// table, a column, a key or constraint, an index, a view, a trigger, a
/// function or a type, with the table that owns it and a normalized
/// definition.
///
/// Two databases with the same schema give the same objects however the
/// schema was written (a column added by `ALTER TABLE` equals one made by
/// `CREATE TABLE`), so that schemas compare object by object: what
/// `test-paths` and the schema drift check do.
public struct SchemaObject: Sendable, Hashable, Encodable {
    /// What kind of object it is.
    public enum Kind: String, Sendable, Hashable, Encodable, CaseIterable {
        /// A table.
        case table
        /// A table's column.
        case column
        /// A primary key, unique, foreign key or check constraint.
        case constraint
        /// An index.
        case index
        /// A view.
        case view
        /// A trigger.
        case trigger
        /// A function or procedure.
        case function
        /// A type, such as an enum.
        case type
    }

    /// What kind of object it is.
    public let kind: Kind
    /// The table the object belongs to (a column's, an index's, a
    /// trigger's), or nil for a table, a view, a function or a type.
    public let table: String?
    /// The object's name; for an unnamed key, what identifies it, such as
    /// `unique (device_id, name)`.
    public let name: String
    /// Its normalized definition, compared between databases: a column's
    /// type, nullability and default; an index's or a view's normalized SQL.
    public let definition: String
    /// The object as one line of ``DatabaseInspection/schemaDescription()``,
    /// in the engine's words; it may say more than ``definition`` (a
    /// column's position).
    public let line: String

    /// Creates an object.
    public init(kind: Kind, table: String?, name: String, definition: String, line: String) {
        self.kind = kind
        self.table = table
        self.name = name
        self.definition = definition
        self.line = line
    }

    /// The object as an operator names it: `devices.notes` for a column,
    /// `readings_by_time on sensor_history` for an index or a trigger.
    public var displayName: String {
        guard let table else { return name }
        return kind == .column ? "\(table).\(name)" : "\(name) on \(table)"
    }
}
