import CompressNIO
import NIOCore

/// gzip, streamed a piece at a time in bounded memory: what `--compress`
/// writes each part as, and what an import reads back (compress-nio over
/// zlib; Foundation on Linux has no gzip).
final class GzipStream {
    /// Which way the stream goes.
    enum Direction {
        case compress
        case decompress
    }

    private let compressor: NIOCompressor?
    private let decompressor: NIODecompressor?
    private static let windowBytes = 256 * 1024

    init(_ direction: Direction) throws {
        switch direction {
        case .compress:
            let compressor = CompressionAlgorithm.gzip().compressor
            compressor.window = ByteBufferAllocator().buffer(capacity: Self.windowBytes)
            try compressor.startStream()
            self.compressor = compressor
            decompressor = nil
        case .decompress:
            let decompressor = CompressionAlgorithm.gzip().decompressor
            decompressor.window = ByteBufferAllocator().buffer(capacity: Self.windowBytes)
            try decompressor.startStream()
            self.decompressor = decompressor
            compressor = nil
        }
    }

    deinit {
        try? compressor?.finishStream()
        try? decompressor?.finishStream()
    }

    /// Compresses `bytes`, appending what the compressor hands out to
    /// `output`; with `finish`, ends the gzip member and starts a new one.
    func compress(_ bytes: [UInt8], finish: Bool, into output: inout [UInt8]) throws {
        guard let compressor else { return }
        var input = ByteBuffer(bytes: bytes)
        var produced: [UInt8] = []
        try input.compressStream(with: compressor, flush: finish ? .finish : .no) { window in
            produced.append(contentsOf: window.readableBytesView)
        }
        output.append(contentsOf: produced)
        if finish { try compressor.resetStream() }
    }

    /// Decompresses a piece of a gzip stream, appending the bytes it holds to `output`.
    func decompress(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) throws {
        guard let decompressor else { return }
        var input = ByteBuffer(bytes: bytes)
        var produced: [UInt8] = []
        try input.decompressStream(with: decompressor) { window in
            produced.append(contentsOf: window.readableBytesView)
        }
        output.append(contentsOf: produced)
    }

    /// Ends a stream being decompressed and starts the next.
    func restartDecompression() throws {
        try decompressor?.resetStream()
    }
}
