import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The preflight checks of the disk: free space for the backup and for the
/// upgrade itself, and whether the database and backup folders are writable.
///
/// The upgrade needs room for about the database's size beside it (SQLite's
/// rollback journal, tables rebuilt), and the backup in the backup folder
/// (when one is taken) what ``BackupEngine/backupSpaceNeeded(for:)`` says, the
/// figure the backup itself checks; both on one volume when they share
/// it, plus
/// `[preflight] keep_free_mb`. Less than that is a blocker; less than twice
/// that leaves little headroom, a warning.
struct StorageCheck {
    let configuration: Ferry.Configuration
    /// Whether the upgrade takes a backup of an existing database.
    let takesBackup: Bool

    func checks() async -> [PreflightCheck] {
        let engine = configuration.engine
        guard let file = engine.localFile else {
            return await serverChecks()
        }
        let databaseFolder = file.deletingLastPathComponent()
        let backupFolder =
            configuration.backupsDirectory ?? engine.defaultBackupsFolder
            ?? databaseFolder.appendingPathComponent("backups")
        let size = engine.localDataFiles.reduce(Int64(0)) { $0 + FileSafety.size(of: $1.path) }
        // The pre-upgrade backup is native; its need is the figure the backup itself checks.
        let backupSize =
            takesBackup ? ((try? await engine.backupSpaceNeeded(for: .native)) ?? size) : 0
        var checks: [PreflightCheck] = []

        // What each volume must hold, by the folder that decides the volume.
        var needs: [(folder: URL, bytes: Int64, what: String)] = [(databaseFolder, size, "upgrade")]
        if takesBackup { needs.append((backupFolder, backupSize, "backup")) }
        var volumes: [Int: (path: String, free: Int64, need: Int64, parts: [String])] = [:]
        for need in needs {
            guard let existing = Self.nearestExisting(need.folder),
                let free = FileSafety.freeSpace(at: existing)
            else {
                checks.append(
                    PreflightCheck(
                        name: "free space", status: .warning,
                        detail: "unknown for \(need.folder.path): cannot measure it"))
                continue
            }
            let attributes = try? FileManager.default.attributesOfFileSystem(forPath: existing.path)
            let volume =
                (attributes?[.systemNumber] as? NSNumber)?.intValue ?? existing.path.hashValue
            var entry = volumes[volume] ?? (existing.path, free, 0, [])
            entry.need += need.bytes
            entry.parts.append("\(need.what) \(FileSafety.formatBytes(need.bytes))")
            volumes[volume] = entry
        }
        let reserve = configuration.keepFreeBytes
        for (_, volume) in volumes.sorted(by: { $0.value.path < $1.value.path }) {
            let required = volume.need + reserve
            var parts = volume.parts
            if reserve > 0 { parts.append("keep free \(FileSafety.formatBytes(reserve))") }
            let detail =
                "\(FileSafety.formatBytes(volume.free)) free at \(volume.path); "
                + "needs \(FileSafety.formatBytes(required)) (" + parts.joined(separator: ", ")
                + ")"
            let status: PreflightCheck.Status =
                volume.free < required
                ? .blocker : volume.free < 2 * required ? .warning : .ok
            checks.append(PreflightCheck(name: "free space", status: status, detail: detail))
        }
        checks.append(Self.writable(databaseFolder, name: "database folder"))
        checks.append(Self.writable(backupFolder, name: "backup folder"))
        return checks
    }

    /// For a database on a server: its own disk is the engine's to measure
    /// (``DatabaseEngine/serverChecks(for:)``), but the backup folder is on this machine.
    private func serverChecks() async -> [PreflightCheck] {
        let engine = configuration.engine
        var checks: [PreflightCheck] = []
        guard takesBackup,
            let folder = configuration.backupsDirectory ?? engine.defaultBackupsFolder
        else {
            return checks
        }
        if let existing = Self.nearestExisting(folder),
            let free = FileSafety.freeSpace(at: existing),
            let size = try? await engine.backupSpaceNeeded(for: .native)
        {
            let required = size + configuration.keepFreeBytes
            let status: PreflightCheck.Status =
                free < required ? .blocker : free < 2 * required ? .warning : .ok
            checks.append(
                PreflightCheck(
                    name: "free space", status: status,
                    detail:
                        "\(FileSafety.formatBytes(free)) free at \(existing.path); needs \(FileSafety.formatBytes(required)) "
                        + "(backup \(FileSafety.formatBytes(size)), from the database's size on the server)"
                ))
        } else {
            checks.append(
                PreflightCheck(
                    name: "free space", status: .warning,
                    detail: "unknown for \(folder.path): cannot measure it"))
        }
        checks.append(Self.writable(folder, name: "backup folder"))
        return checks
    }

    /// Whether a folder is writable, or can be created writable.
    static func writable(_ folder: URL, name: String) -> PreflightCheck {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                return PreflightCheck(
                    name: name, status: .blocker, detail: "\(folder.path) is a file, not a folder")
            }
            return access(folder.path, W_OK) == 0
                ? PreflightCheck(name: name, status: .ok, detail: "\(folder.path) is writable")
                : PreflightCheck(
                    name: name, status: .blocker,
                    detail: "\(folder.path) is not writable by this user")
        }
        guard let existing = nearestExisting(folder) else {
            return PreflightCheck(
                name: name, status: .blocker, detail: "\(folder.path) cannot be created")
        }
        var parentIsDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: existing.path, isDirectory: &parentIsDirectory)
        guard parentIsDirectory.boolValue, access(existing.path, W_OK) == 0 else {
            return PreflightCheck(
                name: name, status: .blocker,
                detail:
                    "\(folder.path) does not exist and cannot be created: \(existing.path) is not a writable folder"
            )
        }
        return PreflightCheck(name: name, status: .ok, detail: "\(folder.path) will be created")
    }

    static func nearestExisting(_ folder: URL) -> URL? {
        var candidate = folder.standardizedFileURL
        while !FileManager.default.fileExists(atPath: candidate.path) {
            guard candidate.pathComponents.count > 1 else { return nil }
            candidate.deleteLastPathComponent()
        }
        return candidate
    }
}
