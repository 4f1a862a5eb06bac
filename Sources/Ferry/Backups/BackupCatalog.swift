import Foundation

/// The folder of backups, each a file with a JSON manifest beside it.
///
/// Names say what a backup is: `<app>-<from>-to-<to>-<UTC time>.<ext>` for a
/// pre-upgrade backup, `<app>-<release>-manual-<UTC time>.<ext>` and
/// `<app>-<release>-pre-restore-<UTC time>.<ext>` for the others. The catalog
/// never trusts names for order: listing and retention use the time in each
/// manifest.
public struct BackupCatalog: Sendable {
    /// The folder.
    public let folder: URL

    /// Creates a catalog for a folder (which need not exist yet).
    public init(folder: URL) {
        self.folder = folder
    }

    /// Every backup with a readable manifest, newest first (by the manifest's time).
    ///
    /// - Throws: ``FerryError`` when the folder exists but cannot be read.
    public func list() throws -> [Backup] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        } catch {
            throw FerryError(.fileSystem, "Cannot read the backup folder \(folder.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder.withTimestamps()
        return entries
            .filter { $0.pathExtension == "json" && !$0.lastPathComponent.hasPrefix(".") }
            .compactMap { manifestFile -> Backup? in
                guard let data = try? Data(contentsOf: manifestFile),
                      let manifest = try? decoder.decode(BackupManifest.self, from: data) else { return nil }
                return Backup(manifest: manifest, file: folder.appendingPathComponent(manifest.file), manifestFile: manifestFile)
            }
            .sorted { ($0.manifest.created, $0.name) > ($1.manifest.created, $1.name) }
    }

    /// The backup with this name (its file name, or its manifest's).
    ///
    /// - Throws: ``FerryError`` (code `backupNotFound`) listing what there is.
    public func backup(named name: String) throws -> Backup {
        let backups = try list()
        let wanted = URL(fileURLWithPath: name).lastPathComponent
        if let found = backups.first(where: { $0.name == wanted || $0.manifestFile.lastPathComponent == wanted }) {
            return found
        }
        throw FerryError(
            .backupNotFound, "There is no backup named \(wanted) in \(folder.path).", changes: "Nothing was changed.",
            advice: backups.isEmpty ? "The catalog is empty." : "Run 'ferry backups' to list them.")
    }

    /// The name a new backup gets (without extension), unique in the folder.
    public func newName(app: String, kind: BackupKind, release: String?, upgradeTo: String?, at date: Date) -> String {
        let from = release ?? "none"
        let middle: String
        switch kind {
        case .preUpgrade: middle = "\(from)-to-\(upgradeTo ?? from)"
        case .manual, .preRestore, .preDowngrade: middle = "\(from)-\(kind.rawValue)"
        }
        let base = "\(Self.safe(app))-\(Self.safe(middle))-\(Self.timestamp(date))"
        var name = base
        var number = 2
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(name + ".json").path) {
            name = "\(base)-\(number)"
            number += 1
        }
        return name
    }

    /// `2026-11-21T18-00-00Z`: a UTC time that sorts and is safe in file names.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d-%02d-%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
            parts.second!)
    }

    private static func safe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// Writes a manifest durably beside its backup.
    public func writeManifest(_ manifest: BackupManifest, name: String) throws -> URL {
        let file = folder.appendingPathComponent(name + ".json")
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileSafety.writeDurably(try encoder.encode(manifest), to: file)
        return file
    }

    /// Deletes all but the `keep` newest backups (by manifest time), never
    /// deleting the protected ones.
    ///
    /// - Returns: The deleted backups.
    @discardableResult
    public func applyRetention(keep: Int, protecting protected: Set<String>) throws -> [Backup] {
        let backups = try list()
        var kept = 0
        var deleted: [Backup] = []
        for backup in backups {
            if kept < keep || protected.contains(backup.name) {
                kept += 1
                continue
            }
            try? FileManager.default.removeItem(at: backup.manifestFile)
            try? FileManager.default.removeItem(at: backup.file)
            deleted.append(backup)
        }
        return deleted
    }
}
