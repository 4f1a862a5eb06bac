import Foundation

/// Reads one table's rows back from its parts, in bounded memory, hashing
/// each part again as it goes: a part changed between the import's check
/// and its load fails the load (and so rolls it back).
///
/// The parts are read, decoded, rewritten and converted on a thread of
/// their own, in batches handed over a few at a time, while the caller's
/// thread loads the rows before them: the two halves of an import run side
/// by side.
public final class ExportRowSource: @unchecked Sendable {
    /// The table's columns' logical types, in order.
    public let types: [LogicalType]
    private let decoder: ExportRowDecoder
    private var channel: HandOff<DecodedRows>?
    /// The rows of the batch being read, one after another.
    private var batch: [ExportValue] = []
    private var batchRows = 0
    private var batchIndex = 0
    private var handedOver = 0
    private var refusedSoFar = 0
    /// The rows read so far (those left out for a refused value included).
    public var rowsRead: Int { handedOver + refusedSoFar }
    /// Rewrites each row's keys for the target (an entity put under another
    /// owner), before its conversion. Set before the first row is read.
    var rewrite: (@Sendable (inout [ExportValue]) -> Void)? {
        get { decoder.rewrite }
        set { decoder.rewrite = newValue }
    }
    /// Makes each row what the target's columns take, when the export came
    /// from another engine or its types differ. Set before the first row is read.
    var conversion: TableConversion? {
        get { decoder.conversion }
        set { decoder.conversion = newValue }
    }
    /// Counts each row read, for the table's progress.
    var progress: ProgressReporter?
    /// Whether a row with a value the target would refuse is counted and
    /// left out (a dry run), instead of failing the load. Set before the first row is read.
    var collectsRefusals: Bool {
        get { decoder.collectsRefusals }
        set { decoder.collectsRefusals = newValue }
    }
    /// The rows left out for a refused value (all of them once the last row is read).
    var refused: Int { refusedSoFar }
    /// Why the first of them were refused (once the last row is read).
    var refusals: [String] { channel?.isFinished == true ? decoder.refusals : [] }

    init(folder: URL, files: [ExportManifest.File], types: [LogicalType], compressed: Bool)
        throws
    {
        self.types = types
        decoder = try ExportRowDecoder(
            folder: folder, files: files, types: types, compressed: compressed)
    }

    deinit { channel?.cancel() }

    /// The next row, or nil after the last.
    ///
    /// - Throws: ``FerryError`` (code `exportCorrupt`) when a part cannot be
    ///   read, holds a line that is not a row, or no longer matches its checksum.
    public func next() throws -> [ExportValue]? {
        var row: [ExportValue] = []
        return try next(into: &row) ? row : nil
    }

    /// Puts the next row's values in `row` (replacing what it held); false
    /// after the last row. A loader that passes the same array for every
    /// row allocates nothing per row.
    ///
    /// - Throws: As ``next()``.
    public func next(into row: inout [ExportValue]) throws -> Bool {
        guard try hasRows() else { return false }
        let width = types.count
        row.removeAll(keepingCapacity: true)
        row.append(contentsOf: batch[batchIndex * width..<(batchIndex + 1) * width])
        batchIndex += 1
        handedOver += 1
        progress?.advance()
        return true
    }

    /// The rest of the rows of the batch being read, their values one
    /// after another (at least one row), or nil after the last row. A loader
    /// that binds values where they are copies none; the slice is the
    /// loader's to keep.
    ///
    /// - Throws: As ``next()``.
    public func nextRows() throws -> ArraySlice<ExportValue>? {
        guard try hasRows() else { return nil }
        let width = types.count
        let rows = batch[(batchIndex * width)..<(batchRows * width)]
        progress?.advance(by: Int64(batchRows - batchIndex))
        handedOver += batchRows - batchIndex
        batchIndex = batchRows
        return rows
    }

    /// Whether a row is left: takes the next batch from the decoding thread
    /// once the one being read is all handed over.
    private func hasRows() throws -> Bool {
        while batchIndex == batchRows {
            let channel = self.channel ?? start()
            guard let next = try channel.take() else { return false }
            progress?.advance(by: Int64(next.refused - refusedSoFar))
            refusedSoFar = next.refused
            batch = next.values
            batchRows = next.rows
            batchIndex = 0
        }
        return true
    }

    /// Starts the decoding thread.
    private func start() -> HandOff<DecodedRows> {
        let channel = HandOff<DecodedRows>(capacity: 4)
        self.channel = channel
        let decoder = self.decoder
        let thread = Thread {
            decoder.run(into: channel)
        }
        thread.name = "ferry.import.rows"
        thread.start()
        return channel
    }
}

