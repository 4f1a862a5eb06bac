import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Ferry {
    /// Writes the database's rows to a new export folder, from one
    /// consistent snapshot taken while the application may keep writing.
    ///
    /// The folder holds `schema.sql` (the source engine's SQL, for reading),
    /// `data/<table>/NNNN.jsonl` (one JSON array per row, see ``RowCodec``)
    /// and, written last under a temporary name then renamed,
    /// `manifest.json` (``ExportManifest``). Files are 0600, folders 0700.
    ///
    /// - Parameters:
    ///   - folder: The destination: a folder that does not exist or is empty.
    ///   - options: The tables, and whether secret columns are redacted.
    ///   - onEvent: Called with each table's ``UpgradeEvent/progress(_:)``
    ///     as its rows are written (for tables that take a while).
    /// - Returns: What was written.
    /// - Throws: ``FerryError``: `invalidExport` for a destination that is not
    ///   empty or a table the database does not have; a failure while
    ///   writing (the database is never changed, and an unfinished export
    ///   has no manifest).
    public func export(
        to folder: URL, options: ExportOptions = ExportOptions(),
        onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> ExportReport {
        let clock = ContinuousClock()
        let started = clock.now
        guard let engine = configuration.engine as? any ExportingEngine else {
            throw FerryError(
                .unsupportedByEngine,
                "The \(configuration.engine.engineName) engine cannot export a database yet.",
                changes: "Nothing was changed.")
        }
        let createdFolder = try Self.prepareExportFolder(folder)
        let freeAtStart = FileSafety.freeSpace(at: folder)
        do {
            // Marks the folder as being written by this run until its manifest is in place: a
            // run that dies leaves it unlocked, and the next export into the folder starts over.
            let writing = try WorkFolder.make("export", in: folder)
            defer { writing.remove() }
            return try await reportingProgress(to: onEvent, through: eventEmitter(onEvent)) {
                try await engine.withExportSnapshot { snapshot in
                    try await writeExport(
                        from: snapshot, engine: engine, to: folder, options: options,
                        startedAt: started, clock: clock)
                }
            }
        } catch {
            let written = FileSafety.bytesUsed(in: folder)
            let isFull = Self.ranOutOfSpace(error, in: folder)
            Self.removeUnfinishedExport(folder, createdFolder: createdFolder)
            if isFull {
                throw FerryError.exportFolderFull(
                    folder, written: written, freeAtStart: freeAtStart ?? 0,
                    databaseSize: try? await engine.backupSizeEstimate(),
                    cause: error)
            }
            throw error
        }
    }

    /// Whether a failed export ran out of room: a write said so (`ENOSPC`),
    /// or a file system error left the folder's file system without space.
    private static func ranOutOfSpace(_ error: any Error, in folder: URL) -> Bool {
        if error is ExportFolderFull { return true }
        guard (error as? FerryError)?.code == .fileSystem else { return false }
        return (FileSafety.freeSpace(at: folder) ?? .max) < 64 << 10
    }

    private func writeExport(
        from snapshot: any ExportSnapshot, engine: any DatabaseEngine, to folder: URL,
        options: ExportOptions, startedAt started: ContinuousClock.Instant,
        clock: ContinuousClock
    ) async throws -> ExportReport {
        let state = try await snapshot.readState()
        var tables = try await snapshot.exportTables()
        let secrets = Set(configuration.exportSecretColumns)
        // A misspelt secret column would leave the secret in the export without a word; one that a
        // later release adds is not in this database, and nothing of it can leave.
        let columns = Set(
            tables.flatMap { table in table.columns.map { "\(table.name).\($0.name)" } })
        for unknown in secrets.sorted() where !columns.contains(unknown) {
            configuration.logger.warning(
                "[export] secret_columns names \(unknown), which is no column of \(configuration.engine.displayName): nothing is carried or redacted for it. Check its spelling (table.column)."
            )
        }
        if !options.tables.isEmpty {
            let known = Set(tables.map(\.name))
            if let unknown = options.tables.first(where: { !known.contains($0) }) {
                throw FerryError(
                    .invalidExport, "The database has no table \(unknown) to export.",
                    changes: "Nothing was changed.",
                    advice: "Known tables: \(known.sorted().joined(separator: ", ")).")
            }
            tables = tables.filter { options.tables.contains($0.name) }
        }
        tables = ExportTable.inLoadOrder(tables)
        let entityRows =
            options.entities.isEmpty ? nil : try EntityRows(options.entities, in: tables)
        for (entity, table, condition) in entityRows?.roots ?? [] {
            guard try await snapshot.rowCount(of: table, where: condition) != 0 else {
                throw FerryError(
                    .invalidExport,
                    "\(configuration.engine.displayName) has no row \(entity) to export (no row of \(table.name) has the key \(entity.key)).",
                    changes: "Nothing was changed.",
                    advice: "Name a row that exists: its table and its primary key's value.")
            }
        }
        // What is written, in load order: each table whole, or the parts of the entities' rows.
        let parts: [(table: ExportTable, condition: String?, references: Bool?)] =
            entityRows?.parts.map { ($0.table, $0.condition, $0.references) }
            ?? tables.map { ($0, nil, nil) }
        let ownRows = Set(entityRows?.parts.filter { !$0.references }.map(\.table.name) ?? [])
        var included: [String] = []
        var redacted: [String] = []

        let schemaURL = folder.appendingPathComponent(ExportManifest.schemaFileName)
        let schemaText = try await snapshot.schemaSQL()
        try FileSafety.writePrivateFile(Data(schemaText.utf8), to: schemaURL)
        let schemaFile = ExportManifest.File(
            path: ExportManifest.schemaFileName, bytes: Int64(schemaText.utf8.count),
            sha256: Checksum.sha256(Data(schemaText.utf8)), rows: nil)

        try Self.makePrivateFolder(folder.appendingPathComponent("data"))
        var manifestTables: [ExportManifest.Table] = []
        var reportTables: [ExportReport.Table] = []
        for (table, condition, references) in parts {
            let secretPositions = table.columns.indices.filter {
                secrets.contains("\(table.name).\(table.columns[$0].name)")
            }
            for position in secretPositions
            where references != true || !ownRows.contains(table.name) {
                let name = "\(table.name).\(table.columns[position].name)"
                if options.redact { redacted.append(name) } else { included.append(name) }
                if options.redact && !table.columns[position].isNullable {
                    configuration.logger.warning(
                        "\(name) cannot be NULL: an import of this export into the application's tables will be refused at its rows (written as NULL by --redact)."
                    )
                }
            }
            // A table's references and the entities' own rows of it are two parts, in two folders.
            let relative =
                ExportFolder.dataFolder(for: table.name)
                + (references == true ? ExportFolder.referencesSuffix : "")
            let tableFolder = folder.appendingPathComponent(relative)
            try Self.makePrivateFolder(tableFolder)
            // Advanced once per batch of rows: the clock is read at each.
            let progress = ProgressReporter("export \(table.name)", unit: .rows)
            defer { progress.finish() }
            if progress.isReporting,
                let count = try await snapshot.rowCount(of: table, where: condition)
            {
                progress.update(done: 0, total: Int64(count))
            }
            let writer = try ExportPartWriter(
                folder: tableFolder, relativeFolder: relative, partBytes: options.partBytes,
                types: table.columns.map(\.logicalType), compress: options.compress,
                redacted: options.redact ? secretPositions : [],
                pieces: try await snapshot.readers(for: table, where: condition),
                progress: progress)
            try await snapshot.readRows(of: table, where: condition, intoPieces: writer.pieces)
            let files = try writer.finish()
            if references == true, writer.rowCount == 0, ownRows.contains(table.name) {
                // No row of the entities' own points outside them: the table is its own part.
                try FileManager.default.removeItem(at: tableFolder)
                continue
            }
            try FileSafety.sync(tableFolder)
            CrashPoint.reach("export.table-written")
            manifestTables.append(
                ExportManifest.Table(
                    table: table, rowCount: writer.rowCount, files: files,
                    references: references))
            reportTables.append(
                ExportReport.Table(
                    name: table.name, rows: writer.rowCount, files: files.count,
                    bytes: files.reduce(0) { $0 + $1.bytes },
                    references: references ?? false))
        }
        try FileSafety.sync(folder.appendingPathComponent("data"))

        let manifest = try ExportManifest(
            formatVersion: ExportManifest.currentFormatVersion, producer: "ferry \(Ferry.version)",
            application: configuration.appName,
            programRelease: (try? programRelease())?.description,
            release: state.recordedRelease,
            migrations: state.applied.filter { !$0.kind.isBookkeeping }.map {
                ExportManifest.Migration(
                    id: $0.id, release: $0.release.description, checksum: $0.checksum)
            },
            engine: engine.engineName, engineVersion: try await snapshot.engineVersion(),
            createdAt: Timestamp.string(from: Date()), compressed: options.compress,
            secretColumnsIncluded: included, redactedColumns: redacted, schema: schemaFile,
            entities: entityRows == nil ? nil : options.entities.map(\.description),
            tables: manifestTables, digest: ""
        ).sealed()
        CrashPoint.reach("export.beforeManifest")
        // The manifest last, under a temporary name (in a work folder, which the next run removes if this
        // one is killed) then renamed: a folder with a manifest is whole.
        try FileSafety.writeDurably(
            try manifest.encoded(), to: folder.appendingPathComponent(ExportManifest.fileName))
        return ExportReport(
            folder: folder.path, release: state.recordedRelease,
            entities: options.entities.map(\.description), tables: reportTables,
            secretColumnsIncluded: included, redactedColumns: redacted, digest: manifest.digest,
            seconds: (clock.now - started).inSeconds)
    }

    /// Creates the destination (0700), or accepts an empty one, or one that
    /// holds only the unfinished export of a run that died (which is removed).
    ///
    /// - Returns: Whether the folder was created here.
    private static func prepareExportFolder(_ folder: URL) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            try makePrivateFolder(folder)
            return true
        }
        guard isDirectory.boolValue else {
            throw FerryError(
                .invalidExport, "\(folder.path) is a file, not a folder for an export.",
                changes: "Nothing was changed.", advice: "Name a new or empty folder.")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let working = entries.filter { $0.hasPrefix(WorkFolder.prefix) }
        let abandoned = Set(WorkFolder.abandoned(in: folder).map(\.lastPathComponent))
        if entries.contains(ExportManifest.fileName) {
            // A whole export; a run that died after placing its manifest left its marks.
            WorkFolder.removeLeftovers(in: folder)
            let taken =
                (try? ExportManifest.read(
                    Data(contentsOf: ExportFolder(url: folder).manifestFile),
                    from: ExportFolder(url: folder).manifestFile))?.createdAt
            throw FerryError(
                .invalidExport,
                "\(folder.path) already holds an export\(taken.map { " (taken at \($0))" } ?? ""): an export goes into a new or empty folder.",
                changes: "Nothing was changed.",
                advice: "Name a new folder, or remove this one if its export is not needed.")
        }
        if working.contains(where: { !abandoned.contains($0) }) {
            throw FerryError(
                .invalidExport,
                "Another export is writing into \(folder.path) now.",
                changes: "Nothing was changed.",
                advice: "Wait for it to finish, or name another folder.")
        }
        if !working.isEmpty {
            // Only a run of Ferry's export makes this mark, and its run has died: what the folder
            // holds is that run's unfinished export (no manifest, so nothing can import it).
            for entry in entries {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry))
            }
            return false
        }
        if entries.contains("data") || entries.contains(ExportManifest.schemaFileName) {
            throw FerryError(
                .invalidExport,
                "\(folder.path) holds an unfinished export (it has no \(ExportManifest.fileName)): an export goes into a new or empty folder.",
                changes: "Nothing was changed.",
                advice:
                    "Remove the folder (the unfinished export cannot be imported), then export again."
            )
        }
        guard entries.isEmpty else {
            throw FerryError(
                .invalidExport,
                "\(folder.path) is not empty (\(entries.count) entr\(entries.count == 1 ? "y" : "ies")): an export goes into a new or empty folder.",
                changes: "Nothing was changed.",
                advice: "Name a new folder, or empty this one if what it holds is not needed.")
        }
        return false
    }

    private static func makePrivateFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            _ = chmod(folder.path, 0o700)
        } catch {
            throw FerryError(
                .fileSystem, "Cannot create \(folder.path): \(error.localizedDescription)",
                changes: "The database was not changed.",
                advice: "Check the destination's folder and its permissions.")
        }
    }

    /// Removes what a failed export wrote, so that the folder can take the next one.
    private static func removeUnfinishedExport(_ folder: URL, createdFolder: Bool) {
        if createdFolder {
            try? FileManager.default.removeItem(at: folder)
            return
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry))
        }
    }
}
