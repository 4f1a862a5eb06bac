#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `bytes` to `descriptor`, again after an interrupted call
/// and from where a short write stopped.
///
/// - Returns: nil, or the `errno` of the write that failed (`EIO` for a
///   write that took nothing).
package func writeWhole(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if result == 0 { return EIO }
        written += result
    }
    return nil
}
