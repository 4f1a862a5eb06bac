import Foundation

/// The bytes libFuzzer hands to a target, split into the fields a target
/// reads: text up to a separator byte, then the rest.
public struct FuzzInput {
    /// The bytes not yet read.
    public var rest: ArraySlice<UInt8>

    /// Wraps the input libFuzzer passes to `LLVMFuzzerTestOneInput`.
    ///
    /// - Parameters:
    ///   - start: The first byte (may be nil when `count` is 0).
    ///   - count: The number of bytes.
    public init(_ start: UnsafePointer<UInt8>?, _ count: Int) {
        rest = start.map { ArraySlice(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    }

    /// Whether every byte has been read.
    public var isEmpty: Bool { rest.isEmpty }

    /// Reads one byte, 0 when none is left.
    public mutating func byte() -> UInt8 {
        rest.popFirst() ?? 0
    }

    /// Reads the bytes up to `separator` (dropping it) or to the end.
    ///
    /// - Parameter separator: The byte that ends the field.
    public mutating func field(upTo separator: UInt8) -> ArraySlice<UInt8> {
        // memchr: the generic search, unoptimized, was most of a folder target's time.
        let end =
            rest.withUnsafeBytes { buffer in
                buffer.baseAddress.flatMap { memchr($0, Int32(separator), buffer.count) }.map {
                    rest.startIndex + (UnsafeRawPointer($0) - buffer.baseAddress!)
                }
            } ?? rest.endIndex
        let field = rest[..<end]
        rest = end < rest.endIndex ? rest[(end + 1)...] : []
        return field
    }

    /// Reads a line as text (invalid UTF-8 repaired, as a reader of text would).
    public mutating func line() -> String {
        String(decoding: field(upTo: UInt8(ascii: "\n")), as: UTF8.self)
    }

    /// The rest as text, invalid UTF-8 repaired.
    public mutating func text() -> String {
        defer { rest = [] }
        return String(decoding: rest, as: UTF8.self)
    }
}
