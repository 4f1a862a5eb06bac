import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads rows out of PostgreSQL with `COPY … TO STDOUT (FORMAT binary)`,
/// run by `psql` in the snapshot of an export (`SET TRANSACTION SNAPSHOT`),
/// so that every table is still read as it was at one moment.
///
/// `COPY` is the server's fastest way out (`pg_dump` uses it). Its binary
/// format is read here in place, a megabyte at a time: each field is its
/// length and its bytes, so nothing is searched for or unescaped, and an
/// integer, a `double precision` or a `bytea` comes as its value, which the
/// server need not format as text nor Ferry parse back. Reading the same
/// rows as a query's results through PostgresNIO cost five times what
/// `pg_dump` needs: a row object, a cell and its retains per value, and a
/// task switch per row.
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

    /// What `row` threw, told apart from the reading's own errors (a
    /// captured variable would be retained and released at every row).
    struct RowFailure: Error {
        let error: any Error
    }

    /// Why psql's output is not what `COPY` writes.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The fields of one row: each its bytes, or nil for NULL. They are
    /// valid only during the call they are handed to.
    typealias Fields = UnsafeBufferPointer<UnsafeRawBufferPointer?>

    /// Runs `copy` (a `COPY … TO STDOUT (FORMAT binary)` statement) and hands
    /// each row to `row`.
    ///
    /// - Parameters:
    ///   - copy: The statement.
    ///   - columns: How many columns it writes.
    ///   - row: Called with each row's fields; what it throws ends the read.
    /// - Throws: What `row` throws; ``Malformed`` for output that is not
    ///   `COPY`'s; ``FerryError`` when psql cannot start or fails (its message).
    func read(_ copy: String, columns: Int, _ row: (Fields) throws -> Void) async throws {
        let literal = "'" + snapshot.replacingOccurrences(of: "'", with: "''") + "'"
        let script =
            ([
                "SET client_encoding = 'UTF8'", "SET statement_timeout = 0",
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                "SET TRANSACTION SNAPSHOT \(literal)",
            ] + settings + [copy, "COMMIT"])
            .map { $0 + ";\n" }.joined()
        let running = try tools.start(
            "psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-password"], location: location,
            applicationName: applicationName, withInput: true, pipingOutput: true)
        running.send(script)
        try? running.input?.close()
        do {
            try Self.parse(running.output!.fileDescriptor, columns: columns, row)
        } catch {
            let endedByItself = !running.isRunning
            running.kill()
            let output = await running.finish()
            // What the caller's `row` throws (a full disk, a value it refuses) is its own error.
            if let failure = error as? RowFailure { throw failure.error }
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

    /// The first bytes of `COPY`'s binary output.
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xff, 0x0d, 0x0a, 0x00]

    /// Reads `COPY`'s binary format from a file descriptor to its end: a
    /// header, then per row its number of fields and each field as a length
    /// (-1 for NULL) and its bytes, all numbers big-endian, then -1 where the
    /// number of fields would be.
    ///
    /// - Throws: ``Malformed`` for output that is not `COPY`'s; what `row`
    ///   throws, wrapped in ``RowFailure``.
    static func parse(_ descriptor: Int32, columns: Int, _ row: (Fields) throws -> Void) throws {
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        let fields = UnsafeMutableBufferPointer<UnsafeRawBufferPointer?>.allocate(
            capacity: max(columns, 1))
        defer {
            buffer.deallocate()
            fields.deallocate()
        }
        var start = 0
        var end = 0
        var headerRead = false
        var ended = false
        while true {
            // Every whole row in the buffer.
            parsing: while true {
                let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                if !headerRead {
                    guard let length = try headerLength(available) else { break parsing }
                    start += length
                    headerRead = true
                } else if ended {
                    guard available.isEmpty else {
                        throw Malformed(description: "psql's output goes on after COPY's end")
                    }
                    break parsing
                } else {
                    guard available.count >= 2 else { break parsing }
                    // -1 where the number of fields would be: COPY's end.
                    if bigEndian(UInt16.self, available, at: 0) == 0xffff {
                        start += 2
                        ended = true
                        continue parsing
                    }
                    guard let length = try tuple(available, columns: columns, into: fields) else {
                        break parsing
                    }
                    start += length
                    do {
                        try row(Fields(rebasing: fields[0..<columns]))
                    } catch {
                        throw RowFailure(error: error)
                    }
                }
            }
            // Room for more: what is left moves to the front, and a row longer than the
            // buffer gets a buffer twice as long.
            if start > 0 {
                if end > start {
                    buffer.baseAddress!.copyMemory(
                        from: buffer.baseAddress! + start, byteCount: end - start)
                }
                end -= start
                start = 0
            }
            if end == buffer.count {
                let larger = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: buffer.count * 2, alignment: 16)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = larger
            }
            let count = Glibc.read(descriptor, buffer.baseAddress! + end, buffer.count - end)
            if count < 0 {
                if errno == EINTR { continue }
                throw Malformed(
                    description: "reading psql's output failed: \(String(cString: strerror(errno)))"
                )
            }
            if count == 0 { break }
            end += count
        }
        guard headerRead, ended, start == end else {
            throw Malformed(description: "psql's output ends in the middle of COPY's rows")
        }
    }

    /// The length of the header at the start of `bytes`, or nil when it is not all there.
    private static func headerLength(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        let fixed = signature.count + 8
        guard bytes.count >= fixed else { return nil }
        guard bytes.prefix(signature.count).elementsEqual(signature) else {
            throw Malformed(description: "psql's output does not start as binary COPY's")
        }
        let flags = bigEndian(UInt32.self, bytes, at: signature.count)
        // Bit 16 says that every row starts with its OID: never asked for here.
        guard flags & 0xffff_0000 == 0 else {
            throw Malformed(description: "binary COPY's header has flags \(flags)")
        }
        let extensionLength = Int(bigEndian(UInt32.self, bytes, at: signature.count + 4))
        guard extensionLength <= Int(Int32.max) else {
            throw Malformed(description: "binary COPY's header extension is too long")
        }
        return bytes.count >= fixed + extensionLength ? fixed + extensionLength : nil
    }

    /// Reads the row at the start of `bytes` (at least its number of
    /// fields) into `fields`: its length, or nil when it is not all there.
    @inline(__always)
    private static func tuple(
        _ bytes: UnsafeRawBufferPointer, columns: Int,
        into fields: UnsafeMutableBufferPointer<UnsafeRawBufferPointer?>
    ) throws -> Int? {
        let count = Int(Int16(bitPattern: bigEndian(UInt16.self, bytes, at: 0)))
        guard count == columns else {
            throw Malformed(
                description: "a row of psql's output has \(count) fields for \(columns) columns")
        }
        var position = 2
        for index in 0..<columns {
            guard bytes.count - position >= 4 else { return nil }
            let length = Int(Int32(bitPattern: bigEndian(UInt32.self, bytes, at: position)))
            position += 4
            if length == -1 {
                fields[index] = nil
                continue
            }
            guard length >= 0 else {
                throw Malformed(description: "a field of psql's output has the length \(length)")
            }
            guard bytes.count - position >= length else { return nil }
            fields[index] = UnsafeRawBufferPointer(rebasing: bytes[position..<position + length])
            position += length
        }
        return position
    }

    /// The big-endian number at `offset` of `bytes`, which holds it.
    @inline(__always)
    static func bigEndian<Number: FixedWidthInteger>(
        _ type: Number.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int
    ) -> Number {
        Number(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Number.self))
    }
}
