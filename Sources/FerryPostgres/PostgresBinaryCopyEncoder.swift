import Ferry

/// Writes rows in `COPY`'s binary format, for a load into a table whose
/// every column has a type whose binary form is written here: integers,
/// `double precision`, `boolean`, `bytea`, `text` and `character varying`.
///
/// The server reads a value's bytes without parsing a text: on the large
/// set's table `COPY … FROM` took 2.1 s in binary where its text took 3.2 s,
/// and Ferry formats no number on the way.
///
/// The bytes are written in place into a buffer of its own, which grows for
/// a row longer than it: an array appended to value by value cost a tenth
/// of the import's client.
final class PostgresBinaryCopyEncoder {
    /// How one column's values are written, by the target column's type.
    enum Column: Equatable {
        case int2, int4, int8, float8, boolean, bytea, text

        /// The column of `declaredType` (as `format_type` prints it), or nil
        /// when its binary form is not written here (a domain, `char(n)`,
        /// `real`, a date, …).
        init?(declaredType: String) {
            switch declaredType {
            case "smallint": self = .int2
            case "integer": self = .int4
            case "bigint": self = .int8
            case "double precision": self = .float8
            case "boolean": self = .boolean
            case "bytea": self = .bytea
            case "text", "character varying": self = .text
            case let type where type.hasPrefix("character varying("): self = .text
            default: return nil
            }
        }
    }

    /// A value that the binary form of its column cannot carry: one the
    /// server would have refused as text too.
    struct Unfit: Error, CustomStringConvertible {
        var description: String
    }

    /// The first bytes of `COPY`'s binary input: the signature, no flags, no extension.
    static let header = PostgresCopyReader.signature + [UInt8](repeating: 0, count: 8)
    /// What ends it: -1 where a row's number of fields would be.
    static let trailer: [UInt8] = [0xff, 0xff]

    let columns: [Column]
    let names: [String]
    // Touched a few times per value, by one thread: the run time's check of each access
    // would cost more than the write.
    @exclusivity(unchecked) private var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var count = 0

    /// The encoder for the export's `columns` going into `target`'s columns
    /// of the same names, or nil when one of them has no binary form here.
    init?(columns exported: [ExportTable.Column], target: ExportTable) {
        var columns: [Column] = []
        for column in exported {
            guard let declared = target.columns.first(where: { $0.name == column.name }),
                let encoded = Column(declaredType: declared.declaredType)
            else { return nil }
            columns.append(encoded)
        }
        self.columns = columns
        names = exported.map(\.name)
        capacity = Self.flushBytes + (1 << 16)
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// What is written and not yet taken.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets what is written (once it is sent).
    func removeAll() { count = 0 }

    /// Appends raw bytes (the header, the trailer).
    func append(raw: [UInt8]) {
        reserve(raw.count)
        raw.withUnsafeBytes { put($0) }
    }

    /// Bytes are sent once they reach this many.
    static let flushBytes = 1 << 20

    /// Appends one row, its values in the order of the columns.
    ///
    /// - Throws: ``Unfit`` for a value that its column's type cannot hold.
    func append(_ row: [ExportValue]) throws {
        // Room for the whole row first: a number takes at most 32 bytes as text.
        var needed = 2
        for value in row {
            switch value {
            case .text(let text): needed += 4 + text.utf8.count
            case .blob(let blob): needed += 4 + 2 + 2 * blob.count
            default: needed += 4 + 32
            }
        }
        reserve(needed)
        put(UInt16(columns.count))
        for (index, value) in row.enumerated() {
            try append(value, as: columns[index], name: names[index])
        }
    }

    private func append(_ value: ExportValue, as column: Column, name: String) throws {
        switch (column, value) {
        case (_, .null):
            put(UInt32(bitPattern: -1))
        case (.int8, .integer(let integer)):
            put(UInt32(8))
            put(UInt64(bitPattern: integer))
        case (.int4, .integer(let integer)):
            guard let fitting = Int32(exactly: integer) else {
                throw unfit(name, "the integer \(integer)", "integer")
            }
            put(UInt32(4))
            put(UInt32(bitPattern: fitting))
        case (.int2, .integer(let integer)):
            guard let fitting = Int16(exactly: integer) else {
                throw unfit(name, "the integer \(integer)", "smallint")
            }
            put(UInt32(2))
            put(UInt16(bitPattern: fitting))
        case (.float8, .real(let real)):
            put(UInt32(8))
            put(real.bitPattern)
        case (.boolean, .boolean(let flag)):
            put(UInt32(1))
            put(UInt8(flag ? 1 : 0))
        case (.bytea, .blob(let blob)):
            try blob.withUnsafeBytes { try putField($0, name: name) }
        case (.text, .text(var text)):
            try text.withUTF8 { try putField(UnsafeRawBufferPointer($0), name: name) }
        // Into a text column any value goes as its text, as COPY's text format wrote it.
        case (.text, .integer), (.text, .real), (.text, .boolean), (.text, .blob):
            try PostgresSession.withText(of: value) {
                try putField(UnsafeRawBufferPointer($0), name: name)
            }
        case (_, .integer(let integer)): throw unfit(name, "the integer \(integer)", "\(column)")
        case (_, .real(let real)): throw unfit(name, "the number \(real)", "\(column)")
        case (_, .boolean(let flag)): throw unfit(name, "the boolean \(flag)", "\(column)")
        case (_, .text): throw unfit(name, "a text", "\(column)")
        case (_, .blob): throw unfit(name, "bytes", "\(column)")
        }
    }

    private func unfit(_ name: String, _ value: String, _ type: String) -> Unfit {
        Unfit(description: "\(name) holds \(value), which its column of type \(type) cannot hold")
    }

    /// A field's length and its bytes, within the room reserved for its row.
    private func putField(_ field: UnsafeRawBufferPointer, name: String) throws {
        guard field.count <= Int(Int32.max) else {
            throw Unfit(description: "\(name) holds a value of \(field.count) bytes")
        }
        put(UInt32(field.count))
        put(field)
    }

    /// Room for `more` bytes after those written.
    private func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        let larger = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity * 2, count + more), alignment: 16)
        larger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = larger
        capacity = max(capacity * 2, count + more)
    }

    @inline(__always)
    private func put<Number: FixedWidthInteger>(_ number: Number) {
        (base + count).storeBytes(of: number.bigEndian, as: Number.self)
        count += MemoryLayout<Number>.size
    }

    @inline(__always)
    private func put(_ raw: UnsafeRawBufferPointer) {
        guard let address = raw.baseAddress else { return }
        (base + count).copyMemory(from: address, byteCount: raw.count)
        count += raw.count
    }
}
