import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, private file operations for backups: files 0600, folders 0700,
/// data synced before a rename makes it visible.
public enum FileSafety {
    /// Creates a folder (and its parents) readable by the owner only.
    ///
    /// - Throws: ``FerryError`` when it cannot be created or is not writable.
    public static func createPrivateFolder(_ folder: URL) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FerryError(
                    .fileSystem, "\(folder.path) is a file, not a folder.",
                    changes: "Nothing was changed.",
                    advice: "Choose another backup folder with \(.backups) or [backups] directory.")
            }
        } else {
            do {
                try manager.createDirectory(
                    at: folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw FerryError(
                    .fileSystem,
                    "Cannot create the backup folder \(folder.path): \(error.localizedDescription)",
                    changes: "Nothing was changed.",
                    advice: "Create it, or choose another with \(.backups).")
            }
        }
        guard access(folder.path, W_OK) == 0 else {
            throw FerryError(
                .fileSystem, "The backup folder \(folder.path) is not writable by this user.",
                changes: "Nothing was changed.",
                advice: "Fix its permissions, or choose another with \(.backups).")
        }
    }

    /// Makes a file readable and writable by its owner only.
    public static func makePrivate(_ file: URL) {
        _ = chmod(file.path, 0o600)
    }

    /// Creates (or empties) a file with `data`, private (0600), synced
    /// before it returns: one open, the writes, one sync.
    ///
    /// - Throws: ``FerryError`` (`fileSystem`) when the file cannot be
    ///   created, written or synced; what was written may then be there.
    public static func writePrivateFile(_ data: Data, to file: URL) throws {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FerryError(
                .fileSystem, "Cannot create \(file.path): \(String(cString: strerror(errno))).")
        }
        defer { close(descriptor) }
        func failure(_ what: String, _ number: Int32 = errno) -> FerryError {
            FerryError(
                .fileSystem, "Cannot \(what) \(file.path): \(String(cString: strerror(number))).")
        }
        // A file that was there keeps its mode through O_CREAT: made private here.
        guard fchmod(descriptor, 0o600) == 0 else { throw failure("make private") }
        if let number = data.withUnsafeBytes({ writeWhole(descriptor, $0) }) {
            throw failure("write", number)
        }
        guard fsync(descriptor) == 0 else { throw failure("sync") }
        CrashPoint.reach("file.synced")
    }

    /// Flushes a file's (or folder's) data to the disk.
    ///
    /// - Throws: ``FerryError`` when the file cannot be opened or synced.
    public static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw FerryError(
                .fileSystem,
                "Cannot open \(url.path) to sync it: \(String(cString: strerror(errno))).")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FerryError(
                .fileSystem, "Cannot sync \(url.path) to disk: \(String(cString: strerror(errno)))."
            )
        }
        CrashPoint.reach("file.synced")
    }

    /// Renames a synced file into place and syncs its folder, so that the
    /// new name survives a crash.
    public static func moveIntoPlace(_ temporary: URL, to final: URL) throws {
        guard rename(temporary.path, final.path) == 0 else {
            throw FerryError(
                .fileSystem,
                "Cannot rename \(temporary.lastPathComponent) to \(final.path): \(String(cString: strerror(errno)))."
            )
        }
        CrashPoint.reach("file.renamed")
        try sync(final.deletingLastPathComponent())
    }

    /// Writes data to a new private file durably: written in a
    /// ``WorkFolder`` beside it (so a killed writer's file is removed by the
    /// next run, and two writers never share a temporary name), synced, then
    /// renamed into place.
    public static func writeDurably(_ data: Data, to file: URL) throws {
        let work = try WorkFolder.make("write", in: file.deletingLastPathComponent())
        defer { work.remove() }
        let temporary = work.url.appendingPathComponent(file.lastPathComponent)
        try writePrivateFile(data, to: temporary)
        try moveIntoPlace(temporary, to: file)
    }

    /// The SHA-256 of a file, read in pieces so that large files need little memory.
    public static func sha256(of file: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw FerryError(.fileSystem, "Cannot read \(file.path).")
        }
        defer { try? handle.close() }
        var hasher = Checksum.Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.finalize()
    }

    /// Syncs a file to the disk and computes its SHA-256 at the same time, on
    /// two threads: the sync waits for the disk and the checksum for the
    /// processor, and on a large backup each took about half as long as the copy.
    ///
    /// - Throws: ``FerryError`` when the file cannot be synced or read.
    public static func syncAndHash(_ file: URL) async throws -> String {
        try await whileBlocking(alongside: { try sync(file) }) {
            try await blocking { try sha256(of: file) }
        }
    }

    /// The size of a file in bytes, or 0 when it does not exist.
    public static func size(of path: String) -> Int64 {
        // `stat` itself: Foundation's attributes also look up the owner's and group's names,
        // reading /etc/passwd and /etc/group each time.
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return Int64(status.st_size)
    }

    /// The bytes free for this user on the file system that holds a folder,
    /// or nil when it cannot be known.
    public static func freeSpace(at folder: URL) -> Int64? {
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// The bytes of the regular files inside a folder and its subfolders
    /// (0 when it cannot be read).
    ///
    /// - Parameter folder: The folder.
    public static func bytesUsed(in folder: URL) -> Int64 {
        guard
            let walk = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return 0 }
        var total: Int64 = 0
        for case let file as URL in walk {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += Int64(values?.fileSize ?? 0) }
        }
        return total
    }

    /// `1.2 MB`, `340 kB`, `12 B`.
    public static func formatBytes(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
