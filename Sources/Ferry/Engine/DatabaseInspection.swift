import Foundation

/// Whole-database checks and facts, in the engine's own terms: what
/// preflight, verification, rehearsal and `test-paths` ask of a database.
///
/// Lent read-only by ``DatabaseEngine/withInspection(_:)``, and by every
/// ``MigrationSession``, where it sees the upgrade's uncommitted changes.
public protocol DatabaseInspection: MigrationDatabase {
    /// The problems the engine's integrity check reports; empty when there
    /// are none.
    ///
    /// - Parameter thorough: A full check (SQLite: `PRAGMA integrity_check`)
    ///   rather than a quick one (`PRAGMA quick_check`).
    func integrityProblems(thorough: Bool) async throws -> [String]

    /// Every row whose foreign key has no parent row, described with its
    /// table and row; empty when there are none.
    func foreignKeyViolations() async throws -> [String]

    /// The number of rows in each of the application's tables (Ferry's own
    /// tables left out).
    func rowCounts() async throws -> [String: Int]

    /// The application's schema, normalized so that two databases with the
    /// same schema give the same lines however it was written: one line per
    /// column, key, index, view and trigger, sorted. Ferry's own tables are
    /// left out. By default the ``SchemaObject/line`` of every object of
    /// ``schemaObjects()``.
    func schemaDescription() async throws -> [String]

    /// The application's schema as objects (tables, columns, keys, indexes,
    /// views, triggers, …), each with its owner table and a normalized
    /// definition, so that two schemas compare object by object. The
    /// engine's internal objects are left out.
    func schemaObjects() async throws -> [SchemaObject]

    /// The engine's version, such as `3.45.1`.
    func engineVersion() async throws -> String
}

extension DatabaseInspection {
    /// The lines of ``schemaObjects()``, sorted.
    public func schemaDescription() async throws -> [String] {
        try await schemaObjects().map(\.line).sorted()
    }
}

extension DatabaseEngine {
    /// Nil: the engine keeps no fingerprint of its history.
    public func recordedFingerprint() async -> (release: Release, fingerprint: HistoryFingerprint)?
    { nil }

    /// Nil: the engine knows its version only from a database.
    public func engineVersionWithoutDatabase() async -> String? { nil }

    /// Nil: the engine keeps no file on this machine.
    public var localFile: URL? { nil }

    /// Refuses: the engine cannot lend a read-only inspection yet.
    public func withInspection<Result: Sendable>(
        _ body: (any DatabaseInspection) async throws -> Result
    ) async throws -> Result {
        throw unsupported("inspect the database read-only")
    }

    /// Refuses: the engine cannot copy a database for a rehearsal yet.
    public func withRehearsalCopy<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        throw unsupported("copy the database for a rehearsal")
    }

    /// Refuses: the engine cannot make scratch databases yet.
    public func withScratchDatabase<Result: Sendable>(
        _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        throw unsupported("make a scratch database")
    }

    /// ``withScratchDatabase(_:)``: the engine does not name its scratch
    /// databases after their purpose.
    public func withScratchDatabase<Result: Sendable>(
        purpose: String, _ body: (any DatabaseEngine) async throws -> Result
    ) async throws -> Result {
        try await withScratchDatabase(body)
    }

    private func unsupported(_ what: String) -> FerryError {
        FerryError(
            .unsupportedByEngine, "The \(engineName) engine cannot \(what) yet.",
            changes: "Nothing was changed.",
            advice: "Run this command on a database whose engine can.")
    }
}
