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
/// Rows are encoded on the caller's thread into a buffer that goes to an
/// ``ExportPartSink`` a megabyte at a time; the sink compresses, hashes,
/// writes and syncs on a thread of its own meanwhile, so that the two
/// halves of an export run side by side. Memory stays small whatever the
/// table's size: at most three buffers exist.
final class ExportPartWriter {
    private let partBytes: Int64
    private let types: [LogicalType]
    private let sink: ExportPartSink
    private var buffer: [UInt8]
    private var isPartOpen = false
    private var partsStarted = 0
    /// The rows' bytes in the current part, before compression: what the bound counts.
    private var currentBytes: Int64 = 0
    private var currentRows = 0
    /// The rows written so far.
    private(set) var rowCount = 0

    init(
        folder: URL, relativeFolder: String, partBytes: Int64, types: [LogicalType],
        compress: Bool
    ) throws {
        self.partBytes = partBytes
        self.types = types
        sink = try ExportPartSink(
            folder: folder, relativeFolder: relativeFolder, compress: compress,
            bufferBytes: Self.flushEvery + 4096)
        buffer = sink.emptyBuffer()
    }

    deinit {
        // A failed export removes its folder next: nothing may still be writing into it.
        sink.drain()
    }

    private static let flushEvery = 1 << 20

    /// Adds a row, starting a new part when the current one is full.
    func add(_ values: [ExportValue]) throws {
        if !isPartOpen { try openPart() }
        let before = buffer.count
        RowCodec.append(values, types: types, to: &buffer)
        currentBytes += Int64(buffer.count - before)
        currentRows += 1
        rowCount += 1
        if buffer.count >= Self.flushEvery { try flush() }
        if currentBytes >= partBytes { try closePart() }
    }

    /// Finishes the last part (a table without rows has none) and waits
    /// until every part is written and synced.
    ///
    /// - Returns: The parts.
    func finish() throws -> [ExportManifest.File] {
        if isPartOpen { try closePart() }
        return try sink.finish()
    }

    private func openPart() throws {
        partsStarted += 1
        try sink.startPart(named: String(format: "%04d.jsonl", partsStarted))
        isPartOpen = true
        currentBytes = 0
        currentRows = 0
    }

    private func flush() throws {
        try sink.write(&buffer)
    }

    private func closePart() throws {
        try flush()
        try sink.endPart(rows: currentRows)
        isPartOpen = false
    }
}
