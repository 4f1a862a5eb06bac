import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of backups, each a file with a JSON manifest beside it.
///
/// Names say what a backup is: `<app>-<from>-to-<to>-<UTC time>.<ext>` for a
/// pre-upgrade backup, `<app>-<release>-manual-<UTC time>.<ext>` and
/// `<app>-<release>-pre-restore-<UTC time>.<ext>` for the others. The catalog
/// never trusts names for order: listing and retention use the time in each
/// manifest.
///
/// Nor does it trust manifests: a manifest whose file is not a plain name of
/// a regular file in the folder, that does not decode, or that was written
/// in another format or by another engine is an ``UnusableBackup``: listed,
/// never restored, never deleted.
public struct BackupCatalog: Sendable {
    /// The folder.
    public let folder: URL

    /// The engine whose backups the catalog holds (``DatabaseEngine/engineName``,
    /// such as `sqlite`); a manifest of another engine is unusable. Nil
    /// accepts every engine.
    public let engineName: String?

    /// What the folder holds: the usable backups, the unusable manifests,
    /// and the leftovers of backups that older releases of Ferry were
    /// writing when they were killed.
    public struct Listing: Sendable {
        /// The usable backups, newest first (by the manifest's time).
        public var backups: [Backup]
        /// The manifests that cannot be used, newest first.
        public var unusable: [UnusableBackup]
        /// Hidden `.*.partial` and `.*.loading` files, which releases of
        /// Ferry before work folders left behind when killed. Nothing proves
        /// that their writer is gone (a manual backup held no lock), so they
        /// are listed for a person to delete, never deleted.
        public var leftovers: [String]
    }

    /// Creates a catalog for a folder (which need not exist yet).
    public init(folder: URL, engineName: String? = nil) {
        self.folder = folder
        self.engineName = engineName
    }

    /// Every usable backup, newest first (by the manifest's time).
    ///
    /// - Throws: ``FerryError`` when the folder exists but cannot be read.
    public func list() throws -> [Backup] {
        try listing().backups
    }

