/// How an import reads the values of one column whose meaning the values
/// alone do not say (`[[import.convert]]` in `ferry.toml`): numbers under a
/// date or time column are seconds or milliseconds since 1970, and only the
/// application knows which.
///
/// ```toml
/// [[import.convert]]
/// column = "readings.taken_at"
/// from = "unix_milliseconds"
/// ```
public struct ImportConversionRule: Sendable, Hashable, Codable {
    /// What a column's numbers count from 1970-01-01T00:00:00Z.
    public enum EpochUnit: String, Sendable, Hashable, Codable, CaseIterable {
        /// Seconds.
        case seconds = "unix_seconds"
        /// Milliseconds.
        case milliseconds = "unix_milliseconds"
        /// Microseconds.
        case microseconds = "unix_microseconds"

        /// How many of the unit make a second.
        var perSecond: Int64 {
            switch self {
            case .seconds: 1
            case .milliseconds: 1000
            case .microseconds: 1_000_000
            }
        }
    }

    /// The table.
    public var table: String
    /// The column.
    public var column: String
    /// What its numbers count.
    public var from: EpochUnit

    /// Creates a rule.
    public init(table: String, column: String, from: EpochUnit) {
        self.table = table
        self.column = column
        self.from = from
    }

    /// Reads `column = "table.column"` and `from`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a column
    ///   not written `table.column`, or another `from`.
    public init(column: String, from: String) throws {
        guard let (table, name) = NamedPair.split(column, at: ".", last: true) else {
            throw FerryError(
                .invalidConfiguration,
                "column = \"\(column)\" must name a table and a column, written table.column.")
        }
        guard let unit = EpochUnit(rawValue: from) else {
            throw FerryError(
                .invalidConfiguration,
                "from = \"\(from)\" is not a way to read numbers as times.",
                advice:
                    "Write one of \(EpochUnit.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))."
            )
        }
        self.init(table: table, column: name, from: unit)
    }
}
