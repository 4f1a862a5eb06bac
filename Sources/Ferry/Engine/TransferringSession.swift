/// What differs between engines in the statements of a transfer, beyond
/// Ferry's own tables (``HistoryDialect``): how a row is digested, how a
/// value given as text is compared with a typed column, and how a row's key
/// is kept in `ferry_transfer_rows` so that it finds the row again by its index.
public protocol TransferDialect: HistoryDialect {
    /// How the engine reads quotes and comments, by which a transfer's
    /// condition is checked to stay in its parenthesis.
    var conditionQuoting: TransferCondition.Quoting { get }

    /// An expression of text that digests these column expressions (of one
    /// row): equal for equal values, different once any of them changed.
    func rowDigest(of columns: [String]) -> String

    /// The digest of the row as the recorded digest `recorded` (of a row of
    /// `ferry_transfer_rows`) holds it: ``rowDigest(of:)``, or an older
    /// Ferry's digest where the engine's changed and `recorded` shows which.
    func recordedRowDigest(of columns: [String], recorded: String) -> String

    /// Statements that set, for the rest of the session, what the text of a
    /// value depends on (PostgreSQL: the time zone, the date and interval
    /// styles, a float's digits): fixed values, as a transfer records its
    /// rows and reads its condition; or, for `legacy`, the session's own, as
    /// an older Ferry recorded them. Empty where no setting changes a text.
    func valueTextSettings(legacy: Bool) -> [String]

    /// A condition on the digest column `digest` of `ferry_transfer_rows`
    /// that holds for a row an older Ferry recorded under the session's own
    /// settings (``valueTextSettings(legacy:)``); nil when there is none.
    func legacyDigestCondition(_ digest: String) -> String?

    /// The parameter at `position`, as a value of the column's declared
    /// type (a key given as text compared with an integer column).
    func parameter(_ position: Int, as declaredType: String) -> String

    /// The declared type of `ferry_transfer_rows.row_key` and `digest`:
    /// each is kept as the engine makes it (SQLite: no type, so that an
    /// integer key stays an integer and finds its row by the key's index).
    var recordedValueType: String { get }

    /// What follows the definition of `ferry_transfer_rows`, such as
    /// SQLite's `WITHOUT ROWID` (its rows live in its key's tree).
    var recordedRowsTableOptions: String { get }

    /// The expression stored in `row_key` for the key column `column`.
    func recordedKey(_ column: String) -> String

    /// The key recorded in `recorded` as a value of the key column's
    /// declared type, to compare with the key column by its index.
    func recordedKeyValue(_ recorded: String, as declaredType: String) -> String

    /// The value that the `UPDATE` moving the rows sets the owner column
    /// to: `value`, through an expression that also records the row's key
    /// and its digest of `columns` as the engine updates it, in one pass,
    /// for the session to keep in `ferry_transfer_packs`
    /// (``TransferringSession/move(_:)``). Nil when the engine records the
    /// rows in a pass of its own before the `UPDATE`
    /// (``packingAggregates(key:digestOf:)``, or one row of
    /// `ferry_transfer_rows` each).
    func recording(_ value: String, key: String, digestOf columns: [String]) -> String?

    /// The rows of one transfer kept in `ferry_transfer_packs`, as a
    /// query of the columns `row_key` and `digest` (as `ferry_transfer_rows`
    /// holds them), the transfer given as the expression `transfer` (a
    /// parameter); nil when the engine keeps no packs.
    func unpackedRows(ofTransfer transfer: String) -> String?

    /// An expression that digests these column expressions as the packs
    /// of ``unpackedRows(ofTransfer:)`` hold the digest (which may differ from
    /// ``rowDigest(of:)``: the recording is inside the `UPDATE`, where
    /// speed counts).
    func packedRowDigest(of columns: [String]) -> String

    /// The columns of `ferry_transfer_packs` that hold a pack's rows, each
    /// a name and its declared type, in the engine's own format (SQLite:
    /// one blob; PostgreSQL: an array of keys and one of digests).
    var packedRowsColumns: [(name: String, type: String)] { get }

    /// Statements that finish the table of packs after its creation, such
    /// as PostgreSQL's `SET STORAGE EXTERNAL` (a pack is stored without
    /// compressing it, which cost more than writing the bytes).
    var packsTableSettings: [String] { get }

