import Ferry
import Foundation
import PostgresNIO

extension SQLRow {
    /// A row read from PostgreSQL, with each value in the engine-neutral form.
    init(_ row: PostgresRow) {
        var names: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            names.append(cell.columnName)
            values.append(SQLValue(cell))
        }
        self.init(columnNames: names, values: values)
    }
}

extension SQLValue {
    /// A PostgreSQL value: booleans and integers as integers, floating point
    /// as reals, `numeric` as exact text, times as ISO 8601 text, `bytea` as
    /// a blob, and every other type as the text PostgreSQL sent.
    init(_ cell: PostgresCell) {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        do {
            switch cell.dataType {
            case .bool: self = .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .int2, .int4, .int8: self = .integer(try cell.decode(Int64.self))
            case .float4, .float8: self = .real(try cell.decode(Double.self))
            case .numeric: self = .text(try cell.decode(Decimal.self).description)
            case .timestamptz, .timestamp, .date:
                self = .text(Timestamp.string(from: try cell.decode(Date.self)))
            case .bytea: self = .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
            default: self = .text(try cell.decode(String.self))
            }
        } catch {
            self = .blob(Array(cell.bytes?.readableBytesView ?? ByteBuffer().readableBytesView))
        }
    }
}

extension PostgresBindings {
    /// Binds a value given in code: integers as `bigint`, reals as `double
    /// precision`, blobs as `bytea`, NULL, and text as a literal of no stated
    /// type, which the server reads as the type the statement needs there
    /// (as it reads a quoted literal), so that text fills a `uuid`, a
    /// `timestamptz` or a `jsonb` column as well as a `text` one.
    mutating func append(_ value: SQLValue) {
        switch value {
        case .null: appendNull()
        case .integer(let integer): append(integer, context: .default)
        case .real(let real): append(real, context: .default)
        case .text(let text): append(UntypedText(text: text), context: .default)
        case .blob(let bytes): append(ByteBuffer(bytes: bytes), context: .default)
        }
    }
}

/// Text sent with no type (OID 0), in text format: the server infers its
/// type from where the placeholder stands.
private struct UntypedText: PostgresDynamicTypeEncodable {
    let text: String

    var psqlType: PostgresDataType { .null }
    var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(text)
    }
}
