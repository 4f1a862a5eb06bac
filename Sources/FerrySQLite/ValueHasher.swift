import GRDBSQLite

/// What digests a row's values where SQLite keeps them (a Swift value per
/// column would cost more than the statement that reads the rows): the
/// transfer's digests (``SQLiteTransferRecorder``) and the integrity
/// check's fingerprints (``SQLiteRowFingerprint``).
protocol ValueHasher {
    /// Mixes a value's type (SQLite's `SQLITE_INTEGER`, …).
    mutating func mix(type: Int32)
    /// Mixes eight bytes.
    mutating func mix(_ word: UInt64)
    /// Mixes a text's or a blob's length and bytes.
    mutating func mix(_ bytes: UnsafeRawPointer?, _ length: Int32)
}

/// 64-bit FNV-1a, a byte at a time: the digest of `ferry_transfer_rows`.
struct ByteHasher: ValueHasher {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always) mutating func mix(byte: UInt8) {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    @inline(__always) mutating func mix(type: Int32) { mix(byte: UInt8(truncatingIfNeeded: type)) }

    @inline(__always) mutating func mix(_ word: UInt64) {
        var word = word
        for _ in 0..<8 {
            mix(byte: UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
    }

    @inline(__always) mutating func mix(_ bytes: UnsafeRawPointer?, _ length: Int32) {
        mix(UInt64(length))
        guard let bytes, length > 0 else { return }
        for offset in 0..<Int(length) {
            mix(byte: bytes.load(fromByteOffset: offset, as: UInt8.self))
        }
    }
}

/// A multiply and a shift per eight bytes: the digest of packs.
struct WordHasher: ValueHasher {
    var hash: UInt64 = 0x9e37_79b9_7f4a_7c15

    @inline(__always) mutating func mix(type: Int32) { mix(UInt64(type)) }

    @inline(__always) mutating func mix(_ word: UInt64) {
        hash = (hash ^ word) &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 32
    }

    @inline(__always) mutating func mix(_ bytes: UnsafeRawPointer?, _ length: Int32) {
        mix(UInt64(length))
        guard let bytes, length > 0 else { return }
        let length = Int(length)
        var offset = 0
        while offset + 8 <= length {
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < length {
            var tail: UInt64 = 0
            for index in offset..<length {
                let byte = bytes.load(fromByteOffset: index, as: UInt8.self)
                tail |= UInt64(byte) << UInt64(8 * (index - offset))
            }
            mix(tail)
        }
    }
}

extension ValueHasher {
    /// Feeds each value's type, then its integer, real or bytes.
    @inline(__always)
    mutating func feed(_ values: UnsafeMutablePointer<OpaquePointer?>?, count: Int) {
        for index in 0..<count {
            let value = values?[index]
            let type = sqlite3_value_type(value)
            mix(type: type)
            switch type {
            case SQLITE_INTEGER: mix(UInt64(bitPattern: sqlite3_value_int64(value)))
            case SQLITE_FLOAT: mix(sqlite3_value_double(value).bitPattern)
            case SQLITE_TEXT:
                mix(UnsafeRawPointer(sqlite3_value_text(value)), sqlite3_value_bytes(value))
            case SQLITE_BLOB: mix(sqlite3_value_blob(value), sqlite3_value_bytes(value))
            default: break
            }
        }
    }
}
