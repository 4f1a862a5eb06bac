import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The writing half of an ``ExportPartWriter``: on a serial queue of its
/// own, it creates each part (0600), compresses it with `--compress`, hashes
/// what goes to the file, writes it, and syncs and closes it when the part
/// ends, while the caller's thread encodes the next rows.
///
/// The caller's calls are taken in order. A failure is kept and thrown by
/// the caller's next call; what comes after it is not done.
final class ExportPartSink: @unchecked Sendable {
    private let folder: URL
    private let relativeFolder: String
    private let queue = DispatchQueue(label: "ferry.export.part-sink")
    /// Buffers handed over and not yet written: at most two, so that memory stays bounded.
    private let inFlight = DispatchSemaphore(value: 2)
    private let spares = Locked<[[UInt8]]>([])
    private let bufferBytes: Int
    private let hasFailed = Locked(false)

    // Touched on `queue` only.
    private let gzip: GzipStream?
    private var compressed: [UInt8] = []
    private var descriptor: Int32 = -1
    private var hasher = Checksum.Hasher()
    private var currentName = ""
    private var fileBytes: Int64 = 0
    private var files: [ExportManifest.File] = []
    private var failure: (any Error)?

    init(folder: URL, relativeFolder: String, compress: Bool, bufferBytes: Int) throws {
        self.folder = folder
        self.relativeFolder = relativeFolder
        self.bufferBytes = bufferBytes
        gzip = compress ? try GzipStream(.compress) : nil
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// An empty buffer with room for a flush: a spare one when there is.
    func emptyBuffer() -> [UInt8] {
        if var spare = spares.withLock({ $0.popLast() }) {
            // Emptied here, once the writer has let go of it: its storage is kept.
            spare.removeAll(keepingCapacity: true)
            return spare
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(bufferBytes)
        return buffer
    }

    /// Creates the next part, `name` (`.gz` added with `--compress`).
    func startPart(named name: String) throws {
        try throwIfFailed()
        queue.async { [self] in
            guard failure == nil else { return }
            currentName = name + (gzip == nil ? "" : ".gz")
            let url = folder.appendingPathComponent(currentName)
            descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { return fail("create \(url.path)") }
            hasher = Checksum.Hasher()
            fileBytes = 0
        }
    }

    /// Hands the buffer's bytes over to be written, leaving `buffer` empty
    /// (another buffer); waits while two are still being written.
    func write(_ buffer: inout [UInt8]) throws {
        try throwIfFailed()
        guard !buffer.isEmpty else { return }
        inFlight.wait()
        var bytes = emptyBuffer()
        swap(&bytes, &buffer)
        queue.async { [self, bytes] in
            if failure == nil { process(bytes, ending: false) }
            spares.withLock { $0.append(bytes) }
            inFlight.signal()
        }
    }

    /// Ends the current part: the end of its gzip stream, then sync and close.
    ///
    /// - Parameter rows: The rows it holds.
    func endPart(rows: Int) throws {
        try throwIfFailed()
        queue.async { [self] in
            guard failure == nil else { return }
            if gzip != nil { process([], ending: true) }
            guard failure == nil else { return }
            guard fsync(descriptor) == 0 else {
                return fail("sync \(folder.appendingPathComponent(currentName).path)")
            }
            close(descriptor)
            descriptor = -1
            files.append(
                ExportManifest.File(
                    path: relativeFolder + "/" + currentName, bytes: fileBytes,
                    sha256: hasher.finalize(), rows: rows))
        }
    }

    /// Waits for everything handed over.
    ///
    /// - Returns: The parts written, in order.
    /// - Throws: The first failure.
    func finish() throws -> [ExportManifest.File] {
        try queue.sync { [self] in
            if let failure { throw failure }
            return files
        }
    }

    /// Waits for everything handed over, failed or not.
    func drain() {
        queue.sync {}
    }

    private func throwIfFailed() throws {
        guard hasFailed.value else { return }
        _ = try finish()
    }

    /// On `queue`: compresses (with `--compress`), hashes and writes bytes.
    private func process(_ bytes: [UInt8], ending: Bool) {
        if let gzip {
            compressed.removeAll(keepingCapacity: true)
            do {
                try gzip.compress(bytes, finish: ending, into: &compressed)
            } catch {
                return record(
                    FerryError(
                        .fileSystem, "Cannot compress \(currentName): \(error).",
                        changes:
                            "The database was not changed; the unfinished export has no manifest."))
            }
            writeToFile(compressed)
        } else {
            writeToFile(bytes)
        }
    }

    private func writeToFile(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        hasher.update(bytes)
        fileBytes += Int64(bytes.count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = writeBytes(descriptor, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else {
                    if written < 0 && errno == EINTR { continue }
                    return fail("write \(folder.appendingPathComponent(currentName).path)")
                }
                offset += written
            }
        }
    }

    /// Keeps the failure of the system call that just failed, by its `errno`.
    private func fail(_ what: @autoclosure () -> String) {
        let code = errno
        if code == ENOSPC {
            return record(ExportFolderFull(file: folder.appendingPathComponent(currentName)))
        }
        let reason = String(cString: strerror(code))
        record(
            FerryError(
                .fileSystem, "Cannot \(what()): \(reason).",
                changes: "The database was not changed; the unfinished export has no manifest.",
                advice: "Check the destination folder, then export again into an empty folder."))
    }

    private func record(_ error: any Error) {
        if failure == nil { failure = error }
        hasFailed.withLock { $0 = true }
    }
}

/// `write(2)`, named so that it does not meet the sink's method `write`.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
