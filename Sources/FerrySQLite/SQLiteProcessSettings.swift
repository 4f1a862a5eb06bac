import CFerrySQLiteSettings

/// SQLite's settings for a whole process, made once, before SQLite is
/// first used.
public enum SQLiteProcessSettings {
    /// Turns SQLite's memory statistics off, for a process that does not
    /// read them (`sqlite3_memory_used`, `sqlite3_status`) nor set a soft
    /// heap limit, as `ferry` does not.
    ///
    /// With them on, every allocation SQLite makes locks one mutex shared by
    /// the whole process, to count it: the databases of a fleet upgraded
    /// side by side waited on it, and an import locked it at every row.
    /// Without it a fleet of 200 small files and an import of 5,000,000
    /// rows into a new file took 5–10% less time. (GRDB already opens each
    /// connection without a mutex of its own.)
    ///
    /// Call it first thing, before any database is opened: once SQLite is
    /// in use it changes nothing.
    ///
    /// - Returns: Whether the setting took effect.
    @discardableResult
    public static func turnOffMemoryStatistics() -> Bool {
        ferry_sqlite_turn_off_memory_statistics() == 0
    }

    /// Keeps each statement's journal in memory up to `bytes` (SQLite's
    /// default: 64 KiB), before SQLite writes it to a temporary file.
    ///
    /// Inside a transaction, a statement that changes many rows keeps the
    /// pages it changes in a journal of its own, to undo that statement
    /// alone when it fails. Past 64 KiB SQLite creates a file for it: a
    /// migration that updates a few thousand rows then makes and deletes
    /// one, and on a file system that has just deleted many files (a fleet's
    /// run after the last one was removed) making a file cost a quarter of
    /// a millisecond of the kernel's time. The memory is held only while the
    /// statement runs.
    ///
    /// Call it first thing, before any database is opened: once SQLite is
    /// in use it changes nothing.
    ///
    /// - Returns: Whether the setting took effect.
    @discardableResult
    public static func keepStatementJournalsInMemory(upTo bytes: Int) -> Bool {
        ferry_sqlite_set_statement_journal_spill(Int32(clamping: bytes)) == 0
    }
}
