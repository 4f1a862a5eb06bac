import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads rows out of PostgreSQL with `COPY (SELECT …) TO STDOUT`, run by
/// `psql` in the snapshot of an export (`SET TRANSACTION SNAPSHOT`), so that
/// every table is still read as it was at one moment.
///
/// `COPY` is the server's fastest way out (`pg_dump` uses it) and its text
/// format is read here in place, a megabyte at a time. Reading the same rows
/// as a query's results through PostgresNIO cost five times what `pg_dump`
/// needs: a row object, a cell and its retains per value, and a task switch
/// per row.
struct PostgresCopyReader: Sendable {
    /// The client programs (`psql`).
    let tools: PostgresTools
    /// The database, as the export's own connection reaches it.
    let location: PostgresLocation
    /// What `pg_stat_activity` shows for psql's session.
    let applicationName: String
    /// The export's snapshot, from `pg_export_snapshot()` in its transaction.
    let snapshot: String
    /// What the export's transaction sets (``PostgresExportSchema/exactTextSettings``).
    let settings: [String]

    /// Why psql's output is not what `COPY` writes.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `COPY (select) TO STDOUT` and hands each row to `row`, one field
    /// per column: its bytes unescaped, or nil for NULL.
    ///
    /// - Parameters:
    ///   - select: The query whose rows are read.
    ///   - columns: How many columns it has.
    ///   - row: Called with each row's fields; what it throws ends the read.
    /// - Throws: What `row` throws; ``Malformed`` for output that is not
    ///   `COPY`'s; ``FerryError`` when psql cannot start or fails (its message).
    func read(
        _ select: String, columns: Int,
        _ row: ([UnsafeBufferPointer<UInt8>?]) throws -> Void
    ) async throws {
        let literal = "'" + snapshot.replacingOccurrences(of: "'", with: "''") + "'"
        let script =
            ([
                "SET client_encoding = 'UTF8'", "SET statement_timeout = 0",
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                "SET TRANSACTION SNAPSHOT \(literal)",
            ] + settings + ["COPY (\(select)) TO STDOUT", "COMMIT"])
            .map { $0 + ";\n" }.joined()
        let running = try tools.start(
            "psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-password"], location: location,
            applicationName: applicationName, withInput: true, pipingOutput: true)
        running.send(script)
        try? running.input?.close()
        // What the caller's `row` throws (a full disk, a value it refuses) is its own error.
        var rowFailure: (any Error)?
        do {
            try Self.parse(running.output!.fileDescriptor, columns: columns) { fields in
                do {
                    try row(fields)
                } catch {
                    rowFailure = error
                    throw error
                }
            }
        } catch {
            let endedByItself = !running.isRunning
            running.kill()
            let output = await running.finish()
            if let rowFailure { throw rowFailure }
            // psql's own complaint says more than the output it left unfinished.
            if endedByItself, output.status != 0 { throw failure(output) }
            throw error
        }
        let output = await running.finish()
        guard output.status == 0 else { throw failure(output) }
    }

    private func failure(_ output: PostgresTools.Output) -> FerryError {
        FerryError(
            .databaseUnavailable,
            "psql could not read the export's rows from \(location.description).",
            changes: "Nothing was changed; an unfinished export has no manifest.",
            engineMessage: output.complaint)
    }

    /// Reads `COPY`'s text format from a file descriptor to its end: a line
    /// per row, fields between tabs, `\N` for NULL, backslash escapes.
    static func parse(
        _ descriptor: Int32, columns: Int, _ row: ([UnsafeBufferPointer<UInt8>?]) throws -> Void
    ) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var start = 0
        var end = 0
        var fields: [UnsafeBufferPointer<UInt8>?] = []
        fields.reserveCapacity(columns)
        while true {
            if end == buffer.count {
                if start > 0 {
                    buffer.withUnsafeMutableBytes { raw in
                        _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                    }
                    end -= start
                    start = 0
                } else {
                    // One line longer than the buffer: room for it.
                    buffer.append(contentsOf: repeatElement(0, count: buffer.count))
                }
            }
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + end, raw.count - end)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Malformed(
                    description: "reading psql's output failed: \(String(cString: strerror(errno)))"
                )
            }
            if count == 0 { break }
            end += count
            try buffer.withUnsafeMutableBufferPointer { bytes in
                let base = bytes.baseAddress!
                while start < end, let newline = memchr(base + start, 0x0a, end - start) {
                    let lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                    let line = UnsafeMutableBufferPointer(rebasing: bytes[start..<lineEnd])
                    try splitFields(line, columns: columns, into: &fields)
                    try row(fields)
                    start = lineEnd + 1
                }
            }
        }
        guard start == end else {
            throw Malformed(description: "psql's output ends in the middle of a row")
        }
    }

    /// A line's fields, each unescaped where it lies (an escape is longer
    /// than the byte it stands for).
    private static func splitFields(
        _ line: UnsafeMutableBufferPointer<UInt8>, columns: Int,
        into fields: inout [UnsafeBufferPointer<UInt8>?]
    ) throws {
        fields.removeAll(keepingCapacity: true)
        // A table without columns: `COPY` writes an empty line per row.
        guard columns > 0 else {
            guard line.isEmpty else {
                throw Malformed(description: "a row of psql's output has fields for no column")
            }
            return
        }
        let base = line.baseAddress!
        var fieldStart = 0
        while true {
            var fieldEnd = line.count
            if let tab = memchr(base + fieldStart, 0x09, line.count - fieldStart) {
                fieldEnd = base.distance(to: tab.assumingMemoryBound(to: UInt8.self))
            }
            guard fields.count < columns else {
                throw Malformed(
                    description: "a row of psql's output has more than \(columns) fields")
            }
            let field = UnsafeMutableBufferPointer(rebasing: line[fieldStart..<fieldEnd])
            if field.count == 2, field[0] == 0x5c, field[1] == UInt8(ascii: "N") {
                fields.append(nil)
            } else if memchr(base + fieldStart, 0x5c, field.count) != nil {
                let length = unescape(field)
                fields.append(UnsafeBufferPointer(start: field.baseAddress, count: length))
            } else {
                fields.append(UnsafeBufferPointer(field))
            }
            if fieldEnd == line.count { break }
            fieldStart = fieldEnd + 1
        }
        guard fields.count == columns else {
            throw Malformed(
                description:
                    "a row of psql's output has \(fields.count) fields for \(columns) columns")
        }
    }

    /// `COPY`'s escapes: `\b \f \n \r \t \v`, octal `\NNN`, hex `\xHH`, and
    /// a backslash before any other byte standing for that byte.
    ///
    /// - Returns: The unescaped length: the field's first bytes now hold it.
    static func unescape(_ field: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var read = 0
        var written = 0
        func put(_ byte: UInt8) {
            field[written] = byte
            written += 1
        }
        while read < field.count {
            let byte = field[read]
            read += 1
            guard byte == 0x5c, read < field.count else {
                put(byte)
                continue
            }
            let escaped = field[read]
            read += 1
            switch escaped {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0c)
            case UInt8(ascii: "n"): put(0x0a)
            case UInt8(ascii: "r"): put(0x0d)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "v"): put(0x0b)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = escaped - UInt8(ascii: "0")
                for _ in 0..<2 {
                    guard read < field.count, let next = Self.digit(field[read], radix: 8) else {
                        break
                    }
                    value = value &* 8 &+ next
                    read += 1
                }
                put(value)
            case UInt8(ascii: "x")
            where read < field.count && Self.digit(field[read], radix: 16) != nil:
                var value = Self.digit(field[read], radix: 16)!
                read += 1
                if read < field.count, let next = Self.digit(field[read], radix: 16) {
                    value = value &* 16 &+ next
                    read += 1
                }
                put(value)
            default: put(escaped)
            }
        }
        return written
    }

    /// A digit's value in base `radix` (up to 16, either case), or nil.
    static func digit(_ byte: UInt8, radix: UInt8) -> UInt8? {
        let value: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
        default: return nil
        }
        return value < radix ? value : nil
    }
}
