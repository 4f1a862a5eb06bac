import Foundation
import Logging

extension Ferry {
    /// Loads an export folder into the database.
    ///
    /// Every file is checked against the manifest (size and SHA-256) and
    /// the manifest against its digest before anything is written. Into a
    /// database without a release, the application's own migrations first
    /// make the export's release, then the rows are loaded, then the
    /// database is upgraded to this program's release (an upgrade through
    /// import). Into a database with data, a pre-import backup is taken
    /// first. The rows load in one transaction under the upgrade lock, with
    /// foreign keys checked before it commits and sequences set past the
    /// largest key: all of them or none.
    ///
    /// - Parameters:
    ///   - folder: The export folder.
    ///   - options: The mode for keys already there, and whether to only report.
    ///   - onEvent: Called for each event of the upgrades and the backup.
    /// - Returns: What was done (or would be, for a dry run).
    /// - Throws: ``FerryError``: `exportCorrupt` for a damaged or incomplete
    ///   export, `invalidExport` for one from a newer release, for a database at
    ///   another release, or a key conflict under ``ImportMode/empty``;
    ///   a failure after which the rows are not loaded.
    @discardableResult
    public func `import`(
        from folder: URL, options: ImportOptions = ImportOptions(),
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> ImportReport {
        let emit = eventEmitter(onEvent)
        return try await reportingProgress(to: onEvent, through: emit) {
            try await importRows(from: folder, options: options, onEvent: onEvent, emit: emit)
        }
    }

    /// The import, its events going to `emit`: see ``import(from:options:onEvent:)``.
    private func importRows(
        from folder: URL, options: ImportOptions,
        onEvent: (@Sendable (UpgradeEvent) -> Void)?,
        emit: @escaping @Sendable (UpgradeEvent) -> Void
    ) async throws -> ImportReport {
        let clock = ContinuousClock()
        let started = clock.now
        let manifest = try ExportFolder(url: folder).checked()
        let program = try programRelease()
        var exportRelease: Release?
        if let recorded = manifest.release {
            guard let release = Release(recorded) else {
                throw FerryError(
                    .invalidExport,
                    "The export records the release '\(recorded)', which is not a version.",
                    changes: "Nothing was changed.",
                    advice: "Import an export taken by Ferry from a database it manages.")
            }
            exportRelease = release
        }
        if let exportRelease, exportRelease > program {
            throw FerryError(
                .invalidExport,
                "The export was taken at release \(exportRelease), newer than this program's release \(program).",
                changes: "Nothing was changed.",
                advice: "Import it with release \(exportRelease) or newer of the application.")
        }
        let engine = configuration.engine
        try await rollBackInterruptedTransaction(emit: emit)
        let state = try await engine.readState()
        if state.release == nil, !state.unmanagedTables.isEmpty {
            throw FerryError(
                .unmanagedDatabase,
                "\(engine.displayName) holds tables (\(state.unmanagedTables.prefix(5).joined(separator: ", "))) but no Ferry history.",
                changes: "Nothing was changed.",
                advice:
                    "Import into an empty database, or into one that Ferry manages at release \(exportRelease?.description ?? "the export's")."
            )
        }
        // An import into an empty database commits its rows at the export's release, then
        // upgrades: a run that died between the two left this export's rows loaded, and only
        // the upgrade is left to do; one that died after both left nothing to do.
        let earlier = Self.earlierImport(of: manifest, in: state)
        let resumes =
            earlier != nil && state.release == exportRelease
            && exportRelease.map { $0 < program } == true
        // Nothing loaded: an earlier run of this import loaded every row.
        func earlierRunReport(_ earlier: String) -> ImportReport {
            ImportReport(
                folder: folder.path, mode: options.mode, dryRun: options.dryRun,
                exportRelease: manifest.release, from: state.recordedRelease,
                release: state.recordedRelease,
                tables: manifest.tables.map {
                    ImportReport.Table(
                        name: $0.table.name, references: $0.references == true, rows: $0.rowCount,
                        inserted: 0, conflicts: 0, conflictKeys: [], converted: [], refused: 0,
                        refusedValues: [], renumbered: 0, renumberedKeys: [])
                }, backup: nil, earlierRun: earlier, seconds: (clock.now - started).inSeconds)
        }
        // At the export's release the rows are looked for (some may have been deleted since);
        // past it, the earlier run upgraded the database and nothing is left to do.
        if let earlier, !resumes, state.release != exportRelease {
            return earlierRunReport(earlier)
        }
        let installs = state.release == nil
        if installs, exportRelease == nil {
            throw FerryError(
                .invalidExport,
                "The export records no release, and \(engine.displayName) has none: Ferry cannot know which migrations make its tables.",
                changes: "Nothing was changed.",
                advice: "Make the tables with the application's migrations first, then import.")
        }
        if let current = state.release, current != exportRelease {
            throw FerryError(
                .invalidExport,
                "\(engine.displayName) is at release \(current); the export was taken at \(exportRelease?.description ?? "no release"), and its rows have that release's shape.",
                changes: "Nothing was changed.",
                advice:
                    "Import into an empty database (Ferry makes the export's release, loads, then upgrades), or into one at release \(exportRelease?.description ?? "the export's")."
            )
        }
        let finalRelease = exportRelease.map { max($0, program) } ?? state.release
        let loadedEarlier = resumes ? earlier : nil

        if options.dryRun && installs {
            // The import itself, into a scratch database that the application's migrations make
            // at the export's release: every value the target would convert or refuse, as the
            // target's own columns take it, and nothing written here.
            var scratchOptions = options
            scratchOptions.dryRun = false
            scratchOptions.collectsRefusals = true
            scratchOptions.stopsAtExportRelease = true
            let scratchReport: ImportReport
            do {
                scratchReport = try await engine.withScratchDatabase(purpose: "import") {
                    scratch in
                    var scratchConfiguration = configuration
                    scratchConfiguration.engine = scratch
                    // Its upgrade is not the user's: a "completed successfully" would mislead.
                    scratchConfiguration.logger = Logger(
                        label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })
                    return try await Ferry(scratchConfiguration).import(
                        from: folder, options: scratchOptions)
                }
            } catch var error as FerryError where error.code == .constraintViolation {
                // What the scratch database refused is the dry run's answer: nothing was written.
                error.changes = Self.dryRunChanges
                throw error
            }
            return ImportReport(
                folder: folder.path, mode: options.mode, dryRun: true,
                exportRelease: manifest.release, from: state.recordedRelease,
                release: finalRelease?.description, tables: scratchReport.tables, backup: nil,
                earlierRun: nil, seconds: (clock.now - started).inSeconds)
        }

        var installing = configuration
        installing.createsDatabase = true
        let installer = Ferry(installing)
        var loads: [TableLoad]
        if installs, let exportRelease {
            // The migrations that make the export's release and the rows commit together: a
            // failure or a crash leaves the database as empty as it was.
            let loaded = Locked<[TableLoad]>([])
            let leftOut = Locked<[String]>([])
            // The database holds nothing yet (no release, no table): there is nothing to back up,
            // and a PostgreSQL database has no backup folder until one is configured.
            var install = UpgradeOptions(
                target: exportRelease, skipBackup: true, force: options.force)
            install.transactionPurpose = .importing
            install.beforeCommit = { session in
                loaded.value = try await loadTables(
                    of: manifest, from: folder, options: options, release: exportRelease,
                    backup: nil, in: session, leftOut: leftOut)
            }
            do {
                _ = try await TransactionPurpose.importing.rollingBack {
                    try await installer.upgrade(install, onEvent: onEvent)
                }
            } catch let error as FerryError where error.code == .constraintViolation {
                throw Self.told(error, leftOut: leftOut.value)
            }
            loads = loaded.value
        } else {
            loads = []
        }
        var backup: Backup?
        if !options.dryRun && !installs && loadedEarlier == nil {
            let counts = try await engine.withInspection { try await $0.rowCounts() }
            if counts.values.contains(where: { $0 > 0 }) {
                backup = try await takeBackup(
                    kind: .preImport, format: .native, state: state, upgradeTo: nil,
                    note: "before importing \(folder.path)", emit: emit)
            }
        }
        if loadedEarlier != nil {
            loads = manifest.tables.map {
                TableLoad(rows: $0.rowCount, inserted: 0, conflicts: 0, conflictKeys: [])
            }
        } else if !installs {
            do {
                loads = try await loadRows(
                    of: manifest, from: folder, options: options, expecting: state.release,
                    backup: backup?.name, loadedBefore: earlier)
            } catch let there as AllRowsThere {
                // Rolled back: nothing was inserted, and the backup is the database's twin.
                backup?.removeTwin()
                backup = nil
                if options.mode == .empty, let earlier { return earlierRunReport(earlier) }
                loads = there.loads
            } catch let error as FerryError
                where [.invalidExport, .constraintViolation, .exportCorrupt].contains(error.code)
            {
                // Refused before the commit, the load was rolled back: the backup is the
                // database's twin.
                backup?.removeTwin()
                throw error
            }
        }
        if !options.dryRun, !options.stopsAtExportRelease, let exportRelease,
            exportRelease < program
        {
            try await installer.upgrade(UpgradeOptions(force: options.force), onEvent: onEvent)
        }
        return ImportReport(
            folder: folder.path, mode: options.mode, dryRun: options.dryRun,
            exportRelease: manifest.release, from: state.recordedRelease,
            release: (options.dryRun ? finalRelease : try await engine.readState().release)?
                .description,
            tables: zip(manifest.tables, loads).map { table, load in
                ImportReport.Table(
                    name: table.table.name, references: table.references == true, rows: load.rows,
                    inserted: load.inserted,
                    conflicts: load.conflicts, conflictKeys: load.conflictKeys,
                    converted: load.converted, refused: load.refused,
                    refusedValues: load.refusedValues, renumbered: load.renumbered,
                    renumberedKeys: load.renumberedKeys)
            }, backup: backup?.name, earlierRun: loadedEarlier,
            seconds: (clock.now - started).inSeconds)
    }

