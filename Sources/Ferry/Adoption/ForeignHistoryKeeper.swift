import Foundation

/// Keeps another tool's history table in step with Ferry's
/// (``Ferry/Configuration/keepsHistoryTable``): after `adopt`, an
/// application whose own code reads that table (to learn the schema's
/// version) still sees the newest one.
///
/// For each migration an upgrade applies, in the transaction that records
/// it in Ferry's history, the keeper writes the row the tool of the folder's
/// layout would have written (Flyway, golang-migrate, dbmate, SQLx, goose,
/// Diesel), as the tool's own source writes it: portable SQL over the tool's
/// columns, with values bound, so it runs alike on every engine.
struct ForeignHistoryKeeper: Sendable {
    /// The tool whose table is kept.
    let tool: ForeignTool

    /// The tools whose tables can be kept.
    static let keptTools: [ForeignTool] = [
        .flyway, .golangMigrate, .dbmate, .sqlx, .goose, .diesel,
    ]

    /// The keeper a configuration asks for, or nil when it asks for none.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the
    ///   setting is on but the folder's layout is not that of a tool whose
    ///   table can be kept.
    static func configured(by configuration: Ferry.Configuration) throws -> ForeignHistoryKeeper? {
        guard configuration.keepsHistoryTable else { return nil }
        let layout =
            try configuration.migrationLayout
            ?? configuration.migrationsDirectory.map(MigrationLayout.detect(in:)) ?? .ferry
        guard let tool = ForeignTool(layout: layout), keptTools.contains(tool) else {
            throw FerryError(
                .invalidConfiguration,
                "\(.keepHistoryTable) is set, but the migrations folder's layout is \(layout.rawValue): "
                    + "there is no other tool's history table to keep in step.",
                changes: "Nothing was changed.",
                advice: "Keep it only with the layout of "
                    + keptTools.map(\.rawValue).joined(separator: ", ") + ", or unset it.")
        }
        return ForeignHistoryKeeper(tool: tool)
    }

    /// Writes the tool's rows for migrations just applied, inside the open
    /// transaction that records them.
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) when the table cannot
    ///   be written, such as when it does not exist; the transaction then
    ///   rolls back.
    func record(_ migrations: [Migration], in database: any MigrationDatabase) async throws {
        for migration in migrations {
            guard let version = migration.toolVersion else { continue }
            do {
                for statement in statements(for: migration, version: version) {
                    try await database.execute(literal: statement)
                }
            } catch var error as FerryError {
                error.markedMessage =
                    "\(.keepHistoryTable) is set, but the \(tool) table \(tool.historyTable) could not be written "
                    + "for \(migration.id): \(error.markedMessage)"
                error.advice =
                    "Check that the database has \(tool)'s table, as \(tool) made it (adopt keeps it), or unset \(.keepHistoryTable)."
                throw error
            }
        }
    }

    /// The statements that record one migration as its tool does.
    private func statements(for migration: Migration, version: String) -> [SQLStatement] {
        let table = tool.historyTable
        let text: String
        if case .sql(let script) = migration.body { text = script.text } else { text = "" }
        // The words after the version: Flyway and SQLx show them with spaces.
        let name = migration.name
        let words = String(
            name.range(of: "__").map { name[$0.upperBound...] }
                ?? name.drop { $0 != "_" }.dropFirst()
        ).replacingOccurrences(of: "_", with: " ")
        switch tool {
        case .flyway:
            // Flyway's JdbcTableSchemaHistory.doAddAppliedMigration.
            let isRepeatable = migration.isRepeatable
            return [
                """
                INSERT INTO \(sql: table) (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
                VALUES ((SELECT coalesce(max(installed_rank), 0) + 1 FROM \(sql: table)), \(isRepeatable ? nil : version),
                        \(words), 'SQL', \(migration.fileShown), \(Int(ToolChecksum.flywayCRC32(of: text))), 'ferry', 0, TRUE)
                """
            ]
        case .golangMigrate:
            // golang-migrate's SetVersion: the table holds the one current version.
            return [
                "DELETE FROM \(sql: table)",
                "INSERT INTO \(sql: table) (version, dirty) VALUES (\(Int64(version) ?? 0), FALSE)",
            ]
        case .dbmate:
            return ["INSERT INTO \(sql: table) (version) VALUES (\(version))"]
        case .sqlx:
            var checksum: [UInt8] = []
            if case .sqlxSHA384(let hex) = ToolChecksum.sqlxSHA384("").recomputed(from: text) {
                checksum = Self.bytes(hex)
            }
            return [
                """
                INSERT INTO \(sql: table) (version, description, success, checksum, execution_time)
                VALUES (\(Int64(version) ?? 0), \(words), TRUE, \(checksum), 0)
                """
            ]
        case .goose:
            return [
                "INSERT INTO \(sql: table) (version_id, is_applied) VALUES (\(Int64(version) ?? 0), TRUE)"
            ]
        case .diesel:
            return ["INSERT INTO \(sql: table) (version) VALUES (\(version))"]
        case .sqitch, .alembic, .grdb, .django:
            return []
        }
    }

    /// The bytes of a hexadecimal text.
    private static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < next {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
