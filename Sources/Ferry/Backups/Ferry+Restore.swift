import Foundation

/// Which backup to restore.
public enum BackupSelection: Sendable, Equatable {
    /// The backup with this name.
    case named(String)
    /// The newest backup of the kinds a person means: pre-upgrade or manual.
    /// Pre-restore and pre-downgrade backups hold the database as it was
    /// just before a restore or a downgrade: picking one would undo it.
    case latest
    /// The newest backup taken before an upgrade to this release.
    case beforeUpgrade(to: Release)
}

extension BackupSelection {
    /// The kinds ``latest`` picks from.
    public static let latestKinds: Set<BackupKind> = [.preUpgrade, .manual]
}

/// What a restore will do, shown before it asks for confirmation.
public struct RestorePreview: Sendable {
    /// The backup to restore.
    public let backup: Backup
    /// The live database's recorded release now.
    public let currentRelease: String?
    /// The writes that the restore would undo: everything since the backup was made.
    public var lostSince: Date { backup.manifest.created }
}

/// What a restore did.
public struct RestoreReport: Sendable, Encodable {
    /// The backup restored.
    public let restored: String
    /// Its kind.
    public let kind: BackupKind
    /// When it was made.
    public let made: Date
    /// The release the database is at now.
    public let release: String?
    /// The release it was at before.
    public let previousRelease: String?
    /// The backup of the database as it was before the restore.
    public let preRestoreBackup: String?

    // A backup is named under `backup` or a key ending in `Backup` in every JSON Ferry writes (docs/JSON.md).
    private enum CodingKeys: String, CodingKey {
        case restored = "restoredBackup"
        case kind, made, release, previousRelease, preRestoreBackup
    }
}

extension Ferry {
    /// Finds the backup a selection means.
    ///
    /// - Throws: ``FerryError`` (code `backupNotFound`) when none matches.
    public func findBackup(_ selection: BackupSelection) throws -> Backup {
        let catalog = try backupCatalog()
        let listing = try catalog.listing()
        let backups = listing.backups
        switch selection {
        case .named(let name):
            return try catalog.backup(named: name)
        case .latest:
            let meant = BackupSelection.latestKinds
            let newest = backups.first { meant.contains($0.manifest.kind) }
            try refuseUnusable(
                newerThan: newest, kinds: meant, in: listing, selection: "\(.latestBackup)")
            guard let newest else {
                let others =
                    backups.isEmpty
                    ? ""
                    : " It holds only "
                        + Set(backups.map(\.manifest.kind.rawValue)).sorted().joined(
                            separator: " and ")
                        + " backups, which \(.latestBackup) never picks: each holds the database as it was just before a "
                        + "restore or downgrade."
                throw FerryError(
                    .backupNotFound,
                    "The backup catalog \(catalog.folder.path) holds no pre-upgrade or manual backup.\(others)",
                    changes: "Nothing was changed.",
                    advice: backups.isEmpty
                        ? "Make one with \(run: .backup), or pass \(.backups, .placeholder) if the backups are elsewhere."
                        : "Restore one by name: \(run: .backups) lists them.")
            }
            return newest
        case .beforeUpgrade(let release):
            let found = backups.first {
                $0.manifest.kind == .preUpgrade
                    && $0.manifest.upgradeTo.flatMap(Release.init) == release
            }
            try refuseUnusable(
                newerThan: found, kinds: [.preUpgrade], in: listing,
                selection: "\(.backupBeforeUpgrade, .given("\(release)"))")
            guard let found else {
                throw FerryError(
                    .backupNotFound,
                    "No backup was taken before an upgrade to \(release) in \(catalog.folder.path).",
                    changes: "Nothing was changed.", advice: "Run \(run: .backups) to list them.")
            }
            return found
        }
    }

    /// Refuses a selection that an unusable entry might have won: one that
    /// may be of `kinds` (its kind could not be read, or is one of them) and
    /// is at least as new as `found`. A damaged manifest must never make a
    /// restore pass over it to an older backup, silently.
    ///
    /// - Throws: ``FerryError`` (code `backupCorrupt`, exit 3) naming the entry.
    func refuseUnusable(
        newerThan found: Backup?, kinds: Set<BackupKind>, in listing: BackupCatalog.Listing,
        selection: String
    ) throws {
        guard let unusable = listing.unusable.first(where: { $0.kind.map(kinds.contains) ?? true }),
            found.map({ unusable.created >= $0.manifest.created }) ?? true
        else { return }
        throw FerryError(
            .backupCorrupt,
            "The newest entry of the catalog that \(selection) could pick, \(unusable.name), cannot be restored: "
                + "\(unusable.reason). \(selection) does not pass over it to restore an older backup.",
            changes: "Nothing was changed.",
            advice: "Restore a backup by name (\(run: .backups) lists them), or repair or remove "
                + "\(unusable.manifestFile.path).")
    }

