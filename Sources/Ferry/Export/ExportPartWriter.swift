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
/// The reading thread only puts the values it reads into a buffer of
/// ``pieces``, which hands them on in batches; an ``ExportPartSink``
/// encodes them, splits the parts, compresses, hashes, writes and syncs on
/// a thread of its own meanwhile. Reading the database and encoding its
/// rows were about half of an export each, so the two run side by side on
/// two cores. Memory stays small whatever the table's size: at most three
/// batches exist per piece.
///
/// A table that the engine reads in several pieces side by side (a range of
/// its rows each, ``ExportSnapshot/readRows(of:where:intoPieces:)``) gets a
/// buffer and a sink per piece: each piece writes parts of its own, which
/// ``finish()`` numbers after those of the pieces before it.
final class ExportPartWriter {
    private let sinks: [ExportPartSink]
    private let folder: URL
    private let relativeFolder: String
    private let compress: Bool
    /// Where the table's rows go: one buffer per piece, in the rows' order.
    let pieces: [ExportRowBuffer]

    /// The most rows a batch holds.
    static let batchRows = 8192

    /// - Parameters:
    ///   - pieces: The pieces the table is read in (at least one).
    ///   - redacted: The positions of the columns written as NULL.
    ///   - progress: Advanced by the rows handed on, from each piece's thread in turn.
    init(
        folder: URL, relativeFolder: String, partBytes: Int64, types: [LogicalType],
        compress: Bool, redacted: [Int], pieces: Int = 1, progress: ProgressReporter
    ) throws {
        self.folder = folder
        self.relativeFolder = relativeFolder
        self.compress = compress
        let sinks = try (0..<max(1, pieces)).map { piece in
            try ExportPartSink(
                folder: folder, relativeFolder: relativeFolder,
                namePrefix: piece == 0 ? "" : "piece\(piece)-", partBytes: partBytes,
                types: types, compress: compress, batchCapacity: Self.batchRows * types.count)
        }
        self.sinks = sinks
        // The pieces' threads hand batches on at the same time; the progress counts them one at a time.
        let counting = Locked(())
        self.pieces = sinks.map { sink in
            ExportRowBuffer(
                columns: types.count, rowsPerHandOver: Self.batchRows, redacted: redacted
            ) { batch in
                let count = batch.rowCount
                try sink.write(&batch)
                counting.withLock { _ in progress.advance(by: Int64(count)) }
            }
        }
    }

    deinit {
        // A failed export removes its folder next: nothing may still be writing into it.
        for sink in sinks { sink.drain() }
    }

    /// The rows written so far.
    var rowCount: Int { sinks.reduce(0) { $0 + $1.rowsHandedOver } }

    /// Finishes the last part of each piece (a piece without rows has
    /// none), waits until every part is written and synced, and numbers the
    /// parts of the pieces after the first on from the first's.
    ///
    /// - Returns: The parts, in the rows' order.
    func finish() throws -> [ExportManifest.File] {
        for piece in pieces { try piece.flush() }
        var files: [ExportManifest.File] = []
        for sink in sinks {
            for var file in try sink.finish() {
                let name = ExportPartSink.partName(files.count + 1, compressed: compress)
                let path = relativeFolder + "/" + name
                if file.path != path {
                    let from = folder.appendingPathComponent(
                        String(file.path.dropFirst(relativeFolder.count + 1)))
                    guard rename(from.path, folder.appendingPathComponent(name).path) == 0 else {
                        throw FerryError(
                            .fileSystem,
                            "Cannot rename \(from.path) to \(name): \(String(cString: strerror(errno))).",
                            changes:
                                "The database was not changed; the unfinished export has no manifest.",
                            advice:
                                "Check the destination folder, then export again into an empty folder."
                        )
                    }
                    file.path = path
                }
                files.append(file)
            }
        }
        return files
    }
}
