import Ferry
import Foundation
import GRDB

extension SQLiteEngine {
    /// The database file.
    public var localFile: URL? { URL(fileURLWithPath: path) }

    /// Opens the file read-only (never creating it) and lends it.
    public func withInspection<Result: Sendable>(
        _ body: (any DatabaseInspection) async throws -> Result
    ) async throws -> Result {
        guard try databaseExists() else {
            throw FerryError(
                .databaseUnavailable, "The SQLite database \(path) does not exist.",
                changes: "Nothing was changed.", advice: "Check --database, FERRY_DATABASE or [database] url.")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            // Opening is lazy: read the schema now, so an unreadable file is reported as such.
            _ = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
        defer { try? queue.close() }
        return try await body(SQLiteSession(queue: queue, displayName: path, createdDatabase: false))
    }

    /// Copies as a native backup does (SQLite's online backup API in one
    /// step, under a read transaction: the application's connections keep
    /// reading, and a writer waits at most as long as the copy takes). The
    /// copy goes to a folder of its own in the temporary folder (`TMPDIR`).
    public func withRehearsalCopy<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withTemporaryFolder("rehearsal") { folder in
            let copy = SQLiteEngine(path: folder.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path,
                                    busyTimeout: busyTimeout)
            if try databaseExists() {
                try await writeBackup(to: URL(fileURLWithPath: copy.path), format: .native)
            }
            return try await body(copy)
        }
    }

    /// Lends an engine on a new file in a folder of its own in `TMPDIR`,
    /// deleted afterwards with its lock file.
    public func withScratchDatabase<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withTemporaryFolder("scratch") { folder in
            try await body(SQLiteEngine(path: folder.appendingPathComponent("scratch.db").path, busyTimeout: busyTimeout))
        }
    }

    private func withTemporaryFolder<Result: Sendable>(
        _ purpose: String, _ body: (URL) async throws -> Result
    ) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-\(purpose)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FerryError(
                .fileSystem, "Cannot create the temporary folder \(folder.path): \(error.localizedDescription)",
                changes: "Nothing was changed.", advice: "Set TMPDIR to a writable folder with room for the copy.")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }
}