    /// Describes what restoring a backup would do, changing nothing.
    public func restorePreview(_ selection: BackupSelection) async throws -> RestorePreview {
        let backup = try findBackup(selection)
        try await rollBackInterruptedTransaction(emit: eventEmitter(nil))
        let state = try await configuration.engine.readState()
        return RestorePreview(backup: backup, currentRelease: state.recordedRelease)
    }

    /// Restores a backup into the live database.
    ///
    /// Before touching the live database it checks the backup's SHA-256
    /// against its manifest (while it opens the backup), opens it read-only
    /// (an SQL dump: loads it into a new file) and checks it (as thoroughly
    /// as `[backups] check` says: ``BackupCheckLevel``), and refuses a backup
    /// made by a newer release than this program. Then, holding the upgrade
    /// lock, it backs up the current database (`pre-restore`), replaces the
    /// live database's content atomically, and checks its integrity (the
    /// full check, or the quick one at level `quick`); if any of that fails,
    /// it puts the pre-restore copy back.
    ///
    /// - Throws: ``FerryError``: a refusal (nothing changed), or
    ///   `restoreFailed` after the live database was put back.
    @discardableResult
    public func restore(_ backup: Backup, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil)
        async throws -> RestoreReport
    {
        let emit = eventEmitter(onEvent)
        let engine = configuration.engine
        guard FileManager.default.isReadableFile(atPath: backup.file.path) else {
            // A backup that cannot be read is a refusal, like a damaged one: nothing was touched yet.
            throw Self.unreadable(backup)
        }
        // The file is compared with its manifest while the engine opens (and loads) it; nothing
        // replaces the live database before it matched.
        let checksum = Task.detached { try await blocking { try Self.matchChecksum(of: backup) } }
        // Without a migrations folder or a configured release, this program's release is unknown.
        let programRelease = try? programRelease(in: try catalog())
        if programRelease == nil {
            configuration.logger.warning(
                "This program's release is unknown (no migrations folder, no [app] release): the backup's release is not checked against it."
            )
        }
        return try await reportingProgress(to: onEvent, through: emit) {
            try await engine.withUpgradeLock(
                holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
            ) {
                try await rollBackInterruptedTransaction(emit: emit)
                return try await restoreHoldingLock(
                    backup, programRelease: programRelease, checksum: checksum, emit: emit)
            }
        }
    }

    /// Refuses a backup whose file differs from its manifest's SHA-256, or
    /// cannot be read whole.
    private static func matchChecksum(of backup: Backup) throws {
        let checksum: String
        do {
            checksum = try FileSafety.sha256(of: backup.file)
        } catch {
            throw unreadable(backup)
        }
        guard checksum == backup.manifest.sha256 else {
            throw FerryError(
                .backupCorrupt,
                "The backup \(backup.name) does not match its manifest: its SHA-256 is \(checksum), the manifest says \(backup.manifest.sha256).",
                changes: "Nothing was changed.",
                advice: "The file was damaged or replaced: use another backup (\(run: .backups)).")
        }
    }

    /// The refusal of a backup whose file is missing or cannot be read.
    private static func unreadable(_ backup: Backup) -> FerryError {
        let reason =
            FileManager.default.fileExists(atPath: backup.file.path)
            ? "its file \(backup.file.path) cannot be read"
            : "its file \(backup.file.path) is missing"
        return FerryError(
            .backupCorrupt, "The backup \(backup.name) cannot be restored: \(reason).",
            changes: "Nothing was changed.",
            advice:
                "Use another backup (\(run: .backups) lists them), or put the file back; remove "
                + "\(backup.manifestFile.lastPathComponent) if it is gone for good.")
    }

    /// Restores a backup, while the caller holds the upgrade lock: see
    /// ``restore(_:onEvent:)``. `checksum`, the comparison of the file with
    /// its manifest, ends before anything replaces the live database, and
    /// is what a failure to open the backup reports when it fails too; nil
    /// when the caller wrote the backup itself.
    func restoreHoldingLock(
        _ backup: Backup, programRelease: Release?, checksum: Task<Void, any Error>? = nil,
        emit: @escaping @Sendable (UpgradeEvent) -> Void
    ) async throws -> RestoreReport {
        var attempt = 1
        while true {
            do {
                return try await replaceLiveDatabase(
                    with: backup, programRelease: programRelease, checksum: checksum, emit: emit)
            } catch let error as FerryError
                where error.code == .writeDuringRestore && attempt < Self.restoreAttempts
            {
                // Nothing was changed, and the pre-restore backup that missed the write is gone:
                // the next attempt backs the database up again, write included.
                configuration.logger.warning(
                    "The application wrote to the database in the instant the restore switched from backing it up to copying the backup in: nothing was changed. Trying again with a new pre-restore backup (attempt \(attempt + 1) of \(Self.restoreAttempts))."
                )
                attempt += 1
            } catch {
                // A damaged file may fail to load before its checksum is known: the checksum says why.
                try await checksum?.value
                throw error
            }
        }
    }