/// Rows decoded on the decoding thread, on their way to the loading one:
/// at most 1,024 and about a megabyte of lines, so that memory stays bounded.
struct DecodedRows {
    /// The rows' values one after another in one array (an array per row
    /// made the decoding thread allocate, and the loading one free, each row).
    var values: [ExportValue]
    var rows: Int
    /// How many rows were left out for a refused value so far.
    var refused: Int
}

/// The decoding half of an ``ExportRowSource``, on its own thread: reads
/// the parts (decompressing them), checks each part's SHA-256 at its end,
/// and decodes, rewrites and converts each row.
final class ExportRowDecoder: @unchecked Sendable {
    let types: [LogicalType]
    private let folder: URL
    private var files: [ExportManifest.File]
    private var handle: FileHandle?
    private var current: ExportManifest.File?
    private var hasher = Checksum.Hasher()
    private var buffer: [UInt8] = []
    private var start = 0
    private let gzip: GzipStream?
    var rewrite: (@Sendable (inout [ExportValue]) -> Void)?
    var conversion: TableConversion?
    var collectsRefusals = false
    private(set) var refused = 0
    private(set) var refusals: [String] = []

    /// Rows per batch handed over, at most.
    private static let batchRows = 1024
    /// The bytes of a batch's lines, at most (but one row): rows of large
    /// values go over a few at a time, so that memory stays bounded by bytes.
    private static let batchBytes = 1 << 20
    /// The bytes of the lines of the rows decoded since the last batch.
    private var pendingBytes = 0

    init(folder: URL, files: [ExportManifest.File], types: [LogicalType], compressed: Bool)
        throws
    {
        self.folder = folder
        self.files = files
        self.types = types
        gzip = compressed ? try GzipStream(.decompress) : nil
    }

    deinit { try? handle?.close() }

    /// Decodes every row into `channel`, then ends it (with the failure, if one stopped it).
    func run(into channel: HandOff<DecodedRows>) {
        var values: [ExportValue] = []
        var rows = 0
        func fresh() {
            values = []
            // Bounded: a batch of wide rows ends at its megabyte of lines long before 1,024 rows.
            values.reserveCapacity(min(Self.batchRows * types.count, 1 << 16))
            rows = 0
        }
        fresh()
        do {
            while try next(appendingTo: &values) {
                rows += 1
                if rows == Self.batchRows || pendingBytes >= Self.batchBytes {
                    pendingBytes = 0
                    let batch = DecodedRows(values: values, rows: rows, refused: refused)
                    guard channel.put(batch) else { return channel.finish(nil) }
                    fresh()
                }
            }
            if rows > 0 || refused > 0 {
                let batch = DecodedRows(values: values, rows: rows, refused: refused)
                guard channel.put(batch) else { return channel.finish(nil) }
            }
            channel.finish(nil)
        } catch {
            if rows > 0 {
                // The whole rows before the failure (not the part of the row that failed).
                values.removeSubrange((rows * types.count)...)
                _ = channel.put(DecodedRows(values: values, rows: rows, refused: refused))
            }
            channel.finish(error)
        }
    }

    /// A row being rewritten or converted, kept from one row to the next.
    private var scratch: [ExportValue] = []

    /// Appends the next row to load to `values`; false after the last.
    private func next(appendingTo values: inout [ExportValue]) throws -> Bool {
        while true {
            if let newline = Self.newline(in: buffer, from: start) {
                let line = buffer[start..<newline]
                start = newline + 1
                pendingBytes += line.count
                let plain = rewrite == nil && conversion == nil
                do {
                    if plain {
                        try RowCodec.decode(line, types: types, appendingTo: &values)
                        return true
                    }
                    scratch.removeAll(keepingCapacity: true)
                    try RowCodec.decode(line, types: types, appendingTo: &scratch)
                } catch let malformed as RowCodec.Malformed {
                    throw FerryError.exportCorrupt(
                        "\(current?.path ?? "a part"): a line is not a row (\(malformed)).")
                }
                rewrite?(&scratch)
                guard let conversion, let refusal = conversion.apply(&scratch) else {
                    values.append(contentsOf: scratch)
                    return true
                }
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
                return false
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
                + "[[import.convert]] column = \"table.column\" and from = \"unix_seconds\", \"unix_milliseconds\" or \"unix_microseconds\"."
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
