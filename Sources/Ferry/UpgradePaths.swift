import Foundation

/// One upgrade path tried by ``Ferry/testUpgradePaths()``.
public struct UpgradePathResult: Sendable, Encodable {
    /// How a path ended.
    public enum Status: String, Sendable, Encodable {
        /// The upgraded schema equals a fresh install's.
        case ok
        /// The upgraded schema differs from a fresh install's.
        case differs
        /// Building the database or upgrading it failed.
        case failed
        /// Not tried: older than `minimum_upgradable_from`.
        case skipped
    }

    /// The release the database was built at.
    public let from: Release
    /// The release it was upgraded to.
    public let to: Release
    /// The sample data loaded at `from`, if any (`fixtures/0.2.0.sql`).
    public let fixture: String?
    /// How the path ended.
    public let status: Status
    /// `ok`, the first difference, or what failed.
    public let detail: String
}

/// Every upgrade path and how it ended.
public struct UpgradePathsReport: Sendable, Encodable {
    /// The paths, oldest release first.
    public let paths: [UpgradePathResult]

    /// The error when a path differs or failed, else nil.
    public var failure: FerryError? {
        let bad = paths.filter { $0.status == .differs || $0.status == .failed }
        guard !bad.isEmpty else { return nil }
        return FerryError(
            .upgradePathsDiffer,
            "\(bad.count) of \(paths.count) upgrade paths do not end at a fresh install's schema:\n"
                + bad.map { "  \($0.from) → \($0.to): \($0.detail)" }.joined(separator: "\n"),
            changes: "Nothing was changed: every path ran on scratch databases, now deleted.",
            advice: "Make the migrations (or the baseline, or the hooks) of the releases involved agree, then run again.")
    }
}

extension Ferry {
    /// Tries every upgrade path: for each known release, builds a scratch
    /// database at that release (from empty, plus `fixtures/<release>.sql`
    /// when it exists), upgrades it to this program's release, and compares
    /// its normalized schema with a fresh install's.
    ///
    /// Every database is a scratch database of the engine, deleted
    /// afterwards; the configured database is not touched. Upgrades run as
    /// usual (hooks and verification included) but without preflight.
    ///
    /// - Returns: One result per release; ``UpgradePathsReport/failure``
    ///   is the error when a path differs or failed.
    /// - Throws: ``FerryError`` when the configuration or the migrations are
    ///   wrong, or the fresh install itself fails.
    public func testUpgradePaths() async throws -> UpgradePathsReport {
        let catalog = try catalog()
        let newest = try programRelease(in: catalog)
        let fixtures = configuration.fixturesDirectory
            ?? configuration.migrationsDirectory?.deletingLastPathComponent().appendingPathComponent("fixtures")
        let engine = configuration.engine

        let freshSchema = try await engine.withScratchDatabase { scratch in
            try await upgradeScratch(scratch, to: nil)
            return try await scratch.withInspection { try await $0.schemaDescription() }
        }
        var paths: [UpgradePathResult] = []
        for release in catalog.releases where release <= newest {
            let fixtureFile = fixtures?.appendingPathComponent("\(release).sql")
            let fixtureText = fixtureFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) }
            let fixtureName = fixtureText == nil ? nil : "fixtures/\(release).sql"
            if let minimum = configuration.minimumUpgradableFrom, release < minimum {
                paths.append(.init(
                    from: release, to: newest, fixture: fixtureName, status: .skipped,
                    detail: "older than minimum_upgradable_from \(minimum)"))
                continue
            }
            do {
                let schema = try await engine.withScratchDatabase { scratch in
                    try await upgradeScratch(scratch, to: release)
                    if let fixtureText, let fixtureName {
                        try await scratch.withSession { session in
                            try await session.inTransaction { try await session.run(SQLScript(text: fixtureText, file: fixtureName)) }
                        }
                    }
                    try await upgradeScratch(scratch, to: nil)
                    return try await scratch.withInspection { try await $0.schemaDescription() }
                }
                let difference = Self.firstDifference(upgraded: schema, fresh: freshSchema, from: release)
                paths.append(.init(
                    from: release, to: newest, fixture: fixtureName, status: difference == nil ? .ok : .differs,
                    detail: difference ?? "ok"))
            } catch let error as FerryError {
                let detail = [error.message, error.location.map { "at \($0.file), line \($0.line)" }, error.engineMessage]
                    .compactMap { $0 }.joined(separator: " ")
                paths.append(.init(from: release, to: newest, fixture: fixtureName, status: .failed, detail: detail))
            }
        }
        return UpgradePathsReport(paths: paths)
    }

    /// Upgrades a scratch database quietly, without preflight.
    private func upgradeScratch(_ scratch: any DatabaseEngine, to target: Release?) async throws {
        var configuration = self.configuration
        configuration.engine = scratch
        configuration.createsDatabase = true
        var options = UpgradeOptions(target: target, skipBackup: true)
        options.skipsPreflight = true
        _ = try await Upgrade(ferry: Ferry(configuration), options: options, emit: { _ in }).perform()
    }

    /// The first line one schema has and the other lacks, described, or nil.
    static func firstDifference(upgraded: [String], fresh: [String], from release: Release) -> String? {
        let onlyUpgraded = Set(upgraded).subtracting(fresh)
        let onlyFresh = Set(fresh).subtracting(upgraded)
        let differences = onlyUpgraded.map { ($0, "only after upgrading from \(release)") }
            + onlyFresh.map { ($0, "only in a fresh install") }
        guard let first = differences.min(by: { $0.0 < $1.0 }) else { return nil }
        let more = differences.count > 1 ? " (and \(differences.count - 1) more differences)" : ""
        return "\(first.1): \(first.0)\(more)"
    }
}
