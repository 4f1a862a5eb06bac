import Ferry
import Foundation

extension SQLiteEngine {
    /// Lends the registry file another tool keeps beside the database, as
    /// Sqitch places it: `<name>` with the database file's extension
    /// (`sqitch.db` beside `app.db`), opened read-only; nil when there is none.
    public func withToolRegistry<Result: Sendable>(
        named name: String, _ body: (any MigrationDatabase, String) async throws -> Result
    ) async throws -> Result? {
        let database = URL(fileURLWithPath: path)
        let fileExtension = database.pathExtension
        let registry = database.deletingLastPathComponent()
            .appendingPathComponent(name + (fileExtension.isEmpty ? "" : ".\(fileExtension)"))
        guard registry.path != database.path,
            FileManager.default.fileExists(atPath: registry.path)
        else { return nil }
        return try await SQLiteEngine(path: registry.path).withInspection { try await body($0, "") }
    }
}
