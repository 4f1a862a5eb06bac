/// How an import treats rows whose key the database already has
/// (`ferry import --mode`).
public enum ImportMode: String, Sendable, Codable, CaseIterable {
    /// The rows' keys must be new: a conflict refuses the import with
    /// nothing written (the default).
    case empty
    /// New rows are inserted, each conflicting key is kept as it is in the
    /// database and reported.
    case merge
    /// New rows are inserted and existing rows kept, conflicts only counted.
    case skip
}

/// What an import is asked to do.
public struct ImportOptions: Sendable {
    /// How rows whose key is already there are treated.
    public var mode: ImportMode
    /// Whether to write nothing and report what the import would do.
    public var dryRun: Bool
    /// The row to put the exported entities under (`--into TABLE=KEY`):
    /// their foreign keys to that table point at it, and their integer keys
    /// that the target already holds are renumbered. Nil to import them as
    /// they are.
    public var into: EntitySelection?
    /// Whether a value the target would refuse leaves its row out and is
    /// reported, instead of failing the import (a dry run's load into a
    /// scratch database).
    var collectsRefusals = false
    /// Whether the import stops at the export's release (a dry run's load
    /// into a scratch database, which nobody upgrades).
    var stopsAtExportRelease = false
    /// Whether the upgrades the import runs (to the export's release in an
    /// empty database, then to the program's) go on despite preflight
    /// warnings, as ``UpgradeOptions/force`` (never despite blockers).
    public var force: Bool

    /// Creates options.
    public init(
        mode: ImportMode = .empty, dryRun: Bool = false, force: Bool = false,
        into: EntitySelection? = nil
    ) {
        self.mode = mode
        self.dryRun = dryRun
        self.force = force
        self.into = into
    }
}

/// What an import did (or, for a dry run, would do).
public struct ImportReport: Sendable, Encodable {
    /// One imported table.
    public struct Table: Sendable, Encodable {
        /// The table's name.
        public var name: String
        /// Whether the rows are references of an export of entities (rows
        /// they point at, which the database keeps when it has them), not
        /// rows of the entities' own.
        public var references: Bool
        /// The rows in the export.
        public var rows: Int
        /// The rows inserted (for a dry run: that would be).
        public var inserted: Int
        /// The rows whose key was already there.
        public var conflicts: Int
        /// The first conflicting keys, as `column=value, …`.
        public var conflictKeys: [String]
        /// The columns whose values changed kind on the way (from another
        /// engine, or into another type), and how many values.
        public var converted: [ConvertedColumn]
        /// The rows a dry run found with a value the target would refuse.
        public var refused: Int
        /// Why the first of them would be refused: table, key, column, value and reason.
        public var refusedValues: [String]
        /// The keys renumbered because the target held them (`--into`).
        public var renumbered: Int
        /// The first of them, as `old → new`.
        public var renumberedKeys: [String]
    }

    /// One column whose values change kind on the way into the target.
    public struct ConvertedColumn: Sendable, Encodable, Equatable {
        /// The column.
        public var column: String
        /// The export's type: declared, and logical.
        public var from: String
        /// The target's type: declared, and logical.
        public var to: String
        /// How many values changed.
        public var values: Int
    }

    /// The export folder.
    public var folder: String
    /// The mode.
    public var mode: ImportMode
    /// Whether nothing was written.
    public var dryRun: Bool
    /// The release the export was taken at.
    public var exportRelease: String?
    /// The release the database was at before, if any.
    public var from: String?
    /// The release the database is at now (for a dry run: would be).
    public var release: String?
    /// The tables, in load order.
    public var tables: [Table]
    /// The pre-import backup's name, when the database had data.
    public var backup: String?
    /// When an earlier run of this import had already loaded its rows (the
    /// time of that load, known from the history by the export's digest):
    /// this run only finished that run's upgrade, or found nothing left to
    /// do. Nil otherwise.
    public var earlierRun: String?
    /// How long the import took, in seconds.
    public var seconds: Double
}
