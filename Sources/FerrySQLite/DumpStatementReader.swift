import Ferry
import Foundation

/// The reading half of ``SQLiteDumpLoader``, on a thread of its own: reads
/// the dump 256 KiB at a time, splits it into statements
/// (``StatementSplitter``) and reads the rows of Ferry's own INSERTs
/// (``DumpInsertBinder/rows(of:appendingTo:)``), while the loading thread
/// writes the statements before them into the database.
///
/// Reading and splitting the text was about a sixth of a restore's time on
/// the loading thread; it now runs beside SQLite's inserts.
final class DumpStatementReader: @unchecked Sendable {
    /// The statements of one piece of the dump, their text and the values
    /// of their rows.
    struct Batch {
        /// One statement: its bytes in ``bytes`` (without the blanks around
        /// it), the line it starts on, and its rows when it is one of Ferry's INSERTs.
        struct Statement {
            let range: Range<Int>
            let line: Int
            let rows: DumpInsertBinder.Rows?
        }

        var bytes: [UInt8] = []
        var statements: [Statement] = []
        /// The values of the statements' rows (their ranges are in the statement's bytes).
        var literals: [DumpInsertBinder.Literal] = []
        /// The bytes of the dump read for this batch: none for the last,
        /// which holds what follows the file's last piece.
        var fileBytes = 0

        init(fileBytes: Int = 0) {
            self.fileBytes = fileBytes
            bytes.reserveCapacity(fileBytes + 4096)
            // A value takes two bytes of the dump at least (`1,`), and about eight in the large set.
            literals.reserveCapacity(fileBytes / 8)
        }

        fileprivate mutating func append(_ statement: UnsafeBufferPointer<UInt8>, line: Int) {
            let text = StatementSplitter.trimmedBytes(statement)
            let rows = DumpInsertBinder.rows(of: text, appendingTo: &literals)
            let start = bytes.count
            bytes.append(contentsOf: text)
            statements.append(Statement(range: start..<bytes.count, line: line, rows: rows))
        }
    }

    /// The bytes read at a time. With their rows' values, the two batches
    /// waiting and the two in hand hold about 4 MiB.
    private static let pieceBytes = 1 << 18
    private let handle: FileHandle
    private let name: String
    private let growing: GrowingFile?

    /// A reader of the open dump `handle` (named `name` in messages), which
    /// it reads to its end: with `growing`, the end of the writing, not the
    /// end of what is in the file so far.
    init(_ handle: FileHandle, name: String, following growing: GrowingFile? = nil) {
        self.handle = handle
        self.name = name
        self.growing = growing
    }

    /// Starts the reading thread, which hands its batches to the channel returned.
    func start() -> HandOff<Batch> {
        // Two batches waiting keep the loader busy: reading is the faster half.
        let channel = HandOff<Batch>(capacity: 2)
        let thread = Thread { [self] in run(into: channel) }
        thread.name = "ferry.restore.dump-reader"
        thread.start()
        return channel
    }

    /// Reads the whole dump into `channel`, then ends it (with the failure, if one stopped it).
    private func run(into channel: HandOff<Batch>) {
        var splitter = StatementSplitter()
        var line = 1
        var read: Int64 = 0
        do {
            while true {
                let chunk = try handle.read(upToCount: Self.pieceBytes) ?? Data()
                if chunk.isEmpty {
                    guard let growing, try growing.waitForMore(than: read) else { break }
                    continue
                }
                read += Int64(chunk.count)
                var batch = Batch(fileBytes: chunk.count)
                try splitter.feed(chunk) { statement, startLine in
                    line = startLine
                    batch.append(statement, line: startLine)
                }
                guard channel.put(batch) else { return channel.finish(nil) }
            }
            var last = Batch()
            try splitter.feed([], isLast: true) { statement, startLine in
                line = startLine
                last.append(statement, line: startLine)
            }
            guard channel.put(last) else { return channel.finish(nil) }
            if let rest = splitter.remainder(),
                SQLScript(text: rest).statementStart(from: rest.startIndex) != rest.endIndex
            {
                throw FerryError(
                    .backupCorrupt,
                    "The SQL dump \(name) ends in the middle of a statement (after line \(line)).",
                    changes: "Nothing was changed.",
                    advice: "The file is truncated: use another backup.")
            }
            channel.finish(nil)
        } catch {
            channel.finish(error)
        }
    }
}