    /// When the database's latest import, restore or downgrade is the load
    /// of this export (known by its digest), the time of that load.
    private static func earlierImport(of manifest: ExportManifest, in state: DatabaseState)
        -> String?
    {
        guard
            let last = state.events.last(where: {
                [.imported, .restore, .downgrade].contains($0.kind)
            }), last.kind == .imported, last.note?.hasSuffix(importMark(of: manifest)) == true
        else { return nil }
        return Timestamp.string(from: last.at)
    }

    /// The end of an import event's note, which names the export by its digest.
    private static func importMark(of manifest: ExportManifest) -> String {
        "; export digest \(manifest.digest)"
    }

    /// What a dry run's refusal changed.
    private static let dryRunChanges = "Nothing was written: this was a dry run."

    /// A dry run's loads, carried out of the transaction that it rolls back.
    private struct DryRunRollback: Error {
        let loads: [TableLoad]
    }

    /// Every row of the entities' own that the import would load is
    /// already there (under ``ImportMode/empty``, as an earlier run of the
    /// same import left them): it rolls back, so that nothing is recorded
    /// or kept for an import that changed nothing, and says so.
    struct AllRowsThere: Error {
        /// What each table's load found.
        let loads: [TableLoad]
    }

    /// Loads every table in one transaction under the upgrade lock; a dry
    /// run loads them too, then rolls back, so that its conflicts are the
    /// database's own answer.
    private func loadRows(
        of manifest: ExportManifest, from folder: URL, options: ImportOptions,
        expecting release: Release?, backup: String?, loadedBefore: String?
    ) async throws -> [TableLoad] {
        let engine = configuration.engine
        do {
            return try await TransactionPurpose.importing.rollingBack {
                try await engine.withUpgradeLock(
                    holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
                ) {
                    try await engine.withSession { session in
                        // Another upgrader may have changed the release since it was read without the lock.
                        let current = try await session.readState().release
                        guard current == release else {
                            throw FerryError(
                                .invalidExport,
                                "\(engine.displayName) is now at release \(current?.description ?? "none"), no longer \(release?.description ?? "none"): it changed while the import started.",
                                changes: "Nothing was changed by the load.",
                                advice: "Run the import again.")
                        }
                        let leftOut = Locked<[String]>([])
                        do {
                            return try await session.inTransaction(for: .importing) {
                                let loads = try await loadTables(
                                    of: manifest, from: folder, options: options,
                                    release: release, backup: backup, in: session,
                                    leftOut: leftOut, loadedBefore: loadedBefore)
                                if !options.dryRun, loads.contains(where: { $0.rows > 0 }),
                                    loads.allSatisfy({ $0.inserted == 0 })
                                {
                                    throw AllRowsThere(loads: loads)
                                }
                                if options.dryRun {
                                    // The commit's own check, which a dry run never reaches.
                                    let violations = try await session.foreignKeyViolations()
                                    guard violations.isEmpty else {
                                        throw TransactionPurpose.importing.foreignKeyRefusal(
                                            violations, check: "its foreign key check",
                                            changes: Self.dryRunChanges)
                                    }
                                    throw DryRunRollback(loads: loads)
                                }
                                return loads
                            }
                        } catch var error as FerryError where error.code == .constraintViolation {
                            // An engine that checks each row as it goes refuses a dry run's load too.
                            if options.dryRun { error.changes = Self.dryRunChanges }
                            throw Self.told(error, leftOut: leftOut.value)
                        }
                    }
                }
            }
        } catch let dryRun as DryRunRollback {
            return dryRun.loads
        }
    }

