import Ferry
import Foundation
import GRDB

extension SQLiteEngine {
    /// The database file.
    public var localFile: URL? { URL(fileURLWithPath: path) }

    /// The file and its write-ahead log, which holds committed pages not yet
    /// copied back into the file.
    public var localDataFiles: [URL] {
        [URL(fileURLWithPath: path), URL(fileURLWithPath: path + "-wal")]
    }

    /// Opens the file read-only (never creating it) and lends it.
    public func withInspection<Result: Sendable>(
        _ body: (any DatabaseInspection) async throws -> Result
    ) async throws -> Result {
        guard try databaseExists() else {
            throw FerryError(
                .databaseUnavailable, "The SQLite database \(path) does not exist.",
                changes: "Nothing was changed.",
                advice: "Check \(.database), FERRY_DATABASE or [database] url.")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            // Opening is lazy: read the schema now, so an unreadable file is reported as such.
            _ = try await queue.readHere { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
            }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
        defer { try? queue.close() }
        return try await body(
            SQLiteSession(queue: queue, displayName: path, createdDatabase: false))
    }

    /// Copies as a native backup does (SQLite's online backup API in one
    /// step, under a read transaction: the application's connections keep
    /// reading, and a writer waits at most as long as the copy takes). The
    /// copy goes to a ``WorkFolder`` (0700) in the temporary folder
    /// (`TMPDIR`), as a file made 0600 before a byte is copied: never more
    /// open than a database Ferry can upgrade. A killed rehearsal's copy is
    /// removed by the next run that makes a work folder there.
    public func withRehearsalCopy<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withWorkFolder("rehearsal") { folder in
            let copy = SQLiteEngine(
                path: folder.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent)
                    .path,
                busyTimeout: busyTimeout)
            if try databaseExists() {
                try Self.createPrivateFile(copy.path)
                try await writeBackup(to: URL(fileURLWithPath: copy.path), format: .native)
            }
            return try await body(copy)
        }
    }

    /// Every scratch database is a new file in a folder of its own, made by
    /// the same SQLite: the same migrations build the same schema on any.
    public var scratchKinship: String? { "sqlite" }

    /// Lends an engine on a new file in a ``WorkFolder`` in `TMPDIR`,
    /// deleted afterwards with its lock file.
    public func withScratchDatabase<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withWorkFolder("scratch") { folder in
            try await body(
                SQLiteEngine(
                    path: folder.appendingPathComponent("scratch.db").path, busyTimeout: busyTimeout
                ))
        }
    }

    private func withWorkFolder<Result: Sendable>(
        _ purpose: String, _ body: (URL) async throws -> Result
    ) async throws -> Result {
        let folder: WorkFolder
        do {
            folder = try WorkFolder.make(purpose, in: FileManager.default.temporaryDirectory)
        } catch var error as FerryError {
            error.advice = "Set TMPDIR to a writable folder with room for the copy."
            throw error
        }
        defer { folder.remove() }
        return try await body(folder.url)
    }

    /// Makes an empty file readable and writable by its owner only, for
    /// SQLite to fill (an empty file is a new database to SQLite).
    static func createPrivateFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FerryError(
                .fileSystem, "Cannot create \(path): \(String(cString: strerror(errno))).",
                changes: "Nothing was changed.",
                advice: "Set TMPDIR to a writable folder with room for the copy.")
        }
        close(descriptor)
    }
}
