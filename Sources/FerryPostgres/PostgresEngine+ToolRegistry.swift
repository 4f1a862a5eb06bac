import Ferry
import Foundation

extension PostgresEngine {
    /// Lends the database read-only when it has the schema `name` (Sqitch's
    /// registry `sqitch`), whose tables are named `"name".table`; nil when it
    /// has no such schema.
    public func withToolRegistry<Result: Sendable>(
        named name: String, _ body: (any MigrationDatabase, String) async throws -> Result
    ) async throws -> Result? {
        try await withInspection { inspection -> Result? in
            let found = try await inspection.fetchAll(
                literal: "SELECT nspname FROM pg_namespace WHERE nspname = \(name)")
            guard !found.isEmpty else { return nil }
            return try await body(inspection, SQLIdentifier.quoted(name) + ".")
        }
    }
}
