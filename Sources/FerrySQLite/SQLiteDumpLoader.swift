import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Loads an SQL script (a dump) into a new SQLite database, streaming it
/// statement by statement so that a dump of any size needs little memory.
///
/// Statement ends are found as the `sqlite3` shell finds them: at a `;`
/// outside quotes and comments where `sqlite3_complete` agrees (which keeps
/// the `;` inside a trigger's `BEGIN … END` body). The new database is
/// throw-away until checked, so it is loaded without a journal. The rows of
/// Ferry's own dumps are bound to prepared statements (``DumpInsertBinder``);
/// every other statement is run as it is written. The text is read, split
/// and its rows read on a thread of its own (``DumpStatementReader``) while
/// the caller's thread writes the statements before them.
enum SQLiteDumpLoader {
    /// Loads the dump at `dump` into `db`, the bytes read going to
    /// `listener`; with `growing`, while another thread writes it. Without
    /// `buildingPlainIndexes` (the check of a new backup, whose loaded copy
    /// is thrown away), an index that any rows build is compiled and not
    /// built (``PlainIndexDefinition``).
    ///
    /// - Returns: Whether a statement of the dump named `writable_schema`,
    ///   which can make a definition say what the rows do not. Without one,
    ///   every index of the new file was made by SQLite in the load's one
    ///   transaction from its table's rows, or kept in step as they went in.
    @discardableResult
    static func load(
        _ dump: URL, into db: Database, reportingTo listener: ProgressListener,
        following growing: GrowingFile? = nil, buildingPlainIndexes: Bool = true
    ) throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: dump) else {
            throw FerryError(
                .backupCorrupt, "Cannot read the SQL dump \(dump.path).",
                changes: "Nothing was changed.")
        }
        defer { try? handle.close() }
        try db.execute(
            sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF")
        // Indexes are created after the rows: let SQLite sort their entries on more than one core.
        try db.execute(sql: "PRAGMA threads = \(SQLiteEngine.sorterThreads)")
        // A dump of one database writes no other file: no statement of it may attach one (nor
        // `VACUUM INTO`, which attaches its target). It is loaded before its checksum is known
        // (a restore compares it beside the load), so a damaged or foreign file may not either.
        let attachable = sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_ATTACHED, 0)
        defer { sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_ATTACHED, attachable) }
        try db.execute(sql: "BEGIN")
        var binder = DumpInsertBinder()
        var namesWritableSchema = false
        let progress = listener.reporter(
            "load", unit: .bytes,
            total: growing == nil ? Int64(FileSafety.size(of: dump.path)) : nil
        )
        defer { progress.finish() }
        let batches = DumpStatementReader(
            handle, name: dump.lastPathComponent, following: growing
        ).start()
        // The reading thread reads the handle until it ends, also when the load stops early.
        defer {
            batches.cancel()
            batches.waitUntilEnded()
        }
        while let batch = try batches.take() {
            try batch.bytes.withUnsafeBufferPointer { bytes in
                try batch.literals.withUnsafeBufferPointer { literals in
                    for statement in batch.statements {
                        try run(
                            UnsafeBufferPointer(rebasing: bytes[statement.range]),
                            rows: statement.rows, literals: literals, in: db, binder: &binder,
                            buildingPlainIndexes: buildingPlainIndexes,
                            namesWritableSchema: &namesWritableSchema)
                    }
                }
            }
            if batch.fileBytes > 0 {
                progress.advance(by: Int64(batch.fileBytes))
                CrashPoint.reach("load.chunk-loaded")
            }
        }
        if db.isInsideTransaction { try db.execute(sql: "COMMIT") }
        return namesWritableSchema
    }

    /// Runs one statement of the dump (its bytes up to and with the `;`,
    /// without the blanks around them), binding its `rows` when the reader
    /// read them; the dump's own transaction statements are left out,
    /// because the load has its own.
    private static func run(
        _ bytes: UnsafeBufferPointer<UInt8>, rows: DumpInsertBinder.Rows?,
        literals: UnsafeBufferPointer<DumpInsertBinder.Literal>, in db: Database,
        binder: inout DumpInsertBinder, buildingPlainIndexes: Bool, namesWritableSchema: inout Bool
    ) throws {
        var text: String?
        do {
            if let rows { return try binder.insert(rows, of: bytes, literals: literals, into: db) }
            let statement = StatementSplitter.trimmed(bytes)
            text = statement
            if statement == ";" { return }
            let word = statement.prefix(while: { !$0.isWhitespace && $0 != ";" }).uppercased()
            if ["BEGIN", "COMMIT", "END"].contains(word) { return }
            if word == "PRAGMA", statement.containsIgnoringASCIICase("foreign_keys") { return }
            if statement.containsIgnoringASCIICase("writable_schema") { namesWritableSchema = true }
            if !buildingPlainIndexes, word == "CREATE", PlainIndexDefinition.matches(statement) {
                // Compiled, which is where such an index can fail, and not built.
                _ = try db.makeStatement(sql: statement)
                return
            }
            try db.execute(sql: statement)
            guard db.isInsideTransaction else {
                throw FerryError(
                    .backupCorrupt,
                    "The SQL dump does not load: a statement of it ends the load's own transaction, "
                        + "which no dump of one database does.",
                    changes: "Nothing was changed.", advice: "Use another backup.",
                    location: .init(
                        file: "dump", line: 0, statement: SQLScript.shortened(statement)))
            }
        } catch let error as DatabaseError
            where DiskSpace.isFull(
                error.extendedResultCode,
                near: String(cString: sqlite3_db_filename(db.sqliteConnection, "main")))
        {
            // A full disk says nothing of the dump: the caller says where the room ran out.
            throw error
        } catch let error as DatabaseError {
            let statement = text ?? StatementSplitter.trimmed(bytes)
            throw FerryError(
                .backupCorrupt, "The SQL dump does not load: SQLite refused a statement.",
                changes: "Nothing was changed.",
                advice: "Use another backup.",
                location: .init(file: "dump", line: 0, statement: SQLScript.shortened(statement)),
                engineMessage: error.message)
        }
    }
}