    /// Aggregates, one per column of ``packedRowsColumns``, that pack the
    /// key and the digest (as ``packedRowDigest(of:)``) of every row a
    /// `SELECT` reads into one pack, in one pass; nil when the engine packs
    /// the rows as it moves them instead (``recording(_:key:digestOf:)``).
    func packingAggregates(key: String, digestOf columns: [String]) -> [String]?
}

/// A session that can transfer rows from one owner to another, inside its
/// open transaction: the statements are written by the core (``TransferDialect``)
/// and run here, on the session's connection.
public protocol TransferringSession: ImportingSession {
    /// The engine's spelling of a transfer's statements.
    var transferDialect: any TransferDialect { get }

    /// Runs a statement and reads its rows as the statement types them.
    ///
    /// - Throws: ``FerryError`` (code `transferFailed`) with the engine's message.
    func query(_ statement: HistoryStatement) async throws -> [[HistoryValue]]

    /// The columns of each index of `table` but a partial one, in the
    /// index's order, the indexes in name order; an index on an expression
    /// ends before it.
    ///
    /// - Throws: ``FerryError`` (code `transferFailed`) with the engine's message.
    func indexedColumns(of table: String) async throws -> [[String]]

    /// Runs a statement that changes rows and returns how many it changed.
    ///
    /// - Throws: ``FerryError`` (code `transferFailed`) with the engine's message.
    func changeRows(_ statement: HistoryStatement) async throws -> Int

    /// Moves the rows and records the key and digest of each, in the open
    /// transaction: by ``TransferMove/recordingMove`` and packs of what it
    /// recorded when the engine has one, else by
    /// ``TransferMove/record`` before ``TransferMove/move`` (the default).
    ///
    /// - Returns: How many rows moved, and how many were recorded.
    /// - Throws: ``FerryError`` (code `transferFailed`) with the engine's message.
    func move(_ move: TransferMove) async throws -> (moved: Int, recorded: Int)

    /// Runs `body` in one transaction, as
    /// ``MigrationSession/inTransaction(for:_:)`` does, but where the engine
    /// checks foreign keys only before the commit (SQLite), checks the rows
    /// of `tables` only: a transfer checks itself that the rows it moves
    /// have their entity, and a check of every table read every row of the
    /// moved table again.
    ///
    /// - Parameters:
    ///   - purpose: A transfer, or its undo.
    ///   - tables: The tables whose references the transfer may have broken
    ///     (its copies' table; the tables that reference rows it deleted).
    ///   - body: The transfer's statements.
    /// - Throws: ``FerryError`` (code `constraintViolation`) naming the
    ///   table and row; or what `body` throws.
    func inTransaction<Result: Sendable>(
        for purpose: TransactionPurpose, checkingReferencesOf tables: [String],
        _ body: () async throws -> Result
    ) async throws -> Result

    /// Runs `body` with the table's own triggers off (in the open
    /// transaction), so that rows move verbatim and never through the
    /// application's logic; they are on again when `body` returns or throws.
    func withTriggersOff<Result: Sendable>(
        on table: String, _ body: () async throws -> Result
    ) async throws -> Result
}

extension TransferringSession {
    /// ``recordThenMove(_:)``.
    public func move(_ move: TransferMove) async throws -> (moved: Int, recorded: Int) {
        try await recordThenMove(move)
    }

    /// Records the rows in a pass of its own (``TransferMove/record``), then
    /// moves them (``TransferMove/move``).
    public func recordThenMove(_ move: TransferMove) async throws -> (moved: Int, recorded: Int) {
        let recorded = try await record(move.record)
        let moved = try await changeRows(move.move)
        return (moved, recorded)
    }

    /// Runs a statement that records rows, one row each or in one pack.
    ///
    /// - Returns: How many rows it recorded.
    public func record(_ recording: TransferRecording) async throws -> Int {
        guard recording.isPack else { return try await changeRows(recording.statement) }
        return try await query(recording.statement).first?.first?.integer ?? 0
    }
}

extension TransferDialect {
    /// ``rowDigest(of:)``: the engine's digest never changed.
    public func recordedRowDigest(of columns: [String], recorded: String) -> String {
        rowDigest(of: columns)
    }

    /// None: no setting changes the text of a value.
    public func valueTextSettings(legacy: Bool) -> [String] { [] }

    /// None: every recorded digest is the engine's.
    public func legacyDigestCondition(_ digest: String) -> String? { nil }

    /// Whether the engine keeps packs (``unpackedRows(ofTransfer:)``).
    public var keepsPacks: Bool { unpackedRows(ofTransfer: "0") != nil }
}
