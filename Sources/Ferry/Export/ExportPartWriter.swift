import Foundation

/// Writes one table's rows into `data/<table>/NNNN.jsonl` parts of bounded
/// size, each private (0600), synced, and hashed as it is written.
///
/// The reading thread only puts the values it reads into ``rows``, which
/// hands them on in batches; an ``ExportPartSink`` encodes them, splits the
/// parts, compresses, hashes, writes and syncs on a thread of its own
/// meanwhile. Reading the database and encoding its rows were about half of
/// an export each, so the two run side by side on two cores. Memory stays
/// small whatever the table's size: at most three batches exist.
final class ExportPartWriter {
    private let sink: ExportPartSink
    /// Where the table's rows go.
    let rows: ExportRowBuffer

    /// The most rows a batch holds.
    static let batchRows = 8192

    /// - Parameters:
    ///   - redacted: The positions of the columns written as NULL.
    ///   - progress: Advanced by the rows handed on.
    init(
        folder: URL, relativeFolder: String, partBytes: Int64, types: [LogicalType],
        compress: Bool, redacted: [Int], progress: ProgressReporter
    ) throws {
        let sink = try ExportPartSink(
            folder: folder, relativeFolder: relativeFolder, partBytes: partBytes, types: types,
            compress: compress, batchCapacity: Self.batchRows * types.count)
        self.sink = sink
        rows = ExportRowBuffer(
            columns: types.count, rowsPerHandOver: Self.batchRows, redacted: redacted
        ) { batch in
            let count = batch.rowCount
            try sink.write(&batch)
            progress.advance(by: Int64(count))
        }
    }

    deinit {
        // A failed export removes its folder next: nothing may still be writing into it.
        sink.drain()
    }

    /// The rows written so far.
    var rowCount: Int { sink.rowsHandedOver }

    /// Finishes the last part (a table without rows has none) and waits
    /// until every part is written and synced.
    ///
    /// - Returns: The parts.
    func finish() throws -> [ExportManifest.File] {
        try rows.flush()
        return try sink.finish()
    }
}