    /// How many times a restore starts again when the application commits a
    /// write in the instant the restore lets go of the live database.
    static let restoreAttempts = 3

    /// ``restoreHoldingLock(_:programRelease:checksum:emit:)`` without its
    /// report of a checksum that differs.
    private func replaceLiveDatabase(
        with backup: Backup, programRelease: Release?, checksum: Task<Void, any Error>?,
        emit: @escaping @Sendable (UpgradeEvent) -> Void
    ) async throws -> RestoreReport {
        let engine = configuration.engine
        let level = configuration.backupCheck
        // An engine whose restore loads the backup whole checks it in that load, before it commits.
        let opening: BackupCheckLevel = engine.checksBackupWhileRestoring ? .quick : level
        try engine.checkRestoreScope(ofBackupFrom: backup.manifest.database)
        return try await engine.withBackup(
            at: backup.file, format: backup.manifest.format, level: opening
        ) { copy in
            try await checksum?.value
            let programRelease = programRelease
            @Sendable func refuseNewer(_ release: Release?) throws {
                if let release, let programRelease, release > programRelease {
                    throw FerryError(
                        .databaseIsNewer,
                        "The backup \(backup.name) holds a database at release \(release), newer than this program (\(programRelease)).",
                        changes: "Nothing was changed.",
                        advice: "Restore it with release \(release) or newer of the application.")
                }
            }
            @Sendable func refuseMissingRows(_ counted: [String: Int]?) throws {
                if let counted, let listed = backup.manifest.rowCounts, counted != listed {
                    throw FerryError(
                        .backupCorrupt,
                        "The backup \(backup.name) does not hold the rows its manifest lists.",
                        changes: "Nothing was changed.", advice: "Use another backup.")
                }
            }
            try refuseNewer(
                copy.check.state.release ?? backup.manifest.release.flatMap { Release($0) })
            try refuseMissingRows(copy.check.rowCounts)
            let current = try await engine.readState()
            // Written by the engine once the application's writes are kept out, so none is lost
            // between; checked while the engine loads the backup, and in the catalog before the
            // engine commits (`accept`).
            let checking = Locked<Task<Backup, any Error>?>(nil)
            let kept = Locked<Backup?>(nil)
            let keepFailure = Locked<FerryError?>(nil)
            let ferry = self
            @Sendable func awaitKept() async throws {
                guard let task = checking.value, kept.value == nil else { return }
                do {
                    kept.value = try await task.value
                } catch let error as FerryError {
                    keepFailure.value = error
                    throw error
                }
            }
            // The release loaded, as the engine's load reports it.
            let loaded = Locked(copy.check.state.recordedRelease)
            let replacement: LiveReplacement
            do {
                replacement = try await copy.replaceLiveDatabase(
                    keepingCurrent: {
                        if current.exists {
                            let written: WrittenBackup
                            do {
                                written = try await ferry.writeBackup(
                                    kind: .preRestore, format: .native, state: current,
                                    upgradeTo: nil,
                                    note: "before restoring \(backup.name)", emit: emit)
                            } catch let error as FerryError {
                                keepFailure.value = error
                                throw error
                            }
                            // Its check (a load of its own, for PostgreSQL) shares the machine with
                            // the restore's load, and reports its progress beside the restore's.
                            checking.value = Task {
                                try await ferry.placeChecked(written, emit: emit)
                            }
                        }
                        emit(.restoreStarted(backup: backup.name))
                    },
                    accepting: { check in
                        try await awaitKept()
                        if kept.value != nil { CrashPoint.reach("restore.pre-restore-kept") }
                        try refuseNewer(check.state.release)
                        try refuseMissingRows(check.rowCounts)
                        if let release = check.state.recordedRelease { loaded.value = release }
                    })
            } catch var error as FerryError {
                // The pre-restore backup's check ends first: a failure of the load does not leave
                // it unfinished.
                try? await awaitKept()
                // The pre-restore backup failed: it says so itself, and nothing was changed.
                if let failure = keepFailure.value { throw failure }
                let preRestore = kept.value
                if error.code == .backupCorrupt || error.code == .databaseIsNewer {
                    // Refused before the live database was touched: the pre-restore backup is its twin.
                    preRestore?.removeTwin()
                    error.changes = "Nothing was changed."
                    throw error
                }
                error.markedMessage = "The restore failed: \(error.markedMessage)"
                throw await settleFailedReplacement(
                    error, preRestore: preRestore, before: current, emit: emit)
            } catch {
                // Not one of Ferry's (a cancellation): the pre-restore backup's check still ends first.
                try? await awaitKept()
                throw error
            }
            let preRestore = kept.value
            CrashPoint.reach("restore.replaced")
            // A copy that itself became the live database had its check where it was loaded.
            if replacement == .copied {
                do {
                    let problems = try await engine.integrityProblems(thorough: level.isThorough)
                    guard problems.isEmpty else {
                        throw FerryError(
                            .restoreFailed,
                            "The restored database fails its integrity check: \(problems.prefix(3).joined(separator: "; "))."
                        )
                    }
                } catch {
                    throw await putBack(preRestore, after: error)
                }
            }
            // Written into the restored database, after the restore: an event written before would be
            // replaced with the rest. The data is restored already, so a failure here is only logged.
            let event = HistoryEvent(
                kind: .restore, at: Date(),
                fromRelease: current.recordedRelease.map { RecordedRelease($0) },
                toRelease: loaded.value.map { RecordedRelease($0) },
                backup: backup.name, note: preRestore.map { "the database before is in \($0.name)" }
            )
            do {
                try await engine.withSession { session in
                    try await session.inTransaction(for: .bookkeeping) {
                        try await session.recordEvent(event)
                    }
                }
            } catch {
                // Not "try again": a second restore would drop what was written since this one.
                configuration.logger.warning(
                    "The restore of \(backup.name) is done, but it could not be recorded in the history (ferry_events): \((error as? FerryError)?.message ?? "\(error)") 'ferry history' will not list it; the database holds the backup's data, so do not restore again for this."
                )
            }
            if let preRestore { try? applyRetention(protecting: [preRestore.name], emit: emit) }
            return RestoreReport(
                restored: backup.name, kind: backup.manifest.kind, made: backup.manifest.created,
                release: loaded.value,
                previousRelease: current.recordedRelease, preRestoreBackup: preRestore?.name)
        }
    }

