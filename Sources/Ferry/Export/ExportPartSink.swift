import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The encoding and writing half of an ``ExportPartWriter``: on a serial
/// queue of its own, it encodes each batch of rows (``RowCodec``), starts a
/// new part (0600) when the current one holds `partBytes` of rows,
/// compresses it with `--compress`, hashes what goes to the file, writes it
/// (``DirectFileWriter``), and syncs and closes each part as it ends, while
/// the caller's thread reads the next rows.
///
/// The caller's calls are taken in order. A failure is kept and thrown by
/// the caller's next call; what comes after it is not done.
final class ExportPartSink: @unchecked Sendable {
    private let folder: URL
    private let relativeFolder: String
    /// What each part's name starts with: empty, or a piece's own (``ExportPartWriter``).
    private let namePrefix: String
    private let queue = DispatchQueue(label: "ferry.export.part-sink")
    /// Batches handed over and not yet written: at most two, so that memory stays bounded.
    private let inFlight = DispatchSemaphore(value: 2)
    /// Emptied batches, kept for their storage.
    private let spares = Locked<[BatchBox]>([])
    private let batchCapacity: Int
    private let hasFailed = Locked(false)
    /// The rows handed over so far (touched on the caller's thread only).
    private(set) var rowsHandedOver = 0

    // Touched on `queue` only.
    private let partBytes: Int64
    private let types: [LogicalType]
    private let gzip: GzipStream?
    private var encoded: [UInt8] = []
    /// Where a row is written before it goes into `encoded` in one copy.
    private let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
    private var compressed: [UInt8] = []
    private var file: DirectFileWriter?
    private var hasher = Checksum.Hasher()
    private var partsStarted = 0
    private var currentName = ""
    private var fileBytes: Int64 = 0
    /// The rows' bytes in the current part, before compression: what the bound counts.
    private var partRowBytes: Int64 = 0
    private var partRows = 0
    private var files: [ExportManifest.File] = []
    private var failure: (any Error)?

    /// Encoded rows go to the file a megabyte at a time.
    private static let flushBytes = 1 << 20

    init(
        folder: URL, relativeFolder: String, namePrefix: String = "", partBytes: Int64,
        types: [LogicalType], compress: Bool, batchCapacity: Int
    ) throws {
        self.folder = folder
        self.relativeFolder = relativeFolder
        self.namePrefix = namePrefix
        self.partBytes = partBytes
        self.types = types
        self.batchCapacity = batchCapacity
        gzip = compress ? try GzipStream(.compress) : nil
        encoded.reserveCapacity(Self.flushBytes + 4096)
    }

    deinit {
        scratch.deallocate()
    }

    /// Holds a batch that changes hands between threads: a batch is moved
    /// into and out of it by `swap`, never copied, so that its arrays keep
    /// one owner and their storage is reused.
    private final class BatchBox: @unchecked Sendable {
        var batch: ExportRowBatch

        init(_ batch: ExportRowBatch) { self.batch = batch }
    }

    /// Hands a batch over to be encoded and written, leaving `batch` empty
    /// (another batch); waits while two are still in hand.
    func write(_ batch: inout ExportRowBatch) throws {
        try throwIfFailed()
        inFlight.wait()
        let box =
            spares.withLock { $0.popLast() }
            ?? BatchBox(ExportRowBatch(valueCapacity: batchCapacity))
        swap(&box.batch, &batch)
        rowsHandedOver += box.batch.rowCount
        queue.async { [self] in
            if failure == nil { encode(box.batch) }
            box.batch.removeAll()
            spares.withLock { $0.append(box) }
            inFlight.signal()
        }
    }

