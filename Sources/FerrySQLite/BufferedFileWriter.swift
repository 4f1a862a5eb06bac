import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes to a new file through a fixed buffer, so that a dump of any
/// size needs little memory, and computes the file's SHA-256 on the way.
///
/// A full buffer goes to a thread of its own, which writes and hashes it
/// while the caller fills the other buffer: formatting rows, writing them
/// and hashing them share the cores instead of taking turns on one (and the
/// checksum needs no second read of the file).
final class BufferedFileWriter: @unchecked Sendable {
    // The caller owns `buffer`; the drain thread owns `pending` (and the
    // hasher and `failure`) from the moment `flush()` hands it over until
    // it signals `idle`, which the caller waits for before touching them.
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var pending: [UInt8] = []
    private var hasher = Checksum.Hasher()
    /// The bytes in the file.
    private var written: Int64 = 0
    private var failure: FerryError?
    private let drain = DispatchQueue(label: "ferry.file-writer")
    private let idle = DispatchSemaphore(value: 1)
    private var isClosed = false
    private let capacity: Int
    /// Told of each piece once it is in the file, when another thread reads the file as it grows.
    private let growing: GrowingFile?
    let url: URL

    init(creating url: URL, capacity: Int = 1 << 20, following growing: GrowingFile? = nil) throws {
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FerryError(
                .fileSystem, "Cannot create \(url.path): \(String(cString: strerror(errno))).",
                changes: "Nothing was changed.")
        }
        self.url = url
        self.capacity = capacity
        self.growing = growing
        buffer.reserveCapacity(capacity + 4096)
        pending.reserveCapacity(capacity + 4096)
    }

    deinit {
        if !isClosed {
            idle.wait()
            _ = closeFile(descriptor)
            // A semaphore freed below the value it was made with is a fault of libdispatch's
            // (the process traps): a writer dropped after a failed write crashed `ferry`.
            idle.signal()
        }
    }

    /// Appends text; call ``flushIfFull()`` now and then.
    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    func write(_ byte: UInt8) {
        buffer.append(byte)
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Flushes the buffer when it is full.
    func flushIfFull() throws {
        if buffer.count >= capacity { try flush() }
    }

    /// Hands the buffer to the drain thread, once it has written the last.
    ///
    /// - Throws: ``FerryError`` when an earlier piece could not be written.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        idle.wait()
        if let failure {
            idle.signal()
            throw failure
        }
        swap(&buffer, &pending)
        drain.async { [self] in
            writeAndHashPending()
            idle.signal()
        }
    }

    /// Writes what is left and closes the file; its owner syncs it (a
    /// backup does, once its check may read it).
    ///
    /// - Returns: The file's SHA-256, as lowercase hexadecimal.
    /// - Throws: ``FerryError`` when the file cannot be written.
    @discardableResult
    func close() throws -> String {
        try flush()
        idle.wait()
        defer { idle.signal() }
        isClosed = true
        let closed = closeFile(descriptor) == 0 ? nil : errno
        if let failure { throw failure }
        if let closed { throw Self.failure(url, closed) }
        return hasher.finalize()
    }

    /// On the drain thread: writes `pending` whole, adds it to the checksum, empties it.
    private func writeAndHashPending() {
        defer { pending.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        let number: Int32? = pending.withUnsafeBytes { bytes in
            guard let number = writeWhole(descriptor, bytes) else {
                growing?.grew(by: bytes.count)
                hasher.update(bytes)
                Writeback.start(descriptor, from: written, count: bytes.count)
                written += Int64(bytes.count)
                return nil
            }
            return number
        }
        if let number { failure = Self.failure(url, number) }
    }

    private static func failure(_ url: URL, _ number: Int32) -> FerryError {
        FerryError(.fileSystem, "Cannot write \(url.path): \(String(cString: strerror(number))).")
    }
}

// The system's call under a name of its own: the writer's method hides `close`.
private func closeFile(_ descriptor: Int32) -> Int32 { close(descriptor) }
