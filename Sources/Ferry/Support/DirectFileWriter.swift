#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a new file that is synced at its end straight to the disk, where
/// the file system allows it (`O_DIRECT` on Linux).
///
/// Whole blocks go from one aligned buffer to the device as they fill,
/// instead of being copied into the page cache and written out again by the
/// final sync: the copy was a quarter of an export's time, and the sync of a
/// 64 MiB part stalled the writer for up to half a second. What is left
/// shorter than a block at the end goes through the page cache, and a file
/// system that refuses direct writes (tmpfs before Linux 6.6, some network
/// file systems) gets ordinary ones from the same buffer; the file's bytes
/// are the same either way.
final class DirectFileWriter {
    /// A system call that failed, with its `errno`.
    struct Failure: Error {
        /// What was being done, for a message: "create", "write", "sync".
        let action: String
        /// The `errno` value.
        let code: Int32
    }

    /// The alignment of the buffer, of each direct write's length and of its
    /// offset: 4096, the largest logical block size of common devices.
    static let blockBytes = 4096

    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var isDirect: Bool
    private var isClosed = false

    /// Creates the file (it must not exist) with `mode`.
    ///
    /// - Parameters:
    ///   - path: The new file.
    ///   - mode: Its permissions.
    ///   - bufferBytes: How much is written at a time (rounded up to a block).
    /// - Throws: ``Failure`` ("create") when the file cannot be created.
    init(creating path: String, mode: mode_t = 0o600, bufferBytes: Int = 1 << 20) throws {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var descriptor: Int32 = -1
        var isDirect = false
        if let direct = Self.directFlag {
            descriptor = open(path, flags | direct, mode)
            isDirect = descriptor >= 0
            // EINVAL: this file system has no direct writes; the file was not created.
            if descriptor < 0 && errno != EINVAL { throw Failure(action: "create", code: errno) }
        }
        if descriptor < 0 { descriptor = open(path, flags, mode) }
        guard descriptor >= 0 else { throw Failure(action: "create", code: errno) }
        self.descriptor = descriptor
        self.isDirect = isDirect
        let capacity =
            max(1, (bufferBytes + Self.blockBytes - 1) / Self.blockBytes) * Self.blockBytes
        buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: capacity, alignment: Self.blockBytes)
    }

    deinit {
        if !isClosed { close(descriptor) }
        buffer.deallocate()
    }

    /// `O_DIRECT` where this platform's value is known.
    private static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        return 0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        return 0o200000
        #else
        return nil
        #endif
    }

    /// Appends bytes, writing each full buffer.
    ///
    /// - Throws: ``Failure`` ("write") when a write fails (`ENOSPC` when the
    ///   disk is full).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = min(buffer.count - filled, bytes.count - offset)
            (buffer.baseAddress! + filled).copyMemory(
                from: bytes.baseAddress! + offset, byteCount: count)
            filled += count
            offset += count
            if filled == buffer.count { try writeBuffer(count: filled) }
        }
    }

    /// Writes what is left, syncs the file and closes it.
    ///
    /// - Throws: ``Failure`` ("write" or "sync").
    func finish() throws {
        let blocks = filled / Self.blockBytes * Self.blockBytes
        if blocks > 0 { try writeBuffer(count: blocks) }
        if filled > 0 {
            // The tail is shorter than a block: through the page cache, synced below.
            if isDirect { try stopDirectWrites() }
            try writeBuffer(count: filled)
        }
        guard fsync(descriptor) == 0 else { throw Failure(action: "sync", code: errno) }
        isClosed = true
        guard close(descriptor) == 0 else { throw Failure(action: "close", code: errno) }
    }

    /// Writes the buffer's first `count` bytes and moves what follows them to its start.
    private func writeBuffer(count: Int) throws {
        var written = 0
        while written < count {
            let result = write(descriptor, buffer.baseAddress! + written, count - written)
            if result > 0 {
                written += result
                continue
            }
            if result < 0 && errno == EINTR { continue }
            if result < 0 && errno == EINVAL && isDirect {
                // The file system took the flag but not this write: ordinary writes from here.
                try stopDirectWrites()
                continue
            }
            throw Failure(action: "write", code: result == 0 ? EIO : errno)
        }
        if count < filled {
            buffer.baseAddress!.copyMemory(
                from: buffer.baseAddress! + count, byteCount: filled - count)
        }
        filled -= count
    }

    private func stopDirectWrites() throws {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~(Self.directFlag ?? 0)) == 0 else {
            throw Failure(action: "write", code: errno)
        }
        isDirect = false
    }
}
