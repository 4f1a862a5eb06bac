import Ferry

/// How the export reads one column out of a binary `COPY`: as the value the
/// server sends for its type where Ferry knows that type's binary form,
/// otherwise as its text (the column is then cast to `text`, whose binary
/// form is its UTF-8 bytes).
enum PostgresCopiedColumn: Equatable {
    /// `smallint`, `integer` or `bigint`: 2, 4 or 8 bytes.
    case integer
    /// `double precision`: its 8 bytes, which `COPY`'s text would have written
    /// as the shortest text that reads back to them.
    case double
    /// `boolean`: one byte.
    case boolean
    /// `bytea`: its bytes.
    case bytes
    /// `text` or `character varying`: its bytes.
    case text
    /// Any other type, cast to `text` in the query: the text is read as its
    /// logical type (``PostgresCopiedColumn/append(text:type:to:)``).
    case cast(LogicalType)

    /// How `column` is read; a domain (whose declared type is its own name),
    /// an array or a `real` (whose text is shorter than a double's) is cast.
    init(_ column: ExportTable.Column) {
        switch (column.declaredType, column.logicalType) {
        case ("smallint", .integer), ("integer", .integer), ("bigint", .integer):
            self = .integer
        case ("double precision", .real): self = .double
        case ("boolean", .boolean): self = .boolean
        case ("bytea", .blob): self = .bytes
        case ("text", .text), ("character varying", .text): self = .text
        case (let declared, .text) where declared.hasPrefix("character varying("): self = .text
        // `char(n)` loses its padding through the cast, and `inet` keeps its mask: the export
        // carries what a cast to text gives, as it always has.
        case (_, let type): self = .cast(type)
        }
    }

    /// Whether the query casts the column to `text`.
    var isCast: Bool {
        if case .cast = self { return true }
        return false
    }

    /// Appends one field (nil: NULL) as the current row's next value.
    ///
    /// - Throws: ``PostgresCopyReader/Malformed`` when the field's length is
    ///   not its type's, or a `bytea` cast to text is not in hex.
    @inline(__always)
    func append(_ field: UnsafeRawBufferPointer?, to rows: ExportRowBuffer) throws {
        guard let field else { return rows.appendNull() }
        switch self {
        case .integer:
            switch field.count {
            case 2: rows.append(Int64(PostgresCopyReader.bigEndian(Int16.self, field, at: 0)))
            case 4: rows.append(Int64(PostgresCopyReader.bigEndian(Int32.self, field, at: 0)))
            case 8: rows.append(PostgresCopyReader.bigEndian(Int64.self, field, at: 0))
            default: throw Self.wrongLength(field.count, "an integer")
            }
        case .double:
            guard field.count == 8 else { throw Self.wrongLength(field.count, "a double") }
            rows.append(Double(bitPattern: PostgresCopyReader.bigEndian(UInt64.self, field, at: 0)))
        case .boolean:
            guard field.count == 1 else { throw Self.wrongLength(field.count, "a boolean") }
            rows.append(field[0] != 0)
        case .bytes:
            rows.appendBlob(field)
        case .text:
            rows.appendText(field)
        case .cast(let type):
            try Self.append(text: field.assumingMemoryBound(to: UInt8.self), type: type, to: rows)
        }
    }

    private static func wrongLength(_ length: Int, _ what: String) -> PostgresCopyReader.Malformed {
        PostgresCopyReader.Malformed(
            description: "\(what) field of psql's output has \(length) bytes")
    }

    /// Appends a value from its text as a cast to `text` writes it: a
    /// `bytea` from its hex form (`\x…`), every other value as
    /// ``PostgresExportSnapshot/value(text:type:)`` reads it, without making
    /// a value or a text on the way.
    static func append(
        text field: UnsafeBufferPointer<UInt8>, type: LogicalType, to rows: ExportRowBuffer
    ) throws {
        switch type {
        case .blob:
            guard field.count >= 2, field[0] == 0x5c, field[1] == UInt8(ascii: "x"),
                field.count % 2 == 0
            else {
                throw PostgresCopyReader.Malformed(description: "a bytea value is not in hex")
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(field.count / 2 - 1)
            var index = 2
            while index < field.count {
                guard let high = hexDigit(field[index]), let low = hexDigit(field[index + 1]) else {
                    throw PostgresCopyReader.Malformed(description: "a bytea value is not in hex")
                }
                bytes.append(high << 4 | low)
                index += 2
            }
            return bytes.withUnsafeBytes { rows.appendBlob($0) }
        case .integer:
            if let integer = RowCodec.integer(field) { return rows.append(integer) }
        case .real:
            if let real = RowCodec.real(field) { return rows.append(real) }
        case .boolean:
            let isTrue = field.elementsEqual("t".utf8) || field.elementsEqual("true".utf8)
            return rows.append(isTrue)
        default:
            return rows.appendText(UnsafeRawBufferPointer(field))
        }
        // What does not read as its type goes as its text, as `value(text:type:)` sends it.
        rows.append(
            PostgresExportSnapshot.value(text: String(decoding: field, as: UTF8.self), type: type))
    }

    /// A hexadecimal digit's value (either case), or nil.
    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
