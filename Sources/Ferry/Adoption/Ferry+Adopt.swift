import Foundation

extension Ferry {
    /// Works out what ``adopt(_:onEvent:)`` would record, changing nothing.
    ///
    /// - Parameter tool: The tool whose history to read; nil detects it.
    /// - Throws: ``FerryError``: `alreadyManaged` when Ferry manages the
    ///   database already, `foreignHistoryNotFound` when there is no history
    ///   of the tool (or several and none was chosen), `databaseMissing`.
    public func adoptionPlan(from tool: ForeignTool?) async throws -> AdoptionPlan {
        let engine = configuration.engine
        try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
        try Self.refuseManaged(try await engine.readState(), command: "adopt")
        let catalog = try catalog()
        let chosen = try await foreignTool(tool)
        return AdoptionPlan(history: try await readForeignHistory(of: chosen), catalog: catalog)
    }

    /// Takes over a database that another migration tool managed: reads the
    /// tool's history, refuses a dirty or failed state and files that
    /// changed since the tool applied them (Flyway's CRC32, SQLx's
    /// SHA-384) or that are missing, then, after a `pre-adopt` backup and
    /// in one transaction, records every applied migration in Ferry's
    /// history (kind `adopted`, at the tool's own time where it kept one)
    /// and stamps the newest release whose migrations are all applied.
    ///
    /// The tool's table is only read, never changed, so the team can go
    /// back to the tool. Under the upgrade lock, as an upgrade.
    ///
    /// - Returns: What was recorded (or would be, for a dry run).
    /// - Throws: ``FerryError``; nothing was changed then.
    @discardableResult
    public func adopt(_ options: AdoptOptions, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil)
        async throws -> AdoptReport
    {
        let emit = eventEmitter(onEvent)
        let engine = configuration.engine
        let catalog = try catalog()
        let program = try programRelease(in: catalog)
        let before = try await engine.readState()
        try Self.refuseManaged(before, command: "adopt")
        return try await engine.withUpgradeLock(
            holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
        ) {
            try await rollBackInterruptedTransaction(emit: emit)
            let state = try await engine.readState()
            try Self.refuseManaged(state, command: "adopt")
            let tool = try await foreignTool(options.tool)
            let plan = AdoptionPlan(
                history: try await readForeignHistory(of: tool), catalog: catalog)
            if let refusal = plan.refusal(allowingChanged: options.allowChanged) { throw refusal }
            CrashPoint.reach("adopt.planned")
            func report(backup: String?) -> AdoptReport {
                AdoptReport(
                    tool: tool, table: tool.historyTableShown, dryRun: options.dryRun,
                    adopted: plan.adopted, leftOut: plan.missing,
                    release: plan.release?.description, pending: plan.pending, backup: backup)
            }
            if options.dryRun { return report(backup: nil) }
            let backup = try await takeBackup(
                kind: .preAdopt, format: .native, state: state, upgradeTo: nil,
                note: "before adopting the \(tool) history", emit: emit)
            CrashPoint.reach("adopt.backed-up")
            let now = Date()
            do {
                try await engine.withSession { session in
                    try await session.inTransaction(for: .bookkeeping) {
                        try Self.refuseManaged(try await session.readState(), command: "adopt")
                        for (index, item) in plan.adopted.enumerated() {
                            var note = "adopted from \(tool) (\(item.toolVersion))"
                            if item.runsAgain {
                                note +=
                                    "; repeatable, its file changed since \(tool) ran it: the next upgrade runs it again"
                            } else if let changed = item.changed {
                                note +=
                                    "; file changed since \(tool) applied it (\(changed)), adopted as it is now"
                            }
                            // A repeatable that changed keeps what the tool ran, which the file no
                            // longer matches: the plan runs it again, as the tool would have.
                            let checksum =
                                item.runsAgain
                                ? "\(tool) \(item.toolChecksum ?? "checksum")"
                                : item.migration.checksum
                            try await session.record(
                                AppliedMigration(
                                    id: item.id, release: .release(item.migration.release),
                                    name: item.migration.name, checksum: checksum,
                                    appliedAt: item.appliedAt ?? now, duration: item.seconds ?? 0,
                                    appliedBy: .release(program), kind: .adopted, note: note,
                                    sequence: index + 1,
                                    acceptance: item.changed == nil || item.runsAgain
                                        ? nil : .changed))
                            CrashPoint.reach("adopt.recorded")
                        }
                        try await session.recordEvent(
                            HistoryEvent(
                                kind: .adopted, at: now, fromRelease: nil,
                                toRelease: plan.release.map { .release($0) }, backup: backup.name,
                                note:
                                    "\(plan.adopted.count) migrations from \(tool) (\(tool.historyTableShown), left as it was)"
                                    + (plan.missing.isEmpty
                                        ? ""
                                        : "; left out, no file matches: "
                                            + plan.missing.joined(separator: ", "))))
                        if let release = plan.release {
                            try await session.stamp(release: release, at: now)
                        }
                        CrashPoint.reach("adopt.before-commit")
                    }
                }
            } catch var error as FerryError {
                error.changes =
                    "Nothing was recorded: the database is as it was (backup \(backup.name))."
                throw error
            }
            try? applyRetention(protecting: [backup.name], emit: emit)
            return report(backup: backup.name)
        }
    }

