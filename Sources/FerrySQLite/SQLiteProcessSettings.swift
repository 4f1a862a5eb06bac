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
}
