import Foundation

/// What `ferry adopt` would record, worked out without changing anything:
/// each migration the other tool applied, matched to a migration of the
/// configured folder, and what stops the adoption.
public struct AdoptionPlan: Sendable {
    /// A migration the tool applied, matched to a migration Ferry knows.
    public struct Adopted: Sendable, Encodable {
        /// Ferry's id of the migration, `<release>/<name>`.
        public let id: String
        /// The tool's identifier of it (its version, change or revision).
        public let toolVersion: String
        /// When the tool applied it, where it kept the time.
        public let appliedAt: Date?
        /// What differs between the file now and the tool's checksum, if it does.
        public let changed: String?
        /// The migration.
        let migration: Migration
        /// How long it took, in seconds, where the tool kept it.
        let seconds: Double?
        /// The checksum the tool recorded, where it keeps one.
        let toolChecksum: String?

        /// Whether it is a repeatable migration whose file changed since the
        /// tool ran it: the tool would run it again, and so does the next upgrade.
        var runsAgain: Bool { changed != nil && migration.isRepeatable }

        private enum CodingKeys: String, CodingKey { case id, toolVersion, appliedAt, changed }
    }

    /// The tool whose history is adopted.
    public let tool: ForeignTool
    /// The migrations to record, in the order the tool applied them.
    public let adopted: [Adopted]
    /// The tool's identifiers that no migration of the folder matches.
    public let missing: [String]
    /// What the tool's history says is unfinished or failed.
    public let problems: [String]
    /// The release to stamp: the newest whose migrations are all adopted,
    /// or nil when none is complete.
    public let release: Release?
    /// The migrations of the folder that the tool never applied: the next
    /// upgrade applies them.
    public let pending: [String]

    /// The adopted migrations whose files changed since the tool applied
    /// them, repeatable ones left out (they run again, as the tool would).
    public var changed: [Adopted] { adopted.filter { $0.changed != nil && !$0.runsAgain } }

    /// Matches a tool's history to the migrations of a catalog.
    ///
    /// An entry matches the migration whose ``Migration/toolVersion`` is the
    /// same version as the tool reads it (Flyway's `1.10` and `1.10.0` are
    /// one; numbers ignore leading zeros; Diesel's dashes do not count), or,
    /// for a migration of no other tool and for the tools whose migrations
    /// are code (Alembic, GRDB, Django), whose name is the identifier, with or
    /// without a leading number and `_` (`003_ae1027a6acf` matches
    /// Alembic's `ae1027a6acf`). Where the tool records only the newest
    /// migration (golang-migrate, Alembic), every migration before the one
    /// matched is applied too.
    init(history: ForeignHistory, catalog: MigrationCatalog) {
        tool = history.tool
        problems = history.problems
        let candidates = catalog.migrations.filter { !$0.isBaseline }
        func matching(_ identifier: String) -> Migration? {
            candidates.first { ForeignHistory.matches($0, identifier, tool: history.tool) }
        }
        var entries: [(ForeignHistory.Entry, Migration)] = []
        var missing: [String] = []
        if history.tool.recordsOnlyTheNewest {
            for entry in history.entries {
                guard let newest = matching(entry.identifier) else {
                    missing.append(entry.identifier)
                    continue
                }
                for migration in candidates where !migration.isRepeatable {
                    if migration.precedes(newest) || migration.id == newest.id,
                        !entries.contains(where: { $0.1.id == migration.id })
                    {
                        let identifier =
                            migration.id == newest.id
                            ? entry.identifier : migration.toolVersion ?? migration.name
                        entries.append((ForeignHistory.Entry(identifier: identifier), migration))
                    }
                }
            }
            entries.sort { $0.1.precedes($1.1) }
        } else {
            for entry in history.entries {
                if entry.coversOlderVersions {
                    for migration in candidates
                    where ForeignHistory.isAtOrBefore(migration, entry.identifier, tool: tool)
                        && !entries.contains(where: { $0.1.id == migration.id })
                    {
                        var covered = entry
                        covered.identifier = migration.toolVersion ?? migration.name
                        entries.append((covered, migration))
                    }
                    continue
                }
                if let migration = matching(entry.identifier) {
                    guard !entries.contains(where: { $0.1.id == migration.id }) else { continue }
                    entries.append((entry, migration))
                } else {
                    missing.append(entry.identifier)
                }
            }
        }
        adopted = entries.map { entry, migration in
            var changed: String?
            if let kept = entry.checksum, case .sql(let script) = migration.body {
                let now = kept.recomputed(from: script.text)
                if now != kept { changed = "the tool recorded \(kept), the file now has \(now)" }
            }
            return Adopted(
                id: migration.id, toolVersion: entry.identifier, appliedAt: entry.appliedAt,
                changed: changed, migration: migration, seconds: entry.seconds,
                toolChecksum: entry.checksum.map(\.description))
        }
        self.missing = missing
        let adoptedIDs = Set(adopted.map(\.id))
        let notApplied = candidates.filter { !adoptedIDs.contains($0.id) }
        pending = notApplied.map(\.id)
        // The newest release whose migrations are all applied; repeatables run again anyway.
        let complete = catalog.releases.filter { release in
            !notApplied.contains { $0.release <= release && !$0.isRepeatable }
                && candidates.contains { $0.release == release }
        }
        release = adopted.isEmpty ? nil : complete.max()
    }

