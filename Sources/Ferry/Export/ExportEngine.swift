/// An engine that can export its database: it lends a consistent,
/// read-only snapshot from which tables and rows stream.
///
/// The snapshot is one read transaction (SQLite) or one `REPEATABLE READ`
/// transaction (PostgreSQL), so that an export taken while the application
/// writes holds the database as it was at one moment.
public protocol ExportingEngine: DatabaseEngine {
    /// Opens a snapshot of the database, lends it to `body`, and ends it.
    ///
    /// - Throws: ``FerryError`` (code `databaseUnavailable`) when the
    ///   database cannot be read; or what `body` throws.
    func withExportSnapshot<Result: Sendable>(
        _ body: (any ExportSnapshot) async throws -> Result
    ) async throws -> Result
}

/// A consistent, read-only view of a database, lent by
/// ``ExportingEngine/withExportSnapshot(_:)``. Do not keep it after the
/// closure returns.
public protocol ExportSnapshot: Sendable {
    /// The recorded release and history, as of the snapshot.
    func readState() async throws -> DatabaseState

    /// The engine's version.
    func engineVersion() async throws -> String

    /// The application's tables (Ferry's own and the engine's internal ones
    /// left out) with their columns, logical types and keys.
    func exportTables() async throws -> [ExportTable]

    /// The application's schema as the engine's own SQL, for people to read.
    func schemaSQL() async throws -> String

    /// Streams a table's rows into `rows`, each value in the order of the
    /// table's columns then the row's end, without holding the table in
    /// memory.
    ///
    /// - Parameters:
    ///   - table: The table, as ``exportTables()`` describes it.
    ///   - condition: SQL that both engines read (the `WHERE` of an export
    ///     of entities), or nil for every row.
    ///   - rows: Where the values go.
    /// - Throws: ``FerryError`` when the rows cannot be read; or what
    ///   ``ExportRowBuffer/endRow()`` throws.
    func readRows(of table: ExportTable, where condition: String?, into rows: ExportRowBuffer)
        async throws

    /// How many connections of this snapshot can read the table's rows
    /// side by side (``readRows(of:where:intoPieces:)``): 1 when the engine
    /// cannot split them, or the table is too small to gain from it.
    ///
    /// - Parameters:
    ///   - table: The table, as ``exportTables()`` describes it.
    ///   - condition: The rows' condition, or nil for every row.
    /// - Throws: ``FerryError`` when the table cannot be read.
    func readers(for table: ExportTable, where condition: String?) async throws -> Int

    /// Streams a table's rows in pieces read side by side, piece `i` into
    /// `pieces[i]` on a thread of its own: the pieces one after another hold
    /// the rows that ``readRows(of:where:into:)`` streams. A piece may be
    /// empty.
    ///
    /// - Parameters:
    ///   - table: The table, as ``exportTables()`` describes it.
    ///   - condition: The rows' condition, or nil for every row.
    ///   - pieces: Where each piece's values go, as many as
    ///     ``readers(for:where:)`` said, or fewer.
    /// - Throws: ``FerryError`` when the rows cannot be read; or what
    ///   ``ExportRowBuffer/endRow()`` throws.
    func readRows(
        of table: ExportTable, where condition: String?, intoPieces pieces: [ExportRowBuffer]
    ) async throws

    /// How many rows ``readRows(of:where:_:)`` will stream, as of the
    /// snapshot: the total of the table's progress. Asked only when someone
    /// follows the progress (a bar on a terminal, `--json` events), at the
    /// cost of one count of the table; nil when the engine cannot tell.
    ///
    /// - Parameters:
    ///   - table: The table, as ``exportTables()`` describes it.
    ///   - condition: The same condition as for ``readRows(of:where:_:)``.
    /// - Throws: ``FerryError`` when the table cannot be read.
    func rowCount(of table: ExportTable, where condition: String?) async throws -> Int?
}

