import Ferry
import Foundation
import GRDB
import GRDBSQLite

/// Writes a SQLite database as a plain SQL script that the `sqlite3` shell
/// loads into an equal database.
///
/// Tables first, then their rows as multi-row INSERTs (generated columns
/// left out, values written exactly: REALs as ``SQLiteRealLiteral`` writes
/// them, text with any byte, BLOBs in hex), then `sqlite_sequence`, and only
/// then indexes, views and triggers, so that loading is fast; `user_version`
/// and `application_id` last. Rows stream from a cursor straight into a
/// buffered file: memory stays small whatever the database's size.
enum SQLiteDumpWriter {
    /// Rows per INSERT statement, and the statement's size, at most.
    static let rowsPerInsert = 1000
    static let bytesPerInsert = 256 * 1024

    /// The dump's last line: a dump that ends with it is whole.
    static let lastLine = "COMMIT;\n"

    /// Writes the dump of `db` to a new file at `url`, its rows' progress
    /// going to `listener`, and each piece written to `growing` when
    /// another thread reads the file as it is written; the caller syncs it.
    ///
    /// - Returns: The file's SHA-256, as lowercase hexadecimal.
    @discardableResult
    static func write(
        _ db: Database, to url: URL, reportingTo listener: ProgressListener,
        following growing: GrowingFile? = nil
    ) throws -> String {
        let progress = listener.reporter("dump", unit: .rows, checkingClockEvery: 256)
        defer { progress.finish() }
        let out = try BufferedFileWriter(creating: url, following: growing)
        out.write(
            "-- SQL dump written by Ferry \(Ferry.version) at \(Timestamp.string(from: Date())).\n")
        out.write("-- Load it into a new database: sqlite3 new.db < this-file.sql\n")
        out.write("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
        let types = try Dictionary(
            Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
                .map { ($0["name"] as String, $0["type"] as String) },
            uniquingKeysWith: { first, _ in first })
        let objects = try Row.fetchAll(
            db, sql: "SELECT type, name, sql FROM sqlite_schema ORDER BY rowid"
        )
        .map { (type: $0["type"] as String, name: $0["name"] as String, sql: $0["sql"] as String?) }
        let tables = objects.filter { object in
            object.type == "table" && !object.name.hasPrefix("sqlite_")
                && types[object.name] != "shadow"
        }
        for table in tables {
            out.write((table.sql ?? "") + ";\n")
        }
        try out.flushIfFull()
        for table in tables {
            try writeRows(
                of: table.name, isVirtual: types[table.name] == "virtual", from: db, to: out,
                progress: progress)
            CrashPoint.reach("dump.table-written")
        }
        if objects.contains(where: { $0.name == "sqlite_sequence" }) {
            out.write("DELETE FROM sqlite_sequence;\n")
            try writeRows(
                of: "sqlite_sequence", isVirtual: false, from: db, to: out, progress: progress)
        }
        for kind in ["index", "view", "trigger"] {
            for object in objects where object.type == kind {
                // Automatic indexes have no SQL.
                guard let sql = object.sql, types[object.name] != "shadow" else { continue }
                out.write(sql + ";\n")
            }
        }
        for pragma in ["user_version", "application_id"] {
            let value = try Int.fetchOne(db, sql: "PRAGMA \(pragma)") ?? 0
            if value != 0 { out.write("PRAGMA \(pragma)=\(value);\n") }
        }
        out.write(lastLine)
        return try out.close()
    }

    /// Writes a table's rows as INSERTs: read on this thread (the
    /// connection's), written as text on another, in batches handed over
    /// a few at a time, so that SQLite's reading and the formatting share
    /// the cores while memory stays bounded.
    private static func writeRows(
        of table: String, isVirtual: Bool, from db: Database, to out: BufferedFileWriter,
        progress: ProgressReporter
    ) throws {
        // Generated columns (hidden 2 and 3) are computed on load; hidden columns of virtual tables are not data.
        let columns = try Row.fetchAll(
            db, sql: "SELECT name, hidden FROM pragma_table_xinfo(?)", arguments: [table]
        )
        .filter { row in (row["hidden"] as Int) == 0 }
        .map { SQLIdentifier.quoted($0["name"] as String) }
        guard !columns.isEmpty else { return }
        let name = SQLIdentifier.quoted(table)
        let statement = try db.makeStatement(
            sql: "SELECT \(columns.joined(separator: ",")) FROM \(name)")
        let handle = statement.sqliteStatement
        // GRDB finalizes the statement when it is let go: kept until the handle's last use.
        defer { withExtendedLifetime(statement) { _ = sqlite3_reset(handle) } }
        let columnCount = Int32(columns.count)
        let formatter = InsertFormatter(
            header: Array("INSERT INTO \(name) (\(columns.joined(separator: ","))) VALUES\n(".utf8),
            columns: columns.count, out: out)
        let batches = HandOff<ExportRowBatch>(capacity: 2)
        let formatted = DispatchSemaphore(value: 0)
        let thread = Thread {
            formatter.run(taking: batches)
            formatted.signal()
        }
        thread.name = "ferry.dump.rows"
        thread.start()
        var batch = ExportRowBatch(valueCapacity: rowsPerBatch * columns.count)
        do {
            while try RawStatement.nextRow(handle, in: db) {
                for index in 0..<columnCount {
                    SQLiteColumnReader.read(handle, index, into: &batch)
                }
                batch.rowCount += 1
                progress.advance()
                guard batch.rowCount >= rowsPerBatch || batch.byteCount >= bytesPerBatch else {
                    continue
                }
                // The formatter stopped (its write failed): its error is said below.
                guard batches.put(batch) else { break }
                batch = ExportRowBatch(valueCapacity: rowsPerBatch * columns.count)
            }
            if batch.rowCount > 0 { _ = batches.put(batch) }
            batches.finish(nil)
        } catch {
            batches.finish(error)
        }
        formatted.wait()
        if let failure = formatter.failure { throw failure }
    }

    /// Rows and bytes of texts and blobs in a batch handed to the formatter, at most.
    private static let rowsPerBatch = 4096
    private static let bytesPerBatch = 1 << 20

    /// Writes the rows handed over as multi-row INSERTs, on its own thread;
    /// the reading thread looks at ``failure`` once it has ended.
    private final class InsertFormatter: @unchecked Sendable {
        let header: [UInt8]
        let columns: Int
        let out: BufferedFileWriter
        /// Why it stopped early (a write that failed), read after it ended.
        private(set) var failure: (any Error)?

        init(header: [UInt8], columns: Int, out: BufferedFileWriter) {
            self.header = header
            self.columns = columns
            self.out = out
        }

        func run(taking batches: HandOff<ExportRowBatch>) {
            let rowSeparator = Array("),\n(".utf8)
            let statementEnd = Array(");\n".utf8)
            // Rows are formatted into a local buffer and handed to the file a megabyte at a time:
            // appending each value to the writer's buffer (a class's property) paid a run-time
            // exclusivity check per byte written, a fifth of the dump's time.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(flushEvery + bytesPerInsert)
            var rowsInStatement = 0
            var bytesInStatement = 0
            do {
                while let batch = try batches.take() {
                    try batch.withPayload { payload in
                        var cursor = ExportRowBatch.Cursor()
                        for _ in 0..<batch.rowCount {
                            bytes.append(contentsOf: rowsInStatement == 0 ? header : rowSeparator)
                            for column in 0..<columns {
                                if column > 0 { bytes.append(UInt8(ascii: ",")) }
                                bytesInStatement += appendLiteral(
                                    batch, at: cursor, in: payload, to: &bytes)
                                batch.advance(&cursor)
                            }
                            rowsInStatement += 1
                            if rowsInStatement >= rowsPerInsert
                                || bytesInStatement >= bytesPerInsert
                            {
                                bytes.append(contentsOf: statementEnd)
                                rowsInStatement = 0
                                bytesInStatement = 0
                            }
                            if bytes.count >= flushEvery { try hand(&bytes, to: out) }
                        }
                    }
                }
                if rowsInStatement > 0 { bytes.append(contentsOf: statementEnd) }
                try hand(&bytes, to: out)
            } catch {
                failure = error
                // The reader stops at its next batch; a failure of its own was thrown by take().
                batches.cancel()
            }
        }
    }

    /// How many formatted bytes gather before they go to the file.
    private static let flushEvery = 1 << 20

    private static func hand(_ bytes: inout [UInt8], to out: BufferedFileWriter) throws {
        bytes.withUnsafeBufferPointer { out.write($0) }
        bytes.removeAll(keepingCapacity: true)
        try out.flushIfFull()
    }

    /// Appends one value as an SQL literal; returns about how many bytes it took.
    private static func appendLiteral(
        _ batch: ExportRowBatch, at cursor: ExportRowBatch.Cursor,
        in payload: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
    ) -> Int {
        switch batch.kind(at: cursor) {
        case .integer:
            return appendDecimal(batch.integer(at: cursor), to: &out)
        case .real:
            return SQLiteRealLiteral.append(batch.real(at: cursor), to: &out)
        case .text:
            let bytes = batch.bytes(at: cursor, in: payload)
            let count = bytes.count
            if bytes.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\r") }) {
                // A NUL cannot stand in an SQL string literal, and the sqlite3 shell drops a
                // carriage return before a line end: write the exact bytes.
                out.append(contentsOf: "CAST(X'".utf8)
                appendHex(bytes, to: &out)
                out.append(contentsOf: "' AS TEXT)".utf8)
                return count * 2 + 16
            }
            out.append(UInt8(ascii: "'"))
            var start = 0
            for position in 0..<count where bytes[position] == UInt8(ascii: "'") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...position]))
                out.append(UInt8(ascii: "'"))
                start = position + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<count]))
            out.append(UInt8(ascii: "'"))
            return count + 2
        case .blob:
            let bytes = batch.bytes(at: cursor, in: payload)
            out.append(UInt8(ascii: "X"))
            out.append(UInt8(ascii: "'"))
            appendHex(bytes, to: &out)
            out.append(UInt8(ascii: "'"))
            return bytes.count * 2 + 3
        case .falseValue, .trueValue:
            // Never read from SQLite, which has no booleans: written as SQLite keeps them.
            out.append(batch.kind(at: cursor) == .trueValue ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            return 1
        case .null:
            out.append(contentsOf: "NULL".utf8)
            return 4
        }
    }

    /// Appends an integer's decimal digits, as `String(value)` writes them, without making a
    /// string; returns how many bytes that took.
    private static func appendDecimal(_ value: Int64, to out: inout [UInt8]) -> Int {
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for the 20 digits of UInt64.max
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[index...]))
            return scratch.count - index + (value < 0 ? 1 : 0)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
    }
}
