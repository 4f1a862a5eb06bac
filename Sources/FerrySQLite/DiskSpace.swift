import Ferry
import Foundation
import GRDB

/// Tells a full disk from other SQLite failures, so that a message says
/// the disk is full instead of blaming a migration, a backup or the file.
///
/// SQLite writes to two places: the database's folder (the file, its
/// journal) and its temporary folder (a large sort's runs, a statement's
/// journal past 64 KiB, temporary tables), which is often a smaller file
/// system (`/tmp` in memory). When they differ, the message names the one
/// with less room left, and gives the other's room too.
enum DiskSpace {
    /// Whether an SQLite failure on a file in `folder` means that its file
    /// system has no room left: `SQLITE_FULL`, or an I/O error (a write
    /// refused with `ENOSPC` can surface as one) while almost nothing is free.
    static func isFull(_ code: ResultCode, near path: String) -> Bool {
        switch code.primaryResultCode {
        case .SQLITE_FULL: return true
        case .SQLITE_IOERR: return (fullest(near: path).free ?? .max) < 1 << 20
        default: return false
        }
    }

    /// What happened, for a message: "the file system that holds FOLDER is
    /// full (N free)", and where SQLite's temporary files go, when that is
    /// another file system.
    static func sentence(near path: String) -> String {
        let full = fullest(near: path)
        let room = FileSafety.formatBytes(full.free ?? 0)
        guard let other = places(near: path).first(where: { $0.folder != full.folder }) else {
            return "the file system that holds \(full.folder) is full (\(room) free)"
        }
        let otherRoom = FileSafety.formatBytes(other.free ?? 0)
        return full.isTemporary
            ? "the file system that holds SQLite's temporary files, \(full.folder), is full (\(room) free; "
                + "the database's folder \(other.folder) is on another file system, with \(otherRoom) free)"
            : "the file system that holds \(full.folder) is full (\(room) free; SQLite's temporary files go "
                + "to \(other.folder), on another file system, with \(otherRoom) free)"
    }

    /// What to do about it.
    static func advice(near path: String) -> String {
        let full = fullest(near: path)
        if full.isTemporary {
            return
                "Free space in SQLite's temporary folder \(full.folder) (large sorts such as CREATE INDEX "
                + "write there), or point SQLITE_TMPDIR at a folder with more room, then run the command again."
        }
        let temporary = places(near: path).first(where: \.isTemporary)
        return
            "Free space on the file system that holds \(full.folder) (SQLite needs room for the database to "
            + "grow and for its journal, about as large as the data a transaction changes"
            + (temporary.map {
                ", and in its temporary folder \($0.folder) for large sorts such as CREATE INDEX; "
                    + "SQLITE_TMPDIR names another"
            } ?? "")
            + "), then run the command again."
    }

    /// A folder SQLite writes in, and the room left on its file system.
    struct Place {
        let folder: String
        let isTemporary: Bool
        let device: UInt64?
        let free: Int64?
    }

    /// The database's folder, and SQLite's temporary folder when it is on
    /// another file system.
    static func places(near path: String) -> [Place] {
        let database = place(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        guard let temporary = temporaryFolder().map({ place($0, isTemporary: true) }),
            temporary.device != nil, temporary.device != database.device
        else { return [database] }
        return [database, temporary]
    }

    /// The place with the least room left (the database's folder on a tie).
    static func fullest(near path: String) -> Place {
        places(near: path).min { ($0.free ?? .max) < ($1.free ?? .max) }!
    }

    /// The folder SQLite's unix VFS puts its temporary files in: the first
    /// of `SQLITE_TMPDIR`, `TMPDIR`, `/var/tmp`, `/usr/tmp` and `/tmp` that is
    /// a folder it may write in.
    static func temporaryFolder() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates =
            [environment["SQLITE_TMPDIR"], environment["TMPDIR"]].compactMap { $0 }
            + ["/var/tmp", "/usr/tmp", "/tmp"]
        return candidates.first { folder in
            var status = stat()
            return stat(folder, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
                && access(folder, W_OK | X_OK) == 0
        }
    }

    private static func place(_ folder: String, isTemporary: Bool = false) -> Place {
        var status = stat()
        let device = stat(folder, &status) == 0 ? UInt64(status.st_dev) : nil
        return Place(
            folder: folder, isTemporary: isTemporary, device: device,
            free: FileSafety.freeSpace(at: URL(fileURLWithPath: folder)))
    }
}
