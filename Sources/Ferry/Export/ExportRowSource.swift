import Foundation

/// Reads one table's rows back from its parts, one row at a time, in bounded
/// memory, hashing each part again as it goes: a part changed between the
/// import's check and its load fails the load (and so rolls it back).
public final class ExportRowSource: @unchecked Sendable {
    /// The table's columns' logical types, in order.
    public let types: [LogicalType]
    private let folder: URL
    private var files: [ExportManifest.File]
    private var handle: FileHandle?
    private var current: ExportManifest.File?
    private var hasher = Checksum.Hasher()
    private var buffer: [UInt8] = []
    private var start = 0
    /// The gzip stream of compressed parts.
    private let gzip: GzipStream?
    /// The rows read so far.
    public private(set) var rowsRead = 0
    /// Rewrites each row's keys for the target (an entity put under another
    /// owner), before its conversion.
    var rewrite: (@Sendable (inout [ExportValue]) -> Void)?
    /// Makes each row what the target's columns take, when the export came
    /// from another engine or its types differ.
    var conversion: TableConversion?
    /// Counts each row read, for the table's progress.
    var progress: ProgressReporter?
    /// Whether a row with a value the target would refuse is counted and
    /// left out (a dry run), instead of failing the load.
    var collectsRefusals = false
    /// The rows left out for a refused value.
    private(set) var refused = 0
    /// Why the first of them were refused.
    private(set) var refusals: [String] = []

    init(folder: URL, files: [ExportManifest.File], types: [LogicalType], compressed: Bool)
        throws
    {
        self.folder = folder
        self.files = files
        self.types = types
        gzip = compressed ? try GzipStream(.decompress) : nil
    }

    deinit { try? handle?.close() }

    /// The next row, or nil after the last.
    ///
    /// - Throws: ``FerryError`` (code `exportCorrupt`) when a part cannot be
    ///   read, holds a line that is not a row, or no longer matches its checksum.
    public func next() throws -> [ExportValue]? {
        while true {
            if let newline = Self.newline(in: buffer, from: start) {
                let line = buffer[start..<newline]
                start = newline + 1
                var row: [ExportValue]
                do {
                    row = try RowCodec.decode(line, types: types)
                    rowsRead += 1
                    progress?.advance()
                } catch let malformed as RowCodec.Malformed {
                    throw FerryError.exportCorrupt(
                        "\(current?.path ?? "a part"): a line is not a row (\(malformed)).")
                }
                rewrite?(&row)
                guard let conversion, let refusal = conversion.apply(&row) else { return row }
                guard collectsRefusals else { throw Self.refused(refusal) }
                refused += 1
                if refusals.count < TableLoad.keysListed { refusals.append(refusal) }
                continue
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            guard try fill() else {
                guard buffer.isEmpty else {
                    throw FerryError.exportCorrupt(
                        "\(current?.path ?? "a part") ends in the middle of a row.")
                }
                return nil
            }
        }
    }

    /// The index of the first `\n` at or after `start`, found by `memchr`.
    private static func newline(in buffer: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            guard start < bytes.count, let base = bytes.baseAddress,
                let found = memchr(base + start, 0x0a, bytes.count - start)
            else { return nil }
            return base.distance(
                to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    private static func refused(_ refusal: String) -> FerryError {
        FerryError(
            .invalidExport, "The target cannot take a value of the export: \(refusal).",
            changes: "Nothing was changed: the import was rolled back.",
            advice:
                "A dry run of the import lists every value the target would refuse. Fix them in the source and export again; "
                + "for numbers under a date or time column, say what they count in ferry.toml with "
                + "[[import.convert]] column = \"table.column\" and from = \"unix_seconds\" or \"unix_milliseconds\"."
        )
    }

    /// Reads more bytes, opening the next part when one ends; false at the end.
    private func fill() throws -> Bool {
        while true {
            if let handle, let current {
                let chunk = try? handle.read(upToCount: 1 << 20)
                if let chunk, !chunk.isEmpty {
                    hasher.update(chunk)
                    if let gzip {
                        do {
                            try gzip.decompress(chunk, into: &buffer)
                        } catch {
                            throw FerryError.exportCorrupt(
                                "\(current.path) is not a whole gzip file (\(error)).")
                        }
                    } else {
                        buffer.append(contentsOf: chunk)
                    }
                    return true
                }
                try? handle.close()
                self.handle = nil
                try? gzip?.restartDecompression()
                guard hasher.finalize() == current.sha256 else {
                    throw FerryError.exportCorrupt(
                        "\(current.path) changed after the import checked it.")
                }
                guard buffer.isEmpty else {
                    throw FerryError.exportCorrupt("\(current.path) ends in the middle of a row.")
                }
            }
            guard !files.isEmpty else { return false }
            let next = files.removeFirst()
            let url = folder.appendingPathComponent(next.path)
            guard let opened = try? FileHandle(forReadingFrom: url) else {
                throw FerryError.exportCorrupt("\(next.path) cannot be read.")
            }
            handle = opened
            current = next
            hasher = Checksum.Hasher()
        }
    }
}
