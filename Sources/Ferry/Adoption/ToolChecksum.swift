import Crypto
import Foundation

/// The checksum another tool kept of a migration file, computed as that
/// tool computes it, so that `ferry adopt` can tell a file changed since
/// the tool applied it.
public enum ToolChecksum: Sendable, Hashable, CustomStringConvertible {
    /// Flyway's: the CRC32 of the file's lines, kept as a signed 32-bit integer.
    case flywayCRC32(Int32)
    /// SQLx's: the SHA-384 of the file's bytes, in lowercase hexadecimal.
    case sqlxSHA384(String)

    /// The checksum as the tool shows it.
    public var description: String {
        switch self {
        case .flywayCRC32(let value): "\(value) (Flyway CRC32)"
        case .sqlxSHA384(let hex): "\(hex.prefix(12))… (SQLx SHA-384)"
        }
    }

    /// The same kind of checksum computed from a file's text now.
    public func recomputed(from text: String) -> ToolChecksum {
        switch self {
        case .flywayCRC32: .flywayCRC32(Self.flywayCRC32(of: text))
        case .sqlxSHA384: .sqlxSHA384(Checksum.hex(SHA384.hash(data: Data(text.utf8))))
        }
    }

    /// Flyway's checksum of a script (its `ChecksumCalculator`): the CRC32 of
    /// the UTF-8 bytes of every line read by Java's `BufferedReader`, whose
    /// lines end at `\n`, `\r` or `\r\n` and are fed without their ends, so
    /// line endings never count; a byte-order mark on the first line is left out.
    static func flywayCRC32(of text: String) -> Int32 {
        var crc: UInt32 = 0xFFFF_FFFF
        var bytes = text.utf8[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        for byte in bytes where byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\r") {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return Int32(bitPattern: crc ^ 0xFFFF_FFFF)
    }

    /// The table of the reflected CRC-32 polynomial (IEEE 802.3, as `java.util.zip.CRC32`).
    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}