    /// Ends the last part and waits for everything handed over.
    ///
    /// - Returns: The parts written, in order.
    /// - Throws: The first failure.
    func finish() throws -> [ExportManifest.File] {
        try queue.sync { [self] in
            if failure == nil && file != nil { endPart() }
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

    /// On `queue`: encodes a batch's rows, starting and ending parts on the way.
    private func encode(_ batch: ExportRowBatch) {
        let rows = batch.rowCount
        var row = 0
        var cursor = ExportRowBatch.Cursor()
        batch.withPayload { payload in
            while row < rows {
                if file == nil { startPart() }
                guard failure == nil else { return }
                // The rows go into a local buffer (a stored property's every change is checked).
                var buffer: [UInt8] = []
                swap(&buffer, &encoded)
                var bytes = partRowBytes
                var encodedRows = 0
                while row < rows && buffer.count < Self.flushBytes && bytes < partBytes {
                    let before = buffer.count
                    RowCodec.append(
                        batch, payload: payload, at: &cursor, types: types, to: &buffer,
                        scratch: scratch)
                    bytes += Int64(buffer.count - before)
                    encodedRows += 1
                    row += 1
                }
                swap(&buffer, &encoded)
                partRowBytes = bytes
                partRows += encodedRows
                if encoded.count >= Self.flushBytes { process(ending: false) }
                if partRowBytes >= partBytes { endPart() }
            }
        }
        if failure == nil && !encoded.isEmpty { process(ending: false) }
    }

    /// The name of a table's part `number` (from 1): `NNNN.jsonl`, `.gz` added with `--compress`.
    static func partName(_ number: Int, compressed: Bool) -> String {
        String(format: "%04d.jsonl", number) + (compressed ? ".gz" : "")
    }

    /// On `queue`: creates the next part, its name after the prefix.
    private func startPart() {
        partsStarted += 1
        currentName = namePrefix + Self.partName(partsStarted, compressed: gzip != nil)
        do {
            file = try DirectFileWriter(creating: folder.appendingPathComponent(currentName).path)
        } catch {
            return fail(error)
        }
        hasher = Checksum.Hasher()
        fileBytes = 0
        partRowBytes = 0
        partRows = 0
    }

    /// On `queue`: ends the current part: its last rows, the end of its gzip
    /// stream, then sync and close.
    private func endPart() {
        process(ending: true)
        guard failure == nil else { return }
        do {
            try file?.finish()
            file = nil
        } catch {
            return fail(error)
        }
        files.append(
            ExportManifest.File(
                path: relativeFolder + "/" + currentName, bytes: fileBytes,
                sha256: hasher.finalize(), rows: partRows))
    }

    /// On `queue`: compresses (with `--compress`), hashes and writes the
    /// encoded rows, leaving the buffer empty.
    private func process(ending: Bool) {
        defer { encoded.removeAll(keepingCapacity: true) }
        guard let gzip else { return writeToFile(encoded) }
        if encoded.isEmpty && !ending { return }
        compressed.removeAll(keepingCapacity: true)
        do {
            try gzip.compress(encoded, finish: ending, into: &compressed)
        } catch {
            return record(
                FerryError(
                    .fileSystem, "Cannot compress \(currentName): \(error).",
                    changes:
                        "The database was not changed; the unfinished export has no manifest."))
        }
        writeToFile(compressed)
    }

    private func writeToFile(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        hasher.update(bytes)
        fileBytes += Int64(bytes.count)
        do {
            try bytes.withUnsafeBytes { try file?.append($0) }
        } catch {
            fail(error)
        }
    }

    /// Keeps the failure of a system call on the current part.
    private func fail(_ error: any Error) {
        let failure = error as? DirectFileWriter.Failure ?? .init(action: "write", code: EIO)
        let file = folder.appendingPathComponent(currentName)
        if failure.code == ENOSPC {
            // A piece's part is renamed at the end: its table's folder is what the user knows.
            return record(ExportFolderFull(file: namePrefix.isEmpty ? file : folder))
        }
        let reason = String(cString: strerror(failure.code))
        record(
            FerryError(
                .fileSystem, "Cannot \(failure.action) \(file.path): \(reason).",
                changes: "The database was not changed; the unfinished export has no manifest.",
                advice: "Check the destination folder, then export again into an empty folder."))
    }

    private func record(_ error: any Error) {
        if failure == nil { failure = error }
        hasFailed.withLock { $0 = true }
    }
}