    /// After the live database's replacement failed part-way (a full disk,
    /// an I/O error): the engine's rollback should have left it as it was,
    /// but that is proven before it is said. An unfinished transaction is
    /// rolled back first (a full disk can leave SQLite's hot journal), then
    /// the live database must pass the full integrity check at the release
    /// it had; only then is the pre-restore backup, its twin, removed.
    /// Otherwise the pre-restore backup is put back, and kept.
    private func settleFailedReplacement(
        _ failure: FerryError, preRestore: Backup?, before: DatabaseState,
        emit: @escaping @Sendable (UpgradeEvent) -> Void
    ) async -> FerryError {
        let engine = configuration.engine
        var proof: String?
        do {
            try await rollBackInterruptedTransaction(emit: emit)
            let problems = try await engine.integrityProblems(thorough: true)
            let after = try await engine.readState()
            if problems.isEmpty, after.recordedRelease == before.recordedRelease,
                after.applied.count == before.applied.count
            {
                proof =
                    "the live database passed its integrity check at "
                    + (after.recordedRelease.map { "release \($0)" } ?? "no recorded release")
                    + ", as before"
            }
        } catch {
            configuration.logger.warning(
                "After the failed restore, the live database could not be checked: \(error)")
        }
        guard let proof else { return await putBack(preRestore, after: failure) }
        var failure = failure
        preRestore?.removeTwin()
        failure.changes = "Nothing was changed: the copy was rolled back, and \(proof)."
        return failure
    }

    /// Puts the pre-restore copy back after a failed restore, and describes both.
    private func putBack(_ preRestore: Backup?, after error: any Error) async -> FerryError {
        var failure =
            (error as? FerryError) ?? FerryError(.restoreFailed, "The restore failed: \(error)")
        if !failure.message.hasPrefix("The restore failed") {
            failure.markedMessage = "The restore failed: \(failure.markedMessage)"
        }
        guard let preRestore else {
            failure.changes = "There was no database before the restore."
            return failure
        }
        do {
            // Made and checked moments ago: opening it is check enough.
            _ = try await configuration.engine.withBackup(
                at: preRestore.file, format: .native, level: .quick
            ) {
                try await $0.replaceLiveDatabase()
            }
            failure.changes =
                "The live database was put back as it was before from \(preRestore.name), which is kept in the catalog."
        } catch {
            failure.changes =
                "The live database may hold part of the backup: putting it back failed too (\(error)). "
                + "The copy made before the restore is kept: \(preRestore.file.path)."
            failure.advice =
                "Stop the application and run \(run: .restore(preRestore.name))."
        }
        return failure
    }
}
