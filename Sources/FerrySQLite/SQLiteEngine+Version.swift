import Ferry
import GRDBSQLite

extension SQLiteEngine {
    /// The version of the SQLite library this program links, which is the
    /// one that creates and opens the database: known before the database
    /// exists, so that a requirement such as `engine = "sqlite >= 3.35"` is
    /// confirmed before a fresh install instead of left as a warning.
    public func engineVersionWithoutDatabase() async -> String? {
        String(cString: sqlite3_libversion())
    }
}
