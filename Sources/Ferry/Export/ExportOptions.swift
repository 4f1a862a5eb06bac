/// What an export is asked to do (`ferry export DIR [--table T …] [--redact]`).
public struct ExportOptions: Sendable {
    /// The tables to export; empty for every table of the application.
    public var tables: [String]
    /// The entities to export with the rows that depend on them and those
    /// they reference (``EntitySelection``); empty for whole tables.
    public var entities: [EntitySelection]
    /// Whether the secret columns (``Ferry/Configuration/exportSecretColumns``)
    /// are written as NULL rather than as they are.
    public var redact: Bool
    /// Whether each part is gzip-compressed (`NNNN.jsonl.gz`).
    public var compress: Bool
    /// The most bytes of rows in one part file (a part ends after the row
    /// that reaches it).
    public var partBytes: Int64

    /// Creates options.
    public init(
        tables: [String] = [], entities: [EntitySelection] = [], redact: Bool = false,
        compress: Bool = false, partBytes: Int64 = 64 << 20
    ) {
        self.tables = tables
        self.entities = entities
        self.redact = redact
        self.compress = compress
        self.partBytes = max(1, partBytes)
    }
}

/// What an export wrote.
public struct ExportReport: Sendable, Encodable {
    /// One exported table.
    public struct Table: Sendable, Encodable {
        /// The table's name.
        public var name: String
        /// The rows written.
        public var rows: Int
        /// The part files written.
        public var files: Int
        /// Their bytes.
        public var bytes: Int64
        /// Whether its rows are references of exported entities (rows they
        /// point at), not rows that belong to them.
        public var references: Bool
    }

    /// The export folder.
    public var folder: String
    /// The database's release.
    public var release: String?
    /// The entities exported (`TABLE=KEY`); empty for whole tables.
    public var entities: [String]
    /// The tables, in load order.
    public var tables: [Table]
    /// The secret columns held as they are.
    public var secretColumnsIncluded: [String]
    /// The secret columns written as NULL.
    public var redactedColumns: [String]
    /// The manifest's digest.
    public var digest: String
    /// How long the export took, in seconds.
    public var seconds: Double
}
