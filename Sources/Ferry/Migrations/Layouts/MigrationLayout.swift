import Foundation

/// How a migrations folder is laid out: Ferry's own layout, or another
/// tool's, read as that tool reads it (`[database] layout`, `--layout`,
/// `FERRY_LAYOUT`).
///
/// Teams that switch to Ferry keep their files as they are: each foreign
/// layout has one ``MigrationLayoutReader`` that finds, orders and splits
/// the files exactly by its tool's rules and gives the same ``Migration``
/// values (up, down, verify, transaction) as Ferry's own layout, so that
/// `plan`, `upgrade`, `downgrade` and `test-paths` work unchanged.
public enum MigrationLayout: String, Sendable, Codable, CaseIterable {
    /// Ferry's own: one folder per release (see ``MigrationFolder``).
    case ferry
    /// Flyway: `V1.2__desc.sql`, `U1.2__desc.sql` (undo), `R__desc.sql`
    /// (repeatable), `<script>.sql.conf`.
    case flyway
    /// golang-migrate: `<number>_<title>.up.sql` and `.down.sql`.
    case golangMigrate = "golang-migrate"
    /// Diesel: `<version>_<name>/up.sql`, `down.sql`, `metadata.toml`.
    case diesel
    /// SQLx: `<version>_<description>.sql`, or `.up.sql` and `.down.sql`.
    case sqlx
    /// goose: `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down`.
    case goose
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down`.
    case dbmate
    /// Sqitch: `sqitch.plan`, with `deploy/`, `revert/` and `verify/` scripts.
    case sqitch

    /// Reads a layout's name, as `ferry.toml`, the environment and `--layout` give it.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming the
    ///   layouts there are.
    public init(parsing text: String) throws {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard
            let layout = MigrationLayout(
                rawValue: name == "golang_migrate" ? "golang-migrate" : name)
        else {
            throw FerryError(
                .invalidConfiguration, "'\(text)' is not a migrations layout.",
                advice: "Use one of: \(Self.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        self = layout
    }

    /// The reader of a foreign layout; nil for Ferry's own.
    public var reader: (any MigrationLayoutReader.Type)? {
        switch self {
        case .ferry: nil
        case .flyway: FlywayLayout.self
        case .golangMigrate: GolangMigrateLayout.self
        case .diesel: DieselLayout.self
        case .sqlx: SQLxLayout.self
        case .goose: GooseLayout.self
        case .dbmate: DbmateLayout.self
        case .sqitch: SqitchLayout.self
        }
    }
}

/// The layout a migrations folder was read in, and whether it was
/// detected (no layout was configured) or configured.
public struct ChosenLayout: Sendable, Equatable {
    /// The layout.
    public let layout: MigrationLayout
    /// Whether it was detected from the folder's files rather than configured.
    public let isDetected: Bool

    /// Creates the choice.
    public init(_ layout: MigrationLayout, isDetected: Bool) {
        self.layout = layout
        self.isDetected = isDetected
    }

    /// For example `flyway layout (detected from the files)`.
    public var summary: String {
        "\(layout.rawValue) layout" + (isDetected ? " (detected from the files)" : "")
    }
}
