import Foundation
import Logging

extension Ferry {
    /// The backup catalog: the configured folder, or the engine's default
    /// (for SQLite: `backups` beside the database file).
    ///
    /// - Throws: ``FerryError`` when neither is known.
    public func backupCatalog() throws -> BackupCatalog {
        guard
            let folder = configuration.backupsDirectory ?? configuration.engine.defaultBackupsFolder
        else {
            throw FerryError(
                .invalidConfiguration,
                "No backup folder is configured for \(configuration.engine.displayName).",
                advice:
                    "Pass \(.backups, .placeholder), set FERRY_BACKUPS, or set [backups] directory in ferry.toml."
            )
        }
        return BackupCatalog(folder: folder, engineName: configuration.engine.engineName)
    }

    /// The backups in the catalog, newest first.
    public func backups() throws -> [Backup] {
        try backupCatalog().list()
    }

    /// Makes a backup by hand, checks it, and applies retention.
    ///
    /// - Parameters:
    ///   - format: The engine's native copy, or an SQL dump.
    ///   - note: A note kept in the manifest.
    ///   - onEvent: Called for each event as it happens.
    /// - Returns: The new backup.
    /// - Throws: ``FerryError`` when there is no database, not enough space,
    ///   or the copy fails its check; nothing is left in the catalog then.
    @discardableResult
    public func backup(
        format: BackupFormat = .native, note: String? = nil,
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> Backup {
        let emit = eventEmitter(onEvent)
        return try await reportingProgress(to: onEvent, through: emit) {
            try await rollBackInterruptedTransaction(emit: emit)
            let state = try await configuration.engine.readState()
            guard state.exists else {
                throw FerryError(
                    .databaseUnavailable,
                    "There is no database at \(configuration.engine.displayName) to back up.",
                    changes: "Nothing was changed.", advice: "Check \(.database).")
            }
            let backup = try await takeBackup(
                kind: .manual, format: format, state: state, upgradeTo: nil, note: note,
                emit: emit)
            try applyRetention(protecting: [backup.name], emit: emit)
            return backup
        }
    }

    /// Writes, checks and catalogs a backup of the live database.
    func takeBackup(
        kind: BackupKind, format: BackupFormat, state: DatabaseState, upgradeTo: Release?,
        note: String?,
        emit: @Sendable (UpgradeEvent) -> Void
    ) async throws -> Backup {
        let written = try await writeBackup(
            kind: kind, format: format, state: state, upgradeTo: upgradeTo, note: note, emit: emit)
        return try await placeChecked(written, emit: emit)
    }

    /// A backup written into a work folder of the catalog: not yet in the
    /// catalog, and checked only when the engine checked it as it wrote it.
    /// ``Ferry/placeChecked(_:emit:)`` finishes it.
    struct WrittenBackup: Sendable {
        let catalog: BackupCatalog
        /// Removed once the backup is placed or has failed.
        let work: WorkFolder
        let file: URL
        let name: String
        let fileExtension: String
        let kind: BackupKind
        let format: BackupFormat
        let state: DatabaseState
        let upgradeTo: Release?
        let note: String?
        let created: Date
        let started: ContinuousClock.Instant
        /// The live database's change fingerprint, read before the copy.
        let liveFingerprint: String?
        /// How far the engine went as it wrote the file.
        let outcome: Outcome

        /// What the engine did besides writing the file.
        enum Outcome: Sendable {
            /// Checked it as it wrote it, and computed its checksum.
            case checked(sha256: String, check: BackupCheck)
            /// Computed its checksum as it wrote it.
            case hashed(sha256: String)
            /// Nothing: the file is to be hashed and checked.
            case written
        }
    }

    /// Writes a backup of the live database into a work folder of the
    /// catalog (checking it on the way where the engine can): the moment
    /// it holds is taken when this returns.
    ///
    /// - Throws: ``FerryError`` when there is no room or the copy fails;
    ///   nothing is left in the catalog then.
    func writeBackup(
        kind: BackupKind, format: BackupFormat, state: DatabaseState, upgradeTo: Release?,
        note: String?,
        emit: @Sendable (UpgradeEvent) -> Void
    ) async throws -> WrittenBackup {
        let engine = configuration.engine
        guard engine.canMakeBackups else { throw FerryError.backupsUnsupported }
        let catalog = try backupCatalog()
        try FileSafety.createPrivateFolder(catalog.folder)
        let needed = try await engine.backupSpaceNeeded(for: format)
        if let free = FileSafety.freeSpace(at: catalog.folder), free < needed {
            throw FerryError(
                .insufficientSpace,
                "The backup needs about \(FileSafety.formatBytes(needed)) but only \(FileSafety.formatBytes(free)) are free in \(catalog.folder.path).",
                changes: "Nothing was changed.",
                advice:
                    "Free at least \(FileSafety.formatBytes(needed - free)) there, or choose another folder with \(.backups)."
            )
        }
        // Read before the copy starts, so that a change committed meanwhile can only make it differ later.
        let fingerprint = await engine.changeFingerprint()
        let created = Date()
        let fileExtension = engine.backupFileExtension(for: format)
        let name = catalog.newName(
            app: configuration.appName, kind: kind, release: state.recordedRelease,
            upgradeTo: upgradeTo?.description,
            at: created, fileExtension: fileExtension)
        // Written in a work folder inside the catalog (one file system, so it is linked into place):
        // a killed run's copy is removed by the next run that makes one.
        catalog.removeUnfinishedPlacements()
        let work = try WorkFolder.make("backup", in: catalog.folder)
        let temporary = work.url.appendingPathComponent(name + "." + fileExtension)
        emit(.backupStarted(kind: kind, file: temporary.lastPathComponent))
        let started = ContinuousClock.now
        do {
            // Checked while it is written where the engine can; otherwise written, then checked.
            let outcome: WrittenBackup.Outcome
            if let checked = try await engine.writeBackupCheckingAlongside(
                to: temporary, format: format, level: configuration.backupCheck)
            {
                outcome = .checked(sha256: checked.sha256, check: checked.check)
            } else {
                outcome =
                    try await engine.writeBackup(to: temporary, format: format)
                    .map { .hashed(sha256: $0) } ?? .written
            }
            CrashPoint.reach("backup.written")
            FileSafety.makePrivate(temporary)
            return WrittenBackup(
                catalog: catalog, work: work, file: temporary, name: name,
                fileExtension: fileExtension, kind: kind, format: format, state: state,
                upgradeTo: upgradeTo, note: note, created: created, started: started,
                liveFingerprint: fingerprint, outcome: outcome)
        } catch {
            work.remove()
            throw backupFailure(error, kind: kind)
        }
    }

    /// Checks a written backup (unless the engine checked it as it wrote
    /// it), writes its manifest and puts it in the catalog, where it then
    /// exists; its work folder is removed whatever happens.
    ///
    /// - Throws: ``FerryError`` when the backup fails its check; nothing is
    ///   left in the catalog then.
    func placeChecked(_ written: WrittenBackup, emit: @Sendable (UpgradeEvent) -> Void)
        async throws -> Backup
    {
        let engine = configuration.engine
        let temporary = written.file
        defer { written.work.remove() }
        do {
            let level = configuration.backupCheck
            let sha256: String
            let check: BackupCheck
            switch written.outcome {
            case .checked(let known, let checked):
                try await blocking { try FileSafety.sync(temporary) }
                (sha256, check) = (known, checked)
            case .hashed(let known):
                // The disk takes the copy while the check reads it from the system's cache: the
                // manifest, written once both are done, is what makes the backup exist.
                check = try await whileBlocking(alongside: { try FileSafety.sync(temporary) }) {
                    try await engine.checkNewBackup(
                        at: temporary, format: written.format, level: level)
                }
                sha256 = known
            case .written:
                sha256 = try await FileSafety.syncAndHash(temporary)
                check = try await engine.checkNewBackup(
                    at: temporary, format: written.format, level: level)
            }
            CrashPoint.reach("backup.checked")
            let manifest = BackupManifest(
                formatVersion: BackupManifest.currentFormatVersion,
                producer: "ferry \(Ferry.version)",
                app: configuration.appName, kind: written.kind, format: written.format,
                engine: engine.engineName,
                database: engine.displayName, release: written.state.recordedRelease,
                upgradeTo: written.upgradeTo?.description,
                appliedMigrations: written.state.applied.map(\.id),
                file: temporary.lastPathComponent,
                size: FileSafety.size(of: temporary.path), sha256: sha256,
                rowCounts: check.rowCounts, check: level,
                created: written.created, verified: Date(), note: written.note)
            var fingerprinted = manifest
            fingerprinted.liveFingerprint = written.liveFingerprint
            let backup = try written.catalog.place(
                temporary, as: written.name, fileExtension: written.fileExtension,
                manifest: fingerprinted)
            emit(
                .backupCompleted(
                    name: backup.name, bytes: manifest.size,
                    seconds: (ContinuousClock.now - written.started).inSeconds))
            return backup
        } catch {
            throw backupFailure(error, kind: written.kind)
        }
    }

    /// A backup's failure as its caller says it: nothing was changed, and no backup was kept.
    private func backupFailure(_ error: any Error, kind: BackupKind) -> FerryError {
        guard var error = error as? FerryError else {
            return FerryError(
                .backupFailed, "The \(kind.rawValue) backup failed: \(error)",
                changes: "Nothing was changed.")
        }
        error.markedMessage = "The \(kind.rawValue) backup failed: \(error.markedMessage)"
        error.changes = "Nothing was changed; no backup was kept."
        if error.code == .backupCorrupt {
            // Said of a backup being restored ("use another"); here the copy just made is at fault.
            error.advice =
                "Check the live database (\(run: .verify)) and the disk that holds the backup folder, then try again."
        }
        return error
    }

    /// Deletes the oldest backups beyond `[backups] keep` (manual ones
    /// beyond `[backups] keep_manual`, counted apart), never the given ones
    /// nor the newest pre-upgrade backup.
    ///
    /// Unusable entries (``UnusableBackup``) are neither counted nor
    /// deleted, and a warning names them: they need a person.
    func applyRetention(protecting protected: Set<String>, emit: @Sendable (UpgradeEvent) -> Void)
        throws
    {
        let catalog = try backupCatalog()
        let listing = try catalog.listing()
        // The newest pre-upgrade backup of an upgrade that did not fail (of a failed one when there is no other).
        let preUpgrade = listing.backups.filter { $0.manifest.kind == .preUpgrade }
        let newestPreUpgrade =
            (preUpgrade.first { $0.manifest.attempt == nil } ?? preUpgrade.first)?.name
        let deleted = try catalog.applyRetention(
            to: listing.backups, keep: configuration.backupsToKeep,
            keepManual: configuration.manualBackupsToKeep,
            protecting: protected.union(newestPreUpgrade.map { [$0] } ?? []))
        if !deleted.isEmpty {
            emit(
                .backupsDeleted(
                    names: deleted.map(\.name), keep: configuration.backupsToKeep,
                    keepManual: configuration.manualBackupsToKeep))
        }
        if !listing.unusable.isEmpty {
            configuration.logger.warning(
                """
                Retention left \(listing.unusable.count) unusable entr\(listing.unusable.count == 1 ? "y" : "ies") of \
                \(catalog.folder.path) alone (not counted, not deleted): \
                \(listing.unusable.map { "\($0.name) (\($0.reason))" }.joined(separator: "; ")). \
                Repair or remove them by hand.
                """)
        }
    }

    /// Marks the pre-upgrade backup of an upgrade that failed as such in its
    /// manifest, then applies retention, never deleting that backup.
    ///
    /// Runs after the failure was handled (rolled back or restored): it
    /// throws nothing, so that the upgrade ends with its own error; a problem
    /// here is a warning.
    func recordFailedAttempt(
        of backup: Backup, error: any Error, emit: @Sendable (UpgradeEvent) -> Void
    ) {
        let code = (error as? FerryError)?.code.rawValue ?? "failed"
        do {
            var manifest = backup.manifest
            manifest.attempt = .failed(code: code, ended: Date())
            _ = try backupCatalog().writeManifest(
                manifest, name: BackupCatalog.stem(of: backup.name))
        } catch {
            configuration.logger.warning(
                "Could not mark \(backup.name) as the backup of a failed attempt: \(error)")
        }
        do {
            try applyRetention(protecting: [backup.name], emit: emit)
        } catch {
            configuration.logger.warning(
                "Backup retention failed after the failed upgrade: \(error)")
        }
    }

    /// The newest pre-upgrade backup when it is a failed attempt's, for the
    /// same target, and the live database has not changed since it was
    /// taken (same ``BackupEngine/changeFingerprint()``); nil otherwise.
    func reusableFailedAttemptBackup(upgradeTo target: Release) async -> Backup? {
        let engine = configuration.engine
        guard let fingerprint = await engine.changeFingerprint(),
            let listing = try? backupCatalog().listing(),
            let newest = listing.backups.first(where: { $0.manifest.kind == .preUpgrade }),
            newest.manifest.attempt != nil, newest.manifest.liveFingerprint == fingerprint,
            newest.manifest.upgradeTo == target.description,
            newest.manifest.engine == engine.engineName,
            newest.manifest.format == .native,
            newest.manifest.check == .full || newest.manifest.check == configuration.backupCheck,
            FileSafety.size(of: newest.file.path) == newest.manifest.size
        else { return nil }
        return newest
    }

    /// Clears the failed-attempt mark of a reused backup once its upgrade
    /// succeeded; a problem here is a warning.
    func recordSucceededAttempt(of backup: Backup) {
        guard backup.manifest.attempt != nil else { return }
        var manifest = backup.manifest
        manifest.attempt = nil
        do {
            _ = try backupCatalog().writeManifest(
                manifest, name: BackupCatalog.stem(of: backup.name))
        } catch {
            configuration.logger.warning(
                "Could not clear the failed-attempt mark of \(backup.name): \(error)")
        }
    }

    /// An event sink that logs each event and passes it on.
    func eventEmitter(_ onEvent: (@Sendable (UpgradeEvent) -> Void)?)
        -> @Sendable (UpgradeEvent) -> Void
    {
        let logger = configuration.logger
        let engine = configuration.engine
        return { event in
            if case .progress = event {
                // Many a second, for the caller's bar or event stream only: no log line, lock note or crash point.
                onEvent?(event)
                return
            }
            let message = event.message
            // Every event under the lock says, in the lock, which step the run is at.
            engine.noteLockStep(message)
            // The message as it is: an interpolation would copy it, twice per migration.
            let logged = Logger.Message(stringLiteral: message)
            if case .interruptedTransactionRolledBack = event {
                // Something went wrong before this run: shown also where events are not (JSON, start-up logs).
                logger.warning(logged)
            } else {
                logger.info(logged)
            }
            if case .preflightCompleted(let report) = event {
                // Drift never stops the upgrade, so each difference is said where an operator reads warnings.
                for difference in report.drift?.differences ?? [] {
                    logger.warning("schema drift: \(difference.detail)")
                }
            }
            onEvent?(event)
            // Every event is a point where a test can kill the run: after it was told, as an operator saw it.
            CrashPoint.reach("event." + event.name)
        }
    }

    /// The release of the Ferry library, recorded in backup manifests.
    public static let version = "0.1.0"
}
