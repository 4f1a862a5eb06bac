import Ferry
import FuzzSupport

let logicalTypes: [LogicalType] = [
    .integer, .real, .numeric, .boolean, .text, .blob, .date, .time, .timestamp,
    .timestampWithTimeZone, .interval, .json, .uuid, .any, .other,
]

/// A line of an export part: the columns' logical types (a count, then one
/// byte each), then the line; a row that reads is written again, and what is
/// written reads back and is written the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let columns = Int(input.byte() % 9)
    let types = (0..<columns).map { _ in
        logicalTypes[Int(input.byte()) % logicalTypes.count]
    }
    guard let row = try? RowCodec.decode(input.rest, types: types) else { return 0 }
    var line: [UInt8] = []
    RowCodec.append(row, types: types, to: &line)
    line.removeLast()  // its `\n`
    guard let again = try? RowCodec.decode(line, types: types) else {
        preconditionFailure("a row read does not read back after it is written")
    }
    var lineAgain: [UInt8] = []
    RowCodec.append(again, types: types, to: &lineAgain)
    precondition(lineAgain.dropLast() == line[...], "a row written twice is written differently")
    return 0
}