    /// Loads every table of the export in the session's open transaction
    /// (the import's own, or the end of the upgrade that makes the export's
    /// release in a new database), and records the import in the history.
    ///
    /// - Parameters:
    ///   - leftOut: Where the rows this import leaves out are noted
    ///     (conflicts, and values a dry run found the target would refuse),
    ///     for a refusal of rows that reference them.
    ///   - loadedBefore: When the history says an earlier run loaded this
    ///     export, its time: under ``ImportMode/empty``, keys already held
    ///     are then refused only when some rows are not there, and
    ///     ``AllRowsThere`` is thrown when none is missing.
    func loadTables(
        of manifest: ExportManifest, from folder: URL, options: ImportOptions,
        release: Release?, backup: String?, in session: any MigrationSession,
        leftOut: Locked<[String]> = Locked([]), loadedBefore: String? = nil
    ) async throws -> [TableLoad] {
        let engine = configuration.engine
        guard let importing = session as? any ImportingSession else {
            throw FerryError(
                .unsupportedByEngine,
                "The \(engine.engineName) engine cannot import an export yet.",
                changes: "Nothing was changed.")
        }
        let present = try await importing.exportTables()
        try Self.checkTables(of: manifest, against: present, in: engine.displayName)
        for rule in configuration.importConversions
        where !manifest.tables.contains(where: {
            $0.table.name == rule.table && $0.table.columns.contains { $0.name == rule.column }
        }) {
            configuration.logger.warning(
                "[[import.convert]] names \(rule.table).\(rule.column), which no table of this export has: it converts nothing. Check its spelling (table.column)."
            )
        }
        var loads: [TableLoad] = []
        // The rows of the entities' own inserted so far, and the first refusal of keys already
        // held that waits to learn whether every row is there (see `loadedBefore`).
        var ownInserted = 0
        var ownConflicts = 0
        var firstRefusal: FerryError?
        // Under another owner, two exported rows may come to share a key (a name unique per room).
        let alsoHeldBy =
            options.into.map {
                ", from before this import or from another of its rows put under \($0)"
            }
            ?? ""
        let crossesEngines = manifest.engine != engine.engineName
        let targets = Dictionary(
            present.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var renumbering = options.into.map(KeyRenumbering.init(into:))
        try await renumbering?.check(
            manifest, against: present, in: engine.displayName, session: importing)
        for table in manifest.tables {
            if let into = options.into, table.references == true, table.table.name == into.table {
                // The new owner is the target's row: the exported one is not loaded.
                loads.append(
                    TableLoad(rows: table.rowCount, inserted: 0, conflicts: 0, conflictKeys: []))
                continue
            }
            try await renumbering?.plan(
                table, from: folder, compressed: manifest.compressed, session: importing)
            let source = try ExportRowSource(
                folder: folder, files: table.files,
                types: table.table.columns.map(\.logicalType), compressed: manifest.compressed)
            // `checkTables` refused an export with a table that is not here.
            let present = targets[table.table.name]!
            source.conversion = TableConversion(
                from: table.table, to: present, crossesEngines: crossesEngines,
                rules: configuration.importConversions, limits: importing.importLimits)
            source.collectsRefusals = options.collectsRefusals || options.dryRun
            source.rewrite = renumbering?.rewrite(for: table.table)
            let progress = ProgressReporter(
                "import \(table.table.name)", unit: .rows, total: Int64(table.rowCount),
                checkingClockEvery: 256)
            defer { progress.finish() }
            source.progress = progress
            // A merge tells rows apart by their keys: a table without a primary key that holds
            // rows already is told of, since an exported row identical to one of them doubles.
            let heldBefore =
                present.primaryKey.isEmpty && options.mode != .empty && table.rowCount > 0
                ? try await importing.integers(
                    "SELECT count(*) FROM \(SQLIdentifier.quoted(present.name))"
                ).first ?? 0 : 0
            var load = try await importing.load(table.table, into: present, from: source)
            if heldBefore > 0, load.inserted > 0 {
                configuration.logger.warning(
                    "\(present.name) has no primary key: its \(load.inserted) exported row\(load.inserted == 1 ? " was" : "s were") added beside the \(heldBefore) it held, and any of them identical to a row it held is now there twice (a merge tells rows apart by their keys). Check it, or give the table a primary key."
                )
            }
            guard source.rowsRead == table.rowCount else {
                throw FerryError.exportCorrupt(
                    "\(table.table.name) has \(source.rowsRead) rows in its files; the manifest says \(table.rowCount)."
                )
            }
            load.rows = source.rowsRead
            // A row left out for a refused value is no conflict.
            load.conflicts = source.rowsRead - source.refused - load.inserted
            load.converted = source.conversion?.converted ?? []
            load.refused = source.refused
            load.refusedValues = source.refusals
            let mapping = renumbering?.mappings[table.table.name] ?? [:]
            load.renumbered = mapping.count
            load.renumberedKeys = mapping.sorted { $0.key < $1.key }.prefix(TableLoad.keysListed)
                .map { "\($0.key) → \($0.value)" }
            // The rows an exported entity references are the target's to keep: one already there
            // is no conflict, whatever the mode.
            let references = table.references == true
            // Named for a refusal of rows without their parents: a reference held under another
            // unique key (an email) is not there under its own, and rows pointing at it fail.
            if load.conflicts > 0 {
                leftOut.value.append(
                    "\(load.conflicts) \(references ? "reference " : "")row\(load.conflicts == 1 ? "" : "s") of \(table.table.name) whose key the database already holds"
                        + Self.listed(load.conflictKeys, of: load.conflicts) + alsoHeldBy)
            }
            if load.refused > 0 {
                // A dry run leaves a row with a refused value out, and goes on.
                leftOut.value.append(
                    "\(load.refused) row\(load.refused == 1 ? "" : "s") of \(table.table.name) with a value the target would refuse"
                        + Self.listed(load.refusedValues, of: load.refused))
            }
            // A dry run reports the conflicts instead (the tool then says the import would be refused).
            if options.mode == .empty && load.conflicts > 0 && !options.dryRun && !references {
                let refusal = FerryError(
                    .invalidExport,
                    "\(load.conflicts) row\(load.conflicts == 1 ? "" : "s") of \(table.table.name) \(load.conflicts == 1 ? "has" : "have") a key that \(engine.displayName) already holds"
                        + Self.listed(load.conflictKeys, of: load.conflicts) + alsoHeldBy + ".",
                    changes: "Nothing was changed: the import was rolled back.",
                    advice:
                        "Import into an empty database, or choose \(.importMode, .given("merge", swift: ".merge")) (insert new rows, report conflicts) or \(.importMode, .given("skip", swift: ".skip")) (keep existing rows)."
                )
                // After an earlier run of this import, rows all there so far may be all there.
                guard loadedBefore != nil, load.inserted == 0, ownInserted == 0 else {
                    throw firstRefusal ?? refusal
                }
                firstRefusal = firstRefusal ?? refusal
            }
            if !references {
                ownInserted += load.inserted
                ownConflicts += load.conflicts
            }
            if let firstRefusal, ownInserted > 0 { throw firstRefusal }
            try await importing.advanceSequences(of: table.table)
            loads.append(load)
        }
        // Every row there, none new, as the earlier run left them (a dry run says it too).
        if loadedBefore != nil, options.mode == .empty, ownInserted == 0, ownConflicts > 0 {
            throw AllRowsThere(loads: loads)
        }
        let rows = loads.reduce(0) { $0 + $1.inserted }
        let recorded = release.map { RecordedRelease.release($0) }
        try await session.recordEvent(
            HistoryEvent(
                kind: .imported, at: Date(), fromRelease: recorded, toRelease: recorded,
                backup: backup,
                note:
                    "\(rows) rows from \(folder.path) (mode \(options.mode.rawValue)), exported from \(manifest.engine) at \(manifest.createdAt)"
                    + Self.importMark(of: manifest)
            ))
        CrashPoint.reach("import.beforeCommit")
        return loads
    }

    /// The first conflicting keys of a table's rows, as they follow its
    /// count in a message: ` (id=3; id=4; …)`, or nothing when none is known.
    private static func listed(_ keys: [String], of count: Int) -> String {
        guard !keys.isEmpty else { return "" }
        return " (" + keys.prefix(10).joined(separator: "; ") + (count > 10 ? "; …" : "") + ")"
    }

    /// A refusal of rows whose references fail, told which rows the import
    /// left out (their parents, perhaps: conflicts, or rows a dry run found
    /// a refused value in) and what to do then.
    private static func told(_ error: FerryError, leftOut: [String]) -> FerryError {
        guard !leftOut.isEmpty else { return error }
        var error = error
        error.markedMessage += "\nLeft out by this import: " + leftOut.joined(separator: "; ") + "."
        error.advice =
            "Rows that reference rows this import leaves out have no parent here: fix what left those out (a value the target refuses, in the source; a key the database holds, by deleting or changing its row, or import into an empty database), then import again."
        return error
    }

    /// Refuses, before anything is written, a table or column of the export
    /// that the database does not have.
    private static func checkTables(
        of manifest: ExportManifest, against present: [ExportTable], in database: String
    ) throws {
        let byName = Dictionary(
            present.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for table in manifest.tables {
            guard let target = byName[table.table.name] else {
                throw FerryError(
                    .invalidExport,
                    "\(database) has no table \(table.table.name), which the export holds.",
                    changes: "Nothing was changed.",
                    advice: "Import into a database of the same application and release.")
            }
            let columns = Set(target.columns.map(\.name))
            if let missing = table.table.columns.first(where: { !columns.contains($0.name) }) {
                throw FerryError(
                    .invalidExport,
                    "\(database) has no column \(table.table.name).\(missing.name), which the export holds.",
                    changes: "Nothing was changed.",
                    advice: "Import into a database of the same application and release.")
            }
        }
    }
}
