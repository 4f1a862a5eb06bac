import Foundation

/// Another migration tool whose history `ferry adopt` takes over, by the
/// table (or registry) it keeps in the database.
///
/// Tools that keep their migrations as SQL files (Flyway, golang-migrate,
/// dbmate, Diesel, SQLx, goose, Sqitch) are matched to the files of the
/// configured layout by the version the tool writes in its history
/// (``Migration/toolVersion``). Alembic, GRDB and Django keep their
/// migrations as code that Ferry does not read: their revisions and
/// identifiers are matched to migrations of any layout by name (see
/// ``AdoptionPlan``).
public enum ForeignTool: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Flyway: `flyway_schema_history`.
    case flyway
    /// golang-migrate: `schema_migrations (version, dirty)`, one row.
    case golangMigrate = "golang-migrate"
    /// dbmate: `schema_migrations (version)`, one row per migration.
    case dbmate
    /// Diesel: `__diesel_schema_migrations`.
    case diesel
    /// SQLx: `_sqlx_migrations`.
    case sqlx
    /// goose: `goose_db_version`.
    case goose
    /// Sqitch: the `changes` table of its registry.
    case sqitch
    /// Alembic: `alembic_version`, the current head revisions.
    case alembic
    /// GRDB's `DatabaseMigrator`: `grdb_migrations`.
    case grdb
    /// Django: `django_migrations`.
    case django

    /// The tool's name, as `--from` takes it.
    public var description: String { rawValue }

    /// The table the tool keeps its history in (in Sqitch's registry for Sqitch).
    public var historyTable: String {
        switch self {
        case .flyway: "flyway_schema_history"
        case .golangMigrate, .dbmate: "schema_migrations"
        case .diesel: "__diesel_schema_migrations"
        case .sqlx: "_sqlx_migrations"
        case .goose: "goose_db_version"
        case .sqitch: "changes"
        case .alembic: "alembic_version"
        case .grdb: "grdb_migrations"
        case .django: "django_migrations"
        }
    }

    /// The history table as messages name it: `sqitch.changes` for a table
    /// of a registry.
    public var historyTableShown: String {
        registry.map { "\($0).\(historyTable)" } ?? historyTable
    }

    /// The registry that holds the history apart from the application's
    /// tables (``DatabaseEngine/withToolRegistry(named:_:)``), or nil when
    /// the history table is in the application's database.
    public var registry: String? { self == .sqitch ? "sqitch" : nil }

    /// The layout of the tool's migration files, or nil for a tool whose
    /// migrations are code.
    public var layout: MigrationLayout? {
        switch self {
        case .flyway: .flyway
        case .golangMigrate: .golangMigrate
        case .dbmate: .dbmate
        case .diesel: .diesel
        case .sqlx: .sqlx
        case .goose: .goose
        case .sqitch: .sqitch
        case .alembic, .grdb, .django: nil
        }
    }

    /// The tool whose files a layout holds, for keeping its table in step
    /// (``Ferry/Configuration/keepsHistoryTable``).
    public init?(layout: MigrationLayout) {
        guard let tool = Self.allCases.first(where: { $0.layout == layout }) else { return nil }
        self = tool
    }

    /// Whether the history names only the newest migration applied
    /// (golang-migrate's one row, Alembic's heads), every one before it
    /// being applied too, rather than every migration applied.
    public var recordsOnlyTheNewest: Bool { self == .golangMigrate || self == .alembic }

    /// Reads a tool's name, as `--from` gives it.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming the tools there are.
    public init(parsing text: String) throws {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard
            let tool = ForeignTool(
                rawValue: ["golang_migrate", "migrate"].contains(name) ? "golang-migrate" : name)
        else {
            throw FerryError(
                .invalidConfiguration, "'\(text)' is not a migration tool Ferry adopts from.",
                changes: "Nothing was changed.",
                advice: "Use one of: \(Self.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        self = tool
    }

    /// The tools whose history tables are among `tables` (a table and its
    /// columns): `schema_migrations` is golang-migrate's when it has the
    /// column `dirty`, dbmate's otherwise.
    static func found(in tables: [String: Set<String>]) -> [ForeignTool] {
        allCases.filter { tool in
            guard tool.registry == nil, let columns = tables[tool.historyTable] else {
                return false
            }
            switch tool {
            case .golangMigrate: return columns.contains("dirty")
            case .dbmate: return !columns.contains("dirty")
            default: return true
            }
        }
    }
}
