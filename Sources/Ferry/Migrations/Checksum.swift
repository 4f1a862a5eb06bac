import Crypto
import Foundation

/// SHA-256 checksums as lowercase hexadecimal text.
public enum Checksum {
    /// The SHA-256 of the bytes, as 64 lowercase hexadecimal digits.
    public static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The SHA-256 of the text's UTF-8 bytes.
    public static func sha256(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    /// The SHA-256 of a script's text with every `\r\n` and lone `\r` read
    /// as `\n` and a leading byte-order mark left out, and the SHA-256 of the
    /// text as it is (the checksum Ferry recorded before), computed only
    /// when the two differ.
    ///
    /// Git on Windows, an editor or a copy may change line endings and add a
    /// byte-order mark; neither changes what the script does.
    public static func normalizedSHA256(_ text: String) -> (checksum: String, legacy: String) {
        let bytes = text.utf8
        let hasMark = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        guard hasMark || bytes.contains(UInt8(ascii: "\r")) else {
            let checksum = sha256(text)
            return (checksum, checksum)
        }
        var normalized: [UInt8] = []
        normalized.reserveCapacity(bytes.count)
        var previousWasReturn = false
        for byte in bytes.dropFirst(hasMark ? 3 : 0) {
            if byte == UInt8(ascii: "\r") {
                normalized.append(UInt8(ascii: "\n"))
                previousWasReturn = true
                continue
            }
            if byte == UInt8(ascii: "\n"), previousWasReturn {
                previousWasReturn = false
                continue
            }
            previousWasReturn = false
            normalized.append(byte)
        }
        return (sha256(normalized), sha256(text))
    }

    /// Computes a SHA-256 from pieces, for data too large to hold at once.
    public struct Hasher {
        private var hash = SHA256()

        /// Starts a new checksum.
        public init() {}

        /// Adds bytes.
        public mutating func update(_ data: some DataProtocol) {
            hash.update(data: data)
        }

        /// The checksum of everything added, as lowercase hexadecimal.
        public func finalize() -> String {
            hex(hash.finalize())
        }
    }

    /// The bytes as lowercase hexadecimal digits, two per byte.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        func digit(_ nibble: UInt8) -> UInt8 {
            nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digit(byte >> 4))
            text.append(digit(byte & 0x0f))
        }
        return String(decoding: text, as: UTF8.self)
    }
}
