import Ferry
import Foundation
import GRDB

/// Tells a full disk from other SQLite failures, so that a message says
/// the disk is full instead of blaming a migration, a backup or the file.
enum DiskSpace {
    /// Whether an SQLite failure on a file in `folder` means that its file
    /// system has no room left: `SQLITE_FULL`, or an I/O error (a write
    /// refused with `ENOSPC` can surface as one) while almost nothing is free.
    static func isFull(_ code: ResultCode, near path: String) -> Bool {
        switch code.primaryResultCode {
        case .SQLITE_FULL: return true
        case .SQLITE_IOERR: return (free(near: path) ?? .max) < 1 << 20
        default: return false
        }
    }

    /// What happened, for a message: "the disk that holds FOLDER is full".
    static func sentence(near path: String) -> String {
        "the file system that holds \(folder(of: path)) is full (\(FileSafety.formatBytes(free(near: path) ?? 0)) free)"
    }

    /// What to do about it.
    static func advice(near path: String) -> String {
        "Free space on the file system that holds \(folder(of: path)) (SQLite needs room for the database to grow "
            + "and for its journal, about as large as the data a transaction changes), then run the command again."
    }

    private static func folder(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    private static func free(near path: String) -> Int64? {
        FileSafety.freeSpace(at: URL(fileURLWithPath: folder(of: path)))
    }
}
