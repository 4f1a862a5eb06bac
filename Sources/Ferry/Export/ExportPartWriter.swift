import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one table's rows into `data/<table>/NNNN.jsonl` parts of bounded
/// size, each private (0600), synced, and hashed as it is written.
///
/// Rows are encoded into a buffer that goes to the file a megabyte at a
/// time, so memory stays small whatever the table's size.
final class ExportPartWriter {
    private let folder: URL
    private let relativeFolder: String
    private let partBytes: Int64
    private let types: [LogicalType]
    /// The gzip stream of the current part, with `--compress`.
    private let gzip: GzipStream?
    private var buffer: [UInt8] = []
    private var compressed: [UInt8] = []
    private var descriptor: Int32 = -1
    private var hasher = Checksum.Hasher()
    private var currentName = ""
    /// The rows' bytes in the current part, before compression: what the bound counts.
    private var currentBytes: Int64 = 0
    /// The bytes written to the current part's file.
    private var fileBytes: Int64 = 0
    private var currentRows = 0
    /// The parts written so far.
    private(set) var files: [ExportManifest.File] = []
    /// The rows written so far.
    private(set) var rowCount = 0

    init(
        folder: URL, relativeFolder: String, partBytes: Int64, types: [LogicalType],
        compress: Bool
    ) throws {
        self.folder = folder
        self.relativeFolder = relativeFolder
        self.partBytes = partBytes
        self.types = types
        gzip = compress ? try GzipStream(.compress) : nil
        buffer.reserveCapacity(Self.flushEvery + 4096)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    private static let flushEvery = 1 << 20

    /// Adds a row, starting a new part when the current one is full.
    func add(_ values: [ExportValue]) throws {
        if descriptor < 0 { try openPart() }
        let before = buffer.count
        RowCodec.append(values, types: types, to: &buffer)
        currentBytes += Int64(buffer.count - before)
        currentRows += 1
        rowCount += 1
        if buffer.count >= Self.flushEvery { try flush() }
        if currentBytes >= partBytes { try closePart() }
    }

    /// Finishes the last part; a table without rows has no part.
    func finish() throws {
        if descriptor >= 0 { try closePart() }
    }

    private func openPart() throws {
        currentName = String(format: "%04d.jsonl", files.count + 1) + (gzip == nil ? "" : ".gz")
        let url = folder.appendingPathComponent(currentName)
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create \(url.path)") }
        hasher = Checksum.Hasher()
        currentBytes = 0
        fileBytes = 0
        currentRows = 0
    }

    /// Hands the buffered rows to the file (through gzip with `--compress`);
    /// `ending` ends the part's gzip stream.
    private func flush(ending: Bool = false) throws {
        if let gzip {
            compressed.removeAll(keepingCapacity: true)
            do {
                try gzip.compress(buffer, finish: ending, into: &compressed)
            } catch {
                throw FerryError(
                    .fileSystem, "Cannot compress \(currentName): \(error).",
                    changes: "The database was not changed; the unfinished export has no manifest.")
            }
            buffer.removeAll(keepingCapacity: true)
            try write(compressed)
        } else {
            try write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        hasher.update(bytes)
        fileBytes += Int64(bytes.count)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = writeBytes(descriptor, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else {
                    if written < 0 && errno == EINTR { continue }
                    throw failure("write \(folder.appendingPathComponent(currentName).path)")
                }
                offset += written
            }
        }
    }

    private func closePart() throws {
        try flush(ending: true)
        guard fsync(descriptor) == 0 else {
            throw failure("sync \(folder.appendingPathComponent(currentName).path)")
        }
        close(descriptor)
        descriptor = -1
        files.append(
            ExportManifest.File(
                path: relativeFolder + "/" + currentName, bytes: fileBytes,
                sha256: hasher.finalize(), rows: currentRows))
    }

    private func failure(_ what: String) -> any Error {
        if errno == ENOSPC {
            return ExportFolderFull(file: folder.appendingPathComponent(currentName))
        }
        let reason = String(cString: strerror(errno))
        return FerryError(
            .fileSystem, "Cannot \(what): \(reason).",
            changes: "The database was not changed; the unfinished export has no manifest.",
            advice: errno == ENOSPC
                ? "Free space where the export goes, or export elsewhere, then export again into an empty folder."
                : "Check the destination folder, then export again into an empty folder.")
    }
}

/// `write(2)`, named so that it does not meet a method called `write`.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
