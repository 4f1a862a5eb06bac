import Foundation

/// One way a file gets damaged, by the position class of the bytes it
/// touches: a byte flipped (every bit) at the start, in a header, in the
/// middle or at the end; the file cut to nothing, to one byte, in half or
/// by its last byte; garbage appended.
public enum FileDamage: String, CaseIterable, Sendable, CustomStringConvertible {
    case firstByteFlipped = "first byte flipped"
    case headerByteFlipped = "header byte flipped"
    case middleByteFlipped = "middle byte flipped"
    case lastByteFlipped = "last byte flipped"
    case emptied = "cut to nothing"
    case cutToOneByte = "cut to one byte"
    case cutInHalf = "cut in half"
    case lastByteCut = "last byte cut"
    case garbageAppended = "garbage appended"

    public var description: String { rawValue }

    /// Damages a file in place.
    ///
    /// - Parameter file: The file, at least 100 bytes long.
    public func apply(to file: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: file))
        let count = bytes.count
        switch self {
        case .firstByteFlipped: bytes[0] ^= 0xFF
        case .headerByteFlipped: bytes[min(20, count - 1)] ^= 0xFF
        case .middleByteFlipped: bytes[count / 2] ^= 0xFF
        case .lastByteFlipped: bytes[count - 1] ^= 0xFF
        case .emptied: bytes = []
        case .cutToOneByte: bytes = [bytes[0]]
        case .cutInHalf: bytes = Array(bytes[..<(count / 2)])
        case .lastByteCut: bytes.removeLast()
        case .garbageAppended: bytes += Array("\u{0}garbage\u{FFFD}".utf8) + [0xFF, 0xFE]
        }
        try Data(bytes).write(to: file)
    }
}
