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
    /// Every release step walked up, down and up again, oldest first.
    public var downSteps: [DownStepResult] = []

    /// The error when a path or a release step's walk differs or failed, else nil.
    public var failure: FerryError? {
        let bad = paths.filter { $0.status == .differs || $0.status == .failed }
        let badSteps = downSteps.filter { $0.status == .differs || $0.status == .failed }
        guard !bad.isEmpty || !badSteps.isEmpty else { return nil }
        var message: [String] = []
        var advice: [String] = []
        if !bad.isEmpty {
            message.append(
                "\(bad.count) of \(paths.count) upgrade paths do not end at a fresh install's schema:"
            )
            message += bad.map { "  \($0.from) → \($0.to): \($0.detail)" }
            advice.append(
                "Make the migrations (or the baseline, or the hooks) of the releases involved agree, then run again."
            )
        }
        if !badSteps.isEmpty {
            message.append(
                "\(badSteps.count) of \(downSteps.count) release steps do not go down and up again to the same schemas:"
            )
            message += badSteps.map { "  \($0.from) ⇄ \($0.to): \($0.detail)" }
            advice.append(DownStepResult.advice)
        }
        return FerryError(
            .upgradePathsDiffer, message.joined(separator: "\n"),
            changes: "Nothing was changed: every path ran on scratch databases, now deleted.",
            advice: advice.joined(separator: " "))
    }
}

extension Ferry {
    /// Tries every upgrade path: for each known release, builds a scratch
    /// database at that release (from empty, plus `fixtures/<release>.sql`
    /// when it exists), upgrades it to this program's release, and compares
    /// its normalized schema with a fresh install's. Then walks every
    /// release step up, down and up again (see ``DownStepResult``).
    ///
    /// Every database is a scratch database of the engine, deleted
    /// afterwards; the configured database is not touched. Upgrades run as
    /// usual (hooks and verification included) but without preflight.
    ///
    /// - Returns: One result per release and one per release step;
    ///   ``UpgradePathsReport/failure`` is the error when one differs or failed.
    /// - Throws: ``FerryError`` when the configuration or the migrations are
    ///   wrong, or the fresh install itself fails.
    public func testUpgradePaths() async throws -> UpgradePathsReport {
        let catalog = try catalog()
        let newest = try programRelease(in: catalog)
        let fixtures =
            configuration.fixturesDirectory
            ?? configuration.migrationsDirectory?.deletingLastPathComponent()
            .appendingPathComponent("fixtures")
        let engine = configuration.engine
        let fixture = { (release: Release) -> SQLScript? in
            let file = fixtures?.appendingPathComponent("\(release).sql")
            return file.flatMap { try? String(contentsOf: $0, encoding: .utf8) }
                .map { SQLScript(text: $0, file: "fixtures/\(release).sql") }
        }

        let freshSchema = try await engine.withScratchDatabase { scratch in
            try await upgradeScratch(scratch, to: nil)
            return try await scratch.withInspection { try await $0.schemaDescription() }
        }
        var paths: [UpgradePathResult] = []
        for release in catalog.releases where release <= newest {
            let fixtureScript = fixture(release)
            let fixtureName = fixtureScript?.file
            if let minimum = configuration.minimumUpgradableFrom, release < minimum {
                paths.append(
                    .init(
                        from: release, to: newest, fixture: fixtureName, status: .skipped,
                        detail: "older than minimum_upgradable_from \(minimum)"))
                continue
            }
            do {
                let schema = try await engine.withScratchDatabase { scratch in
                    try await buildScratch(scratch, at: release, fixture: fixtureScript)
                    try await upgradeScratch(scratch, to: nil)
                    return try await scratch.withInspection { try await $0.schemaDescription() }
                }
                let difference = Self.firstDifference(
                    upgraded: schema, fresh: freshSchema, from: release)
                paths.append(
                    .init(
                        from: release, to: newest, fixture: fixtureName,
                        status: difference == nil ? .ok : .differs,
                        detail: difference ?? "ok"))
            } catch let error as FerryError {
                let detail = [
                    error.message, error.location.map { "at \($0.file), line \($0.line)" },
                    error.engineMessage,
                ]
                .compactMap { $0 }.joined(separator: " ")
                paths.append(
                    .init(
                        from: release, to: newest, fixture: fixtureName, status: .failed,
                        detail: detail))
            }
        }
        let downSteps = try await testDownSteps(
            releases: catalog.releases.filter { $0 <= newest }, catalog: catalog, fixture: fixture)
        return UpgradePathsReport(paths: paths, downSteps: downSteps)
    }

    /// Upgrades an empty scratch database to a release and loads its sample data, if any.
    func buildScratch(_ scratch: any DatabaseEngine, at release: Release, fixture: SQLScript?)
        async throws
    {
        try await upgradeScratch(scratch, to: release)
        if let fixture {
            try await scratch.withSession { session in
                try await session.inTransaction { try await session.run(fixture) }
            }
        }
    }

    /// Upgrades a scratch database quietly, without preflight.
    func upgradeScratch(_ scratch: any DatabaseEngine, to target: Release?) async throws {
        var configuration = self.configuration
        configuration.engine = scratch
        configuration.createsDatabase = true
        var options = UpgradeOptions(target: target, skipBackup: true)
        options.skipsPreflight = true
        _ = try await Upgrade(ferry: Ferry(configuration), options: options, emit: { _ in })
            .perform()
    }

    /// The first line one schema has and the other lacks, described, or nil.
    static func firstDifference(upgraded: [String], fresh: [String], from release: Release)
        -> String?
    {
        firstDifference(
            upgraded, fresh, onlyInFirst: "only after upgrading from \(release)",
            onlyInSecond: "only in a fresh install")
    }

    /// The first line (in sort order) that one schema has and the other
    /// lacks, labelled with the schema that has it, and how many more
    /// differences there are; nil when the schemas are equal.
    static func firstDifference(
        _ schema: [String], _ other: [String], onlyInFirst: String, onlyInSecond: String
    ) -> String? {
        let differences =
            Set(schema).subtracting(other).map { ($0, onlyInFirst) }
            + Set(other).subtracting(schema).map { ($0, onlyInSecond) }
        guard let first = differences.min(by: { $0.0 < $1.0 }) else { return nil }
        let more = differences.count > 1 ? " (and \(differences.count - 1) more differences)" : ""
        return "\(first.1): \(first.0)\(more)"
    }
}