    /// Refuses a database that Ferry already manages.
    static func refuseManaged(_ state: DatabaseState, command: String) throws {
        guard state.exists else {
            throw FerryError(
                .databaseMissing, "The database does not exist: there is nothing to \(command).",
                changes: "Nothing was changed.",
                advice: "Check \(.database); a new database is made by the upgrade.")
        }
        guard state.release == nil && state.applied.isEmpty && state.recordedRelease == nil else {
            throw FerryError(
                .alreadyManaged,
                "The database is already managed by Ferry (release \(state.recordedRelease ?? "none"), "
                    + "\(state.applied.count) migrations in its history): there is nothing to \(command).",
                changes: "Nothing was changed.",
                advice:
                    "Use \(run: .status) to see its history, and the upgrade to apply what is pending."
            )
        }
    }

    /// The tool whose history to read: the one asked for, which must be
    /// there, or the only one there.
    func foreignTool(_ asked: ForeignTool?) async throws -> ForeignTool {
        let engine = configuration.engine
        let objects = try await engine.withInspection { try await $0.schemaObjects() }
        var tables: [String: Set<String>] = [:]
        for object in objects {
            if object.kind == .table, tables[object.name] == nil { tables[object.name] = [] }
            if object.kind == .column, let table = object.table {
                tables[table, default: []].insert(object.name)
            }
        }
        var found = ForeignTool.found(in: tables)
        for tool in ForeignTool.allCases {
            guard let registry = tool.registry, asked == nil || asked == tool else { continue }
            if try await engine.withToolRegistry(named: registry, { _, _ in true }) == true {
                found.append(tool)
            }
        }
        if let asked {
            guard found.contains(asked) else {
                throw FerryError(
                    .foreignHistoryNotFound,
                    "The database has no \(asked) history (\(asked.historyTableShown))"
                        + (found.isEmpty
                            ? "."
                            : "; it has that of \(found.map(\.rawValue).joined(separator: ", ")))."),
                    changes: "Nothing was changed.",
                    advice:
                        "Check \(.database), and choose the tool that managed it with \(.adoptFrom, .placeholder)."
                )
            }
            return asked
        }
        guard found.count == 1, let only = found.first else {
            throw FerryError(
                .foreignHistoryNotFound,
                found.isEmpty
                    ? "The database holds no history of a tool Ferry adopts from (looked for "
                        + ForeignTool.allCases.map { "\($0.historyTableShown) of \($0)" }.joined(
                            separator: ", ") + ")."
                    : "The database holds the histories of several tools: "
                        + found.map { "\($0) (\($0.historyTableShown))" }.joined(separator: ", ")
                        + ".",
                changes: "Nothing was changed.",
                advice: found.isEmpty
                    ? "Check \(.database). A database that no tool managed is taken over with \(run: .baseline)."
                    : "Choose the tool whose history is the database's with \(.adoptFrom, .placeholder)."
            )
        }
        return only
    }

    /// Reads a tool's history, from the database or its registry.
    func readForeignHistory(of tool: ForeignTool) async throws -> ForeignHistory {
        let engine = configuration.engine
        do {
            if let registry = tool.registry {
                guard
                    let history = try await engine.withToolRegistry(
                        named: registry,
                        {
                            try await ForeignHistory.read(
                                tool, from: $0, prefix: $1,
                                project: configuration.migrationsDirectory.flatMap(
                                    SqitchLayout.project(in:)))
                        })
                else {
                    throw FerryError(
                        .foreignHistoryNotFound, "The database has no \(tool) registry.",
                        changes: "Nothing was changed.", advice: "Check \(.database).")
                }
                return history
            }
            return try await engine.withInspection { try await ForeignHistory.read(tool, from: $0) }
        } catch var error as FerryError where error.code == .migrationFailed {
            error.code = .databaseUnavailable
            error.markedMessage =
                "Cannot read the \(tool) history (\(tool.historyTableShown)): \(error.markedMessage)"
            error.changes = "Nothing was changed."
            error.advice = "Check that the table is \(tool)'s, as \(tool) writes it."
            throw error
        }
    }
}
