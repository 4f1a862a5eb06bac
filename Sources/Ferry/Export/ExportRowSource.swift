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
            if let newline = buffer[start...].firstIndex(of: 0x0a) {
                let line = buffer[start..<newline]
                start = newline + 1
                do {
                    let row = try RowCodec.decode(line, types: types)
                    rowsRead += 1
                    return row
                } catch let malformed as RowCodec.Malformed {
                    throw FerryError.exportCorrupt(
                        "\(current?.path ?? "a part"): a line is not a row (\(malformed)).")
                }
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