    /// The refusal this plan calls for, or nil when the adoption may go on.
    ///
    /// - Parameter allowingChanged: Whether changed files and unmatched
    ///   history entries are accepted.
    public func refusal(allowingChanged: Bool) -> FerryError? {
        if !problems.isEmpty {
            return FerryError(
                .foreignHistoryUnfinished,
                "The \(tool) history is not in a state to take over: "
                    + problems.joined(separator: "; ") + ".",
                changes:
                    "Nothing was changed: the \(tool) table and the database are as they were.",
                advice:
                    "Finish or repair it with \(tool) first (check what the failed migration left, fix it, "
                    + "and mark it as \(tool) expects), then run the adoption again.")
        }
        if adopted.isEmpty && missing.isEmpty {
            return FerryError(
                .foreignHistoryUnfinished,
                "The \(tool) history (\(tool.historyTableShown)) records no applied migration.",
                changes: "Nothing was changed.",
                advice:
                    "Nothing needs adopting: run the upgrade on this database if it is empty, or "
                    + "\(run: .baseline) if its schema is that of a release.")
        }
        if adopted.isEmpty {
            return FerryError(
                .migrationMissing,
                "No migration of the folder matches what \(tool) applied ("
                    + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
                    + "): there is nothing to record.",
                changes: "Nothing was changed.",
                advice:
                    "Check that \(.migrations) is the \(tool) folder and its layout that of \(tool); "
                    + "for a tool whose migrations are code, name the files after its identifiers.")
        }
        if allowingChanged { return nil }
        let changed = self.changed
        if !changed.isEmpty || !missing.isEmpty {
            var lines: [String] = []
            for item in changed {
                lines.append(
                    "  \(item.migration.fileShown) changed since \(tool) applied it: \(item.changed!)"
                )
            }
            for identifier in missing {
                lines.append(
                    "  \(tool) applied \(identifier), which no migration of the folder matches")
            }
            return FerryError(
                .migrationChanged,
                "The migrations folder is not what \(tool) applied:\n"
                    + lines.joined(separator: "\n"),
                changes: "Nothing was changed.",
                advice:
                    "Put back the files as \(tool) applied them (for example from version control), or check "
                    + "that \(.migrations) and its layout are the \(tool) folder; or pass \(.allowChanged) to "
                    + "adopt the files as they are now and leave out the entries no file matches.")
        }
        return nil
    }
}

extension Migration {
    /// The file a message names for the migration, or its id.
    var fileShown: String {
        if case .sql(let script) = body, let file = script.file { return file }
        return id
    }
}
