import Foundation

/// A small file system of its own for one test: a tmpfs of a few megabytes
/// mounted on a new folder (as root), so that a test can fill it. Unmount it
/// with ``unmount()`` at the end of the test.
public final class SmallDisk: @unchecked Sendable {
    /// The mounted folder.
    public let folder: URL

    /// Mounts a tmpfs of `megabytes` on a new folder in the temporary folder.
    ///
    /// - Throws: When `mount` fails (the tests run as root, which it needs).
    public init(megabytes: Int) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-small-disk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let status = try Self.run(
            "mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path])
        guard status == 0 else {
            try? FileManager.default.removeItem(at: folder)
            throw CocoaError(
                .fileWriteNoPermission,
                userInfo: [NSFilePathErrorKey: "mount tmpfs on \(folder.path): exit \(status)"])
        }
    }

    /// Mounts it again read-only, or read-write (its files stay).
    public func remount(readOnly: Bool) throws {
        let status = try Self.run(
            "mount", ["-o", readOnly ? "remount,ro" : "remount,rw", folder.path])
        guard status == 0 else {
            throw CocoaError(
                .fileWriteNoPermission,
                userInfo: [NSFilePathErrorKey: "remount \(folder.path): exit \(status)"])
        }
    }

    /// Unmounts the file system and removes the folder.
    public func unmount() {
        _ = try? Self.run("umount", [folder.path])
        try? FileManager.default.removeItem(at: folder)
    }

    /// The bytes free on it now.
    public var freeBytes: Int64 {
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { return 0 }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    private static func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
