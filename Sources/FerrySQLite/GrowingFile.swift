import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written by one thread and read by another as it grows: the
/// writer says how many bytes it has written and when it has finished, and
/// the reader, at the end of what is there, waits for more instead of
/// taking it for the file's end.
///
/// The full check of an SQL backup loads the dump from the file while the
/// dump is written, and a native copy's checksum is computed while the copy
/// is written, so that writing and reading share the cores instead of
/// taking turns. The bytes loaded or hashed are still those read back from
/// the file.
final class GrowingFile: @unchecked Sendable {
    private let condition = NSCondition()
    private var written: Int64 = 0
    private var ended = false
    private var failure: (any Error)?

    /// On the writing thread: `count` more bytes are in the file.
    func grew(by count: Int) {
        condition.lock()
        defer { condition.unlock() }
        written += Int64(count)
        condition.broadcast()
    }

    /// On the writing thread: no more bytes will come; `error` when the
    /// writing failed, so that the file is not whole.
    func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        failure = error
        ended = true
        condition.broadcast()
    }

    /// On the reading thread, which has read `read` bytes and found no more:
    /// waits until more are written (true) or the writing has finished (false).
    ///
    /// - Throws: The writer's failure: what was read is not a whole file.
    func waitForMore(than read: Int64) throws -> Bool {
        try written(beyond: read) != nil
    }

    /// On the reading thread, which has read `read` bytes: waits until more
    /// are written and returns how many the file then holds, or nil once the
    /// writing has finished with no more.
    ///
    /// - Throws: The writer's failure: what was read is not a whole file.
    func written(beyond read: Int64) throws -> Int64? {
        condition.lock()
        defer { condition.unlock() }
        while written <= read && !ended { condition.wait() }
        if written > read { return written }
        if let failure { throw failure }
        return nil
    }

    /// On the reading thread: the SHA-256 of the file, read back as it is
    /// written (never past what the writer said it wrote), as lowercase
    /// hexadecimal.
    ///
    /// - Throws: The writer's failure; ``FerryError`` when the file cannot be read.
    func sha256(of file: URL) throws -> String {
        // Opened once something is written: a writer that ends having written nothing may not
        // have made the file.
        var descriptor: Int32 = -1
        defer { if descriptor >= 0 { close(descriptor) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = Checksum.Hasher()
        var read: Int64 = 0
        while let available = try written(beyond: read) {
            if descriptor < 0 {
                descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw Self.unreadable(file, errno) }
            }
            while read < available {
                let count = pread(
                    descriptor, buffer.baseAddress, Int(min(Int64(buffer.count), available - read)),
                    off_t(read))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw Self.unreadable(file, count < 0 ? errno : EIO) }
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                Writeback.start(descriptor, from: read, count: count)
                read += Int64(count)
            }
        }
        return hasher.finalize()
    }

    private static func unreadable(_ file: URL, _ number: Int32) -> FerryError {
        FerryError(.fileSystem, "Cannot read \(file.path): \(String(cString: strerror(number))).")
    }
}
