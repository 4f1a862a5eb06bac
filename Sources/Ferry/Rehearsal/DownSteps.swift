import Foundation

/// One release step walked up, down and up again by ``Ferry/testUpgradePaths()``.
///
/// On a scratch database built at `from` (plus `fixtures/<from>.sql`), the
/// migrations of the next release `to` are applied; then their down scripts
/// run as `ferry downgrade --to <from>` runs them (newest first, in one
/// transaction, with the same code); then `to` is applied again. The walk
/// passes when the down scripts give back `from`'s schema and the second
/// upgrade gives back the schema of the first. A step is walked whole, as a
/// downgrade goes back whole releases, so one migration of `to` without a
/// down script means the step cannot be walked down: a downgrade across it
/// restores the pre-upgrade backup instead.
public struct DownStepResult: Sendable, Encodable {
    /// How a step's walk ended.
    public enum Status: String, Sendable, Encodable {
        /// Down gave back `from`'s schema, and up again `to`'s.
        case ok
        /// Down, or up again, gave another schema.
        case differs
        /// A down script, or an upgrade on the way, failed.
        case failed
        /// Not walked down: a migration of the step has no down script.
        case missingDownScripts
        /// Not tried: `from` is older than `minimum_upgradable_from`.
        case skipped
    }

    /// The release the step goes down to.
    public let from: Release
    /// The release whose migrations the step applies, reverts and applies again.
    public let to: Release
    /// The sample data loaded at `from`, if any (`fixtures/0.2.0.sql`).
    public let fixture: String?
    /// How the walk ended.
    public let status: Status
    /// The applied migrations the down step reverts, newest first (a
    /// hook's run, which has nothing to revert, only loses its history row).
    public let reverted: [String]
    /// The migrations of the step without a down script.
    public let withoutDownScript: [String]
    /// `ok`, the first difference, or what failed.
    public let detail: String
    /// What failed, when a down script or an upgrade on the way failed: the
    /// file, line, statement and engine message, and what to do.
    public let error: FerryError?

    /// What to do when steps differ or fail.
    static let advice =
        "Make each release's down scripts undo exactly what its migrations do, then run again; "
        + "until then a downgrade across those steps stops at the failing down script with nothing changed, "
        + "or leaves a schema the older release never had."
}

extension Ferry {
    /// Walks every step between consecutive releases up, down and up again
    /// on scratch databases (see ``DownStepResult``), oldest first.
    ///
    /// The oldest release is no step's `to`: no downgrade goes below it, so
    /// its down scripts, if any, are not run.
    ///
    /// - Parameters:
    ///   - releases: The releases, oldest first, up to this program's.
    ///   - fixture: The sample data of a release, if any.
    /// - Throws: Only what is not a ``FerryError``: a step that fails is a
    ///   result.
    func testDownSteps(
        releases: [Release], catalog: MigrationCatalog, fixture: (Release) -> SQLScript?
    ) async throws -> [DownStepResult] {
        var steps: [DownStepResult] = []
        for (from, to) in zip(releases, releases.dropFirst()) {
            let fixtureScript = fixture(from)
            if let minimum = configuration.minimumUpgradableFrom, from < minimum {
                steps.append(
                    DownStepResult(
                        from: from, to: to, fixture: fixtureScript?.file, status: .skipped,
                        reverted: [], withoutDownScript: [],
                        detail: "older than minimum_upgradable_from \(minimum)", error: nil))
                continue
            }
            steps.append(
                try await walkDown(from: from, to: to, fixture: fixtureScript, catalog: catalog))
        }
        return steps
    }

    /// Walks one release step up, down and up again on a scratch database.
    private func walkDown(
        from: Release, to: Release, fixture: SQLScript?, catalog: MigrationCatalog
    ) async throws -> DownStepResult {
        var reverted: [String] = []
        // What was under way, for a failure's detail.
        var phase = "building a database at \(from)"
        var isRunningDownScripts = false
        func result(
            _ status: DownStepResult.Status, _ detail: String, without: [String] = [],
            error: FerryError? = nil
        )
            -> DownStepResult
        {
            DownStepResult(
                from: from, to: to, fixture: fixture?.file, status: status, reverted: reverted,
                withoutDownScript: without, detail: detail, error: error)
        }
        func failure(_ error: FerryError) -> DownStepResult {
            var error = error
            error.changes = "Nothing was changed: the walk ran on a scratch database, now deleted."
            if isRunningDownScripts, let file = error.location?.file {
                error.advice =
                    "Fix \(file), then run \(named: .testPaths) again. Until then \(run: .downgrade(to: from)) "
                    + "(or to an older release) stops at this script and leaves the database as it was: a downgrade "
                    + "restores a backup instead only when a migration has no down script. To go back meanwhile, "
                    + "restore the backup taken before upgrading from \(from) (\(run: .backups) lists them, then "
                    + "\(run: .restore()))."
            }
            // A down script's error names the script; anything else needs to say when it happened.
            let detail = [
                isRunningDownScripts && error.location != nil ? nil : "\(phase):",
                error.message, error.location.map { "at \($0.file), line \($0.line)" },
                error.engineMessage,
            ].compactMap { $0 }.joined(separator: " ")
            return result(.failed, detail, error: error)
        }
        do {
            return try await configuration.engine.withScratchDatabase { scratch in
                let schema: () async throws -> [String] = {
                    try await scratch.withInspection { try await $0.schemaDescription() }
                }
                try await buildScratch(scratch, at: from, fixture: fixture)
                let before = try await schema()
                phase = "upgrading \(from) → \(to)"
                try await upgradeScratch(scratch, to: to)
                let after = try await schema()

                let toRevert = Self.migrationsToRevert(
                    in: try await scratch.readState(), downTo: from)
                reverted = toRevert.map(\.id)
                let without = Self.withoutDownScript(toRevert, in: catalog)
                guard without.isEmpty else {
                    return result(
                        .missingDownScripts,
                        "no down script: \(without.joined(separator: ", ")); a downgrade to \(from) restores "
                            + "the backup taken before upgrading from it", without: without)
                }
                phase = "running the down scripts of \(to)"
                isRunningDownScripts = true
                try await scratch.withSession { session in
                    try await session.inTransaction(for: .downgrade) {
                        try await Self.revert(toRevert, catalog: catalog, in: session)
                        try await session.stamp(release: from, at: Date())
                    }
                }
                isRunningDownScripts = false
                if let difference = Self.firstDifference(
                    try await schema(), before, onlyInFirst: "only after the down scripts",
                    onlyInSecond: "only at \(from) before the upgrade")
                {
                    return result(
                        .differs,
                        "the down scripts do not give back \(from)'s schema: \(difference)")
                }
                phase = "upgrading \(from) → \(to) again, after the down scripts"
                try await upgradeScratch(scratch, to: to)
                if let difference = Self.firstDifference(
                    try await schema(), after, onlyInFirst: "only after upgrading again",
                    onlyInSecond: "only after the first upgrade")
                {
                    return result(
                        .differs, "upgrading again does not give back \(to)'s schema: \(difference)"
                    )
                }
                return result(.ok, "ok")
            }
        } catch let error as FerryError {
            return failure(error)
        }
    }
}
