import Ferry
import Foundation

/// Writes bytes to a new file through a fixed buffer, so that a dump of any
/// size needs little memory.
final class BufferedFileWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let capacity: Int
    let url: URL

    init(creating url: URL, capacity: Int = 1 << 20) throws {
        guard
            FileManager.default.createFile(
                atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = try? FileHandle(forWritingTo: url)
        else {
            throw FerryError(
                .fileSystem, "Cannot create \(url.path).", changes: "Nothing was changed.")
        }
        self.url = url
        self.handle = handle
        self.capacity = capacity
        buffer.reserveCapacity(capacity + 4096)
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

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw FerryError(.fileSystem, "Cannot write \(url.path): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.synchronize()
        try handle.close()
    }
}
