import GRDB

/// What changes in a SQLite database's files whenever a transaction is
/// committed (by any connection, in any process): two equal stamps, one
/// taken while no writer could commit and one once a writer of Ferry's
/// holds the write lock, prove that no one committed between.
///
/// - Rollback journal: the file change counter, the 4 bytes at offset 24
///   of the database file's header, which every commit increments.
/// - WAL: the first copy of the WAL-index header, the first 48 bytes of the
///   shared memory (`-shm`), whose change counter, last frame and salts move
///   with every commit.
///
/// Both are documented parts of SQLite's file formats, read through the
/// connection (``ConnectionFile``). A writer that commits writes the
/// WAL-index header's second copy, then its first; a stamp is only taken
/// when the two copies are equal, so that a header read in the middle of a
/// commit is no stamp (SQLite's readers make the same test).
enum CommitStamp {
    /// The stamp of `db`'s main database, or nil when it cannot be read
    /// (or a commit is writing it).
    ///
    /// - Parameter wal: Whether the database is in WAL mode.
    static func read(_ db: Database, wal: Bool) -> [UInt8]? {
        guard wal else { return ConnectionFile.bytes(of: db, at: 24, count: 4) }
        guard let copies = ConnectionFile.sharedMemory(of: db, count: 96),
            copies[0..<48] == copies[48..<96]
        else { return nil }
        return Array(copies[0..<48])
    }
}