extension ExportSnapshot {
    /// Streams a table's rows, one call of `row` per row.
    ///
    /// - Parameters:
    ///   - table: The table, as ``exportTables()`` describes it.
    ///   - condition: The rows' condition, or nil for every row.
    ///   - row: Called with each row's values.
    /// - Throws: ``FerryError`` when the rows cannot be read; or what `row` throws.
    public func readRows(
        of table: ExportTable, where condition: String?,
        _ row: @escaping ([ExportValue]) throws -> Void
    ) async throws {
        try await readRows(
            of: table, where: condition, into: ExportRowBuffer(columns: table.columns.count, row))
    }

    /// One reader: the rows are read on one connection.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - condition: The rows' condition.
    /// - Returns: 1.
    public func readers(for table: ExportTable, where condition: String?) async throws -> Int {
        1
    }

    /// Every row into the first piece, read by ``readRows(of:where:into:)``.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - condition: The rows' condition.
    ///   - pieces: Where the values go: all of them into the first.
    /// - Throws: What ``readRows(of:where:into:)`` throws.
    public func readRows(
        of table: ExportTable, where condition: String?, intoPieces pieces: [ExportRowBuffer]
    ) async throws {
        guard let first = pieces.first else { return }
        try await readRows(of: table, where: condition, into: first)
    }

    /// No total: the progress of a table shows its rows and rate only.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - condition: The rows' condition.
    /// - Returns: nil.
    public func rowCount(of table: ExportTable, where condition: String?) async throws -> Int? {
        nil
    }
}

/// What one table's load did.
public struct TableLoad: Sendable, Equatable {
    /// The rows read from the export.
    public var rows: Int
    /// The rows inserted.
    public var inserted: Int
    /// The rows not inserted because a row with the same key (or another
    /// unique value) was there.
    public var conflicts: Int
    /// The keys of the first conflicting rows, as `column=value, …`.
    public var conflictKeys: [String]
    /// The columns whose values changed kind on the way (set by the core).
    public var converted: [ImportReport.ConvertedColumn] = []
    /// The rows a dry run left out for a value the target would refuse (set by the core).
    public var refused = 0
    /// Why the first of them were refused: table, key, column, value and reason.
    public var refusedValues: [String] = []
    /// The keys renumbered because the target held them (set by the core).
    public var renumbered = 0
    /// The first of them, as `old → new` (set by the core).
    public var renumberedKeys: [String] = []

    /// Creates a load result.
    public init(rows: Int, inserted: Int, conflicts: Int, conflictKeys: [String]) {
        self.rows = rows
        self.inserted = inserted
        self.conflicts = conflicts
        self.conflictKeys = conflictKeys
    }

    /// How many conflicting keys a load lists at most.
    public static let keysListed = 100
}

/// A session that can load exported rows, inside its open transaction.
public protocol ImportingSession: MigrationSession {
    /// The application's tables as they are in this database.
    func exportTables() async throws -> [ExportTable]

    /// Inserts the rows of `source` into `table` (whose columns are the
    /// export's; the database's table may have more), in the session's open
    /// transaction. A row whose key is already there is not inserted but
    /// counted (and its key listed) as a conflict.
    ///
    /// - Parameters:
    ///   - table: The export's table.
    ///   - present: The same table as it is in this database (as
    ///     ``exportTables()`` read it), whose column types may say how the
    ///     rows go.
    ///   - source: The rows.
    /// - Throws: ``FerryError`` when a row is refused (naming the table and
    ///   the engine's message); or what `source` throws.
    func load(_ table: ExportTable, into present: ExportTable, from source: ExportRowSource)
        async throws -> TableLoad

    /// The integers in the first column of a query's rows, read in the
    /// session's open transaction: the core's questions about keys already
    /// there, in SQL both engines read.
    ///
    /// - Throws: ``FerryError`` when the query fails.
    func integers(_ sql: String) async throws -> [Int64]

    /// Sets the table's sequences (SQLite's AUTOINCREMENT needs none) past
    /// its largest key, so that the application's next insert does not
    /// collide with an imported row.
    func advanceSequences(of table: ExportTable) async throws

    /// The values this engine's columns cannot keep as they are, which an
    /// import from another engine refuses with their key and column.
    var importLimits: ImportLimits { get }
}