    /// Everything in the folder: usable backups, unusable manifests and leftovers.
    ///
    /// - Throws: ``FerryError`` when the folder exists but cannot be read.
    public func listing() throws -> Listing {
        guard FileManager.default.fileExists(atPath: folder.path) else {
            return Listing(backups: [], unusable: [], leftovers: [])
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw FerryError(
                .fileSystem,
                "Cannot read the backup folder \(folder.path): \(error.localizedDescription)")
        }
        var listing = Listing(backups: [], unusable: [], leftovers: [])
        for name in names.sorted() {
            if name.hasPrefix(".") {
                if name.hasSuffix(".partial") || name.hasSuffix(".loading") {
                    listing.leftovers.append(name)
                }
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            switch read(manifestNamed: name) {
            case .success(let backup): listing.backups.append(backup)
            case .failure(let unusable): listing.unusable.append(unusable.entry)
            }
        }
        listing.backups.sort { ($0.manifest.created, $0.name) > ($1.manifest.created, $1.name) }
        listing.unusable.sort { ($0.created, $0.name) > ($1.created, $1.name) }
        return listing
    }

    /// An unusable manifest, as an error so that reading can return it.
    private struct Unusable: Error {
        let entry: UnusableBackup
    }

    /// Reads one manifest and checks what it names.
    private func read(manifestNamed manifestName: String) -> Result<Backup, Unusable> {
        let manifestFile = folder.appendingPathComponent(manifestName)
        let name = Self.stem(of: manifestName)
        var hints = ManifestHints()
        func unusable(_ reason: String) -> Result<Backup, Unusable> {
            let modified =
                (try? FileManager.default.attributesOfItem(atPath: manifestFile.path))?[
                    .modificationDate] as? Date
            let file = hints.file.flatMap { Self.isPlainName($0) ? $0 : nil }
            return .failure(
                Unusable(
                    entry: UnusableBackup(
                        name: name, manifestFile: manifestFile, file: file, reason: reason,
                        kind: hints.kind,
                        created: hints.created ?? modified ?? .distantPast)))
        }
        // Only a regular file of a manifest's size is read: a FIFO would hang the read, a huge file fill memory.
        var manifestStatus = stat()
        guard stat(manifestFile.path, &manifestStatus) == 0,
            manifestStatus.st_mode & S_IFMT == S_IFREG
        else {
            return unusable("its manifest \(manifestName) is not a regular file")
        }
        guard manifestStatus.st_size <= Self.largestManifest else {
            return unusable(
                "its manifest \(manifestName) is \(manifestStatus.st_size) bytes, too large to be a manifest"
            )
        }
        guard let data = FileManager.default.contents(atPath: manifestFile.path) else {
            return unusable("its manifest \(manifestName) cannot be read")
        }
        let decoder = JSONDecoder.withTimestamps()
        hints = (try? decoder.decode(ManifestHints.self, from: data)) ?? ManifestHints()
        if let version = hints.formatVersion, version != BackupManifest.currentFormatVersion {
            return unusable(
                "its manifest is in format \(version), which this program does not read (it reads format "
                    + "\(BackupManifest.currentFormatVersion)): it was written by "
                    + (version > BackupManifest.currentFormatVersion ? "a newer" : "another")
                    + " release of Ferry")
        }
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: data)
        } catch {
            return unusable("its manifest is damaged: " + Self.describe(error))
        }
        if let engineName, manifest.engine != engineName {
            return unusable(
                "it is a backup of a \(manifest.engine) database, and this database is \(engineName)"
            )
        }
        guard Self.isPlainName(manifest.file) else {
            return unusable(
                "its manifest names the file '\(manifest.file)', which is not a plain file name in the catalog"
            )
        }
        let file = folder.appendingPathComponent(manifest.file)
        var status = stat()
        guard lstat(file.path, &status) == 0 else {
            return unusable(
                errno == ENOENT
                    ? "its file \(manifest.file) is missing"
                    : "its file \(manifest.file) cannot be read: \(String(cString: strerror(errno)))"
            )
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let what = status.st_mode & S_IFMT == S_IFLNK ? "a link" : "not a regular file"
            return unusable(
                "its file \(manifest.file) is \(what); a backup is a file of its own in the catalog"
            )
        }
        return .success(Backup(manifest: manifest, file: file, manifestFile: manifestFile))
    }

    /// The largest manifest read: one lists a few hundred row counts at most.
    static let largestManifest = 16 << 20

    /// Whether a manifest's `file` names a file of the catalog itself: no
    /// folder, no `..`, not hidden (Ferry's own work files are), not a manifest.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
            && !name.hasSuffix(".json") && name.utf8.count <= 255
    }

    /// A name without its last extension: `app-0.3.0-manual-….sqlite` → `app-0.3.0-manual-…`.
    static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// A manifest's decoding error in a few words (backup and export
    /// manifests alike).
    static func describe(_ error: any Error) -> String {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let names = (path + (key.map { [$0] } ?? [])).map(\.stringValue)
            return names.isEmpty ? "the manifest" : "the field '\(names.joined(separator: "."))'"
        }
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty
                ? "it is not valid JSON (cut short, changed, or with more after it)"
                : "\(field(context.codingPath)) is not valid"
        case .keyNotFound(let key, let context)?:
            return "\(field(context.codingPath, key)) is missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "\(field(context.codingPath)) has the wrong type"
        default:
            return "it cannot be decoded"
        }
    }

    /// The backup with this name: as `ferry backups` shows it (its file's
    /// name), without its extension, or its manifest's name.
    ///
    /// - Throws: ``FerryError``: code `backupNotFound` listing what there
    ///   is, or `backupCorrupt` when the name is an unusable entry, saying why.
    public func backup(named name: String) throws -> Backup {
        let listing = try listing()
        let wanted = URL(fileURLWithPath: name).lastPathComponent
        if let found = listing.backups.first(where: {
            $0.name == wanted || Self.stem(of: $0.name) == wanted
                || $0.manifestFile.lastPathComponent == wanted
                || Self.stem(of: $0.manifestFile.lastPathComponent) == wanted
        }) {
            return found
        }
        if let unusable = listing.unusable.first(where: { $0.isNamed(wanted) }) {
            throw FerryError(
                .backupCorrupt,
                "The backup \(unusable.name) cannot be restored: \(unusable.reason).",
                changes: "Nothing was changed.",
                advice:
                    "Use another backup (\(run: .backups) lists them), or repair or remove \(unusable.manifestFile.path)."
            )
        }
        throw FerryError(
            .backupNotFound, "There is no backup named \(wanted) in \(folder.path).",
            changes: "Nothing was changed.",
            advice: listing.backups.isEmpty
                ? "The catalog is empty." : "Run \(run: .backups) to list them.")
    }

    /// The name a new backup gets (without extension), free in the folder:
    /// neither its manifest nor, when `fileExtension` is given, its file
    /// exists. ``place(_:as:fileExtension:manifest:)`` claims it.
    public func newName(
        app: String, kind: BackupKind, release: String?, upgradeTo: String?, at date: Date,
        fileExtension: String? = nil
    ) -> String {
        let from = release ?? "none"
        let middle: String
        switch kind {
        case .preUpgrade: middle = "\(from)-to-\(upgradeTo ?? from)"
        case .manual, .preRestore, .preDowngrade, .preImport, .preTransfer, .preAdopt, .preBaseline:
            middle = "\(from)-\(kind.rawValue)"
        }
        let base = "\(Self.safe(app))-\(Self.safe(middle))-\(Self.timestamp(date))"
        return Self.candidates(base).first { !isTaken($0, fileExtension: fileExtension) } ?? base
    }

    /// `base`, `base-2`, `base-3`, …
    private static func candidates(_ base: String) -> some Sequence<String> {
        (1...10_000).lazy.map { $0 == 1 ? base : "\(base)-\($0)" }
    }

    private func isTaken(_ name: String, fileExtension: String?) -> Bool {
        var status = stat()
        return lstat(folder.appendingPathComponent(name + ".json").path, &status) == 0
            || fileExtension.map {
                lstat(folder.appendingPathComponent(name + "." + $0).path, &status) == 0
            } == true
    }

    /// Moves a written, synced and checked backup file into the catalog with
    /// its manifest, under `name` or, when another backup took it meanwhile
    /// (two in the same second), the next free `name-N`.
    ///
    /// The file is linked in first and the manifest after it, so a listing
    /// never sees a manifest without its file; `link(2)` refuses a name that
    /// exists, so two processes never overwrite each other's backup. The
    /// temporary file stays where it was: its work folder goes with it.
    ///
    /// - Parameters:
    ///   - temporary: The backup file, in a work folder inside the catalog.
    ///   - name: The backup's name, without its extension.
    ///   - fileExtension: The extension of the backup's format.
    ///   - manifest: Its manifest; `file` is set here.
    /// - Returns: The backup in the catalog.
    /// - Throws: ``FerryError`` (code `fileSystem`) when it cannot be linked or written.
    public func place(
        _ temporary: URL, as name: String, fileExtension: String, manifest: BackupManifest
    ) throws -> Backup {
        for candidate in Self.candidates(name)
        where !isTaken(candidate, fileExtension: fileExtension) {
            let fileName = candidate + "." + fileExtension
            let file = folder.appendingPathComponent(fileName)
            guard Self.linkOrRename(temporary, to: file) else {
                if errno == EEXIST { continue }
                throw FerryError(
                    .fileSystem,
                    "Cannot move the backup into \(folder.path): \(String(cString: strerror(errno))).",
                    changes: "Nothing was changed; no backup was kept.")
            }
            // The file is in the catalog, its manifest not yet: a listing does not see it.
            CrashPoint.reach("backup.file-placed")
            var manifest = manifest
            manifest.file = fileName
            let manifestFile = folder.appendingPathComponent(candidate + ".json")
            do {
                guard
                    try writeManifest(
                        manifest, to: manifestFile, beside: temporary.deletingLastPathComponent())
                else {
                    unlink(file.path)
                    continue
                }
            } catch {
                unlink(file.path)
                throw error
            }
            return Backup(manifest: manifest, file: file, manifestFile: manifestFile)
        }
        throw FerryError(
            .fileSystem, "Every name for the backup \(name) is taken in \(folder.path).",
            changes: "Nothing was changed; no backup was kept.", advice: "Delete old backups there."
        )
    }

    /// Links `from` to the new name `to` (refused when `to` exists); on a
    /// file system without hard links, renames it if `to` is still free.
    private static func linkOrRename(_ from: URL, to: URL) -> Bool {
        if link(from.path, to.path) == 0 { return true }
        guard errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EMLINK else {
            return false
        }
        var status = stat()
        guard lstat(to.path, &status) != 0 else {
            errno = EEXIST
            return false
        }
        return rename(from.path, to.path) == 0
    }

    /// `2026-11-21T18-00-00Z`: a UTC time that sorts and is safe in file names.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d-%02d-%02dZ", parts.year!, parts.month!, parts.day!,
            parts.hour!, parts.minute!,
            parts.second!)
    }

    private static func safe(_ text: String) -> String {
        String(
            text.map {
                $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_"
            })
    }

    /// Writes a manifest durably beside its backup.
    public func writeManifest(_ manifest: BackupManifest, name: String) throws -> URL {
        let file = folder.appendingPathComponent(name + ".json")
        try FileSafety.writeDurably(try Self.encode(manifest), to: file)
        return file
    }

    /// Writes a manifest into `work`, synced, then links it to `file`.
    ///
    /// - Returns: False when `file` exists already (nothing is changed then).
    private func writeManifest(_ manifest: BackupManifest, to file: URL, beside work: URL) throws
        -> Bool
    {
        let temporary = work.appendingPathComponent(file.lastPathComponent)
        try FileSafety.writePrivateFile(try Self.encode(manifest), to: temporary)
        guard Self.linkOrRename(temporary, to: file) else {
            if errno == EEXIST { return false }
            throw FerryError(
                .fileSystem, "Cannot write \(file.path): \(String(cString: strerror(errno))).")
        }
        try FileSafety.sync(folder)
        return true
    }

    private static func encode(_ manifest: BackupManifest) throws -> Data {
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(manifest)
    }

    /// Deletes all but the `keep` newest usable backups (by manifest time),
    /// never deleting the protected ones.
    ///
    /// Backups of failed upgrade attempts are the first to go: the places
    /// `keep` allows go to the others first. Manual backups are counted apart, against `keepManual` (nil: all are
    /// kept): someone made them on purpose, so backups the upgrades make can
    /// never push them out. Unusable entries are neither counted nor deleted
    /// (the caller says so): a damaged manifest says nothing trustworthy
    /// about its age or its file. Only a plain file name of the catalog, a
    /// regular file, is ever unlinked.
    ///
    /// - Parameters:
    ///   - keep: How many backups of the other kinds to keep.
    ///   - keepManual: How many manual backups to keep; nil keeps them all.
    ///   - protected: Names never deleted (they still count).
    /// - Returns: The deleted backups.
    @discardableResult
    public func applyRetention(keep: Int, keepManual: Int? = nil, protecting protected: Set<String>)
        throws -> [Backup]
    {
        try applyRetention(
            to: try list(), keep: keep, keepManual: keepManual, protecting: protected)
    }

    /// ``applyRetention(keep:keepManual:protecting:)`` over the usable
    /// backups of a listing the caller has just read.
    func applyRetention(
        to listed: [Backup], keep: Int, keepManual: Int?, protecting protected: Set<String>
    ) throws -> [Backup] {
        finishInterruptedDeletions()
        removeUnfinishedPlacements()
        let backups =
            listed.filter { $0.manifest.attempt == nil }
            + listed.filter { $0.manifest.attempt != nil }
        var kept = 0
        var keptManual = 0
        var deleted: [Backup] = []
        for backup in backups {
            if backup.manifest.kind == .manual {
                if keepManual.map({ keptManual < $0 }) ?? true || protected.contains(backup.name) {
                    keptManual += 1
                    continue
                }
            } else if kept < keep || protected.contains(backup.name) {
                kept += 1
                continue
            }
            var status = stat()
            guard Self.isPlainName(backup.name), lstat(backup.file.path, &status) == 0,
                status.st_mode & S_IFMT == S_IFREG
            else { continue }
            // The manifest is renamed first (the backup is no longer listed, in one step) to a
            // name that says which file goes with it, so that a run killed before the file is
            // gone leaves a note that the next retention finishes.
            let note = Self.deletionNote(for: backup.file.lastPathComponent, in: folder)
            guard rename(backup.manifestFile.path, note.path) == 0 else { continue }
            CrashPoint.reach("backup.deleting")
            unlink(backup.file.path)
            unlink(note.path)
            deleted.append(backup)
        }
        return deleted
    }

    /// Removes the backup files that a killed run linked into the catalog
    /// but never gave a manifest, which no listing shows and nothing else
    /// would ever delete.
    ///
    /// Such a file is still linked from the dead run's work folder (a backup
    /// is written there and linked into the catalog, ``place(_:as:fileExtension:manifest:)``):
    /// a catalog file that shares its inode with a file of an abandoned work
    /// folder, and has no manifest, is one. A file whose manifest was written
    /// is a whole backup and stays. The abandoned work folders go afterwards
    /// (``WorkFolder/removeLeftovers(in:)`` leaves one whose file is linked
    /// here, for this).
    func removeUnfinishedPlacements() {
        let manager = FileManager.default
        let abandoned = WorkFolder.abandoned(in: folder)
        guard !abandoned.isEmpty else { return }
        var written: Set<[UInt64]> = []
        for work in abandoned {
            for name in (try? manager.contentsOfDirectory(atPath: work.path)) ?? [] {
                var status = stat()
                if lstat(work.appendingPathComponent(name).path, &status) == 0,
                    status.st_mode & S_IFMT == S_IFREG
                {
                    written.insert([UInt64(status.st_dev), UInt64(status.st_ino)])
                }
            }
        }
        for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        where Self.isPlainName(name) {
            var status = stat()
            let file = folder.appendingPathComponent(name)
            guard lstat(file.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                written.contains([UInt64(status.st_dev), UInt64(status.st_ino)]),
                !manager.fileExists(
                    atPath: folder.appendingPathComponent(Self.stem(of: name) + ".json").path)
            else { continue }
            unlink(file.path)
        }
        for work in abandoned { try? manager.removeItem(at: work) }
    }

    /// The name a deleted backup's manifest takes until its file is gone:
    /// `.<file>.deleting`, hidden from listings.
    static func deletionNote(for file: String, in folder: URL) -> URL {
        folder.appendingPathComponent(".\(file).deleting")
    }

    /// Finishes the deletions that a killed run began: for each
    /// `.<file>.deleting`, the file (a plain name of the catalog) and the note.
    func finishInterruptedDeletions() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".deleting") {
            let file = String(name.dropFirst().dropLast(".deleting".count))
            guard Self.isPlainName(file) else { continue }
            unlink(folder.appendingPathComponent(file).path)
            unlink(folder.appendingPathComponent(name).path)
        }
    }
}
