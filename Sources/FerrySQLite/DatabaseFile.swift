import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a database path names on disk, found with `stat(2)` and
/// `realpath(3)` only.
///
/// The database file itself is never opened here: in a process that has it
/// open through SQLite, closing any other descriptor of the file would drop
/// that process's POSIX locks on it, SQLite's included.
struct DatabaseFile: Sendable {
    /// The path as given.
    let path: String

    /// Whether something is at the path (after following symbolic links);
    /// throws when it is not a regular file.
    ///
    /// A FIFO given as the database would block SQLite's `open` until a
    /// writer comes, and a device or a folder is no database either: they
    /// are refused before anything opens them.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming what is there.
    func exists() throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return false }
            let reason = String(cString: strerror(errno))
            throw FerryError(
                .databaseUnavailable, "Cannot look at the SQLite database \(path): \(reason).",
                changes: "Nothing was changed.",
                advice: errno == EACCES
                    ? "Make its folder readable for this user."
                    : "Check \(.database), FERRY_DATABASE or [database] url.")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FerryError(
                .invalidConfiguration,
                "\(path) is \(Self.kind(of: info.st_mode)), not a database file: Ferry opens only regular files.",
                changes: "Nothing was changed.",
                advice:
                    "Check \(.database), FERRY_DATABASE or [database] url: it must name the application's SQLite file."
            )
        }
        return true
    }

    /// The kind of a file that is not a regular one, for messages.
    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// The path with every symbolic link followed, in its folders and in
    /// its last name, made absolute: every path to one file gives the same.
    ///
    /// For a file that does not exist yet, its folder is resolved and the
    /// name kept (a dangling link is followed to the name it points at).
    var resolvedPath: String {
        // A path without `.` or `..` names the same file standardized or not: the kernel resolves it
        // as given, without the URLs (start-up asks this at every check of the lock).
        if !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }),
            let resolved = Self.realPath(path)
        {
            return resolved
        }
        var current = URL(fileURLWithPath: path).standardizedFileURL.path
        // A chain of links to a missing file: follow them by hand, at most as far as the kernel would.
        for _ in 0..<40 {
            if let resolved = Self.realPath(current) { return resolved }
            guard let target = Self.linkTarget(current) else { break }
            let folder = URL(fileURLWithPath: current).deletingLastPathComponent()
            current = URL(fileURLWithPath: target, relativeTo: folder).standardizedFileURL.path
        }
        let url = URL(fileURLWithPath: current)
        let folder = url.deletingLastPathComponent().path
        let resolvedFolder = Self.realPath(folder) ?? folder
        return URL(fileURLWithPath: resolvedFolder).appendingPathComponent(url.lastPathComponent)
            .path
    }

    /// The file's device and inode when it has other hard links (names in
    /// any folder): those names share no path, only the inode.
    var hardLinkedInode: (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink > 1 else {
            return nil
        }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
