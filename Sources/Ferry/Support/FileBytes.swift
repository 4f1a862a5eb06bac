import Foundation

/// Reads whole files with `open`, `fstat` and `read`.
///
/// `status` and `validate` read every script of the migrations folder;
/// `FileManager.contents(atPath:)` cost several times more per file.
enum FileBytes {
    /// A regular file's bytes, or nil when it cannot be read.
    ///
    /// - Parameter directory: The open folder a relative path starts from.
    static func contents(of path: String, relativeTo directory: Int32 = AT_FDCWD) -> [UInt8]? {
        // Without blocking: a FIFO would wait at the open for a writer; it is refused below.
        let file = openat(directory, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var status = stat()
        guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        // One byte more than the size: a read of a regular file that returns fewer bytes than
        // asked has reached the end, so a file that did not grow takes one read.
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: 64 * 1024))
            }
            let asked = bytes.count - filled
            let count = bytes.withUnsafeMutableBufferPointer { buffer in
                read(file, buffer.baseAddress! + filled, asked)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            filled += count
            if count < asked { break }
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
