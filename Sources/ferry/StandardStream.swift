import Ferry

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The program's standard output or standard error, written to directly:
/// a text in one `write(2)` where the stream takes it whole (an upgrade
/// writes a line at every migration).
enum StandardStream {
    case output
    case error

    /// Writes the whole text, or as much of it as the stream takes: a
    /// closed pipe or a full disk loses the rest without stopping the
    /// program (which ignores SIGPIPE), as a terminal that went away would.
    func write(_ text: String) {
        var text = text
        _ = text.withUTF8 { bytes in writeWhole(descriptor, UnsafeRawBufferPointer(bytes)) }
    }

    /// Writes the text and a newline, in one `writev(2)` where the stream
    /// takes them whole, without making a new text of them (an upgrade logs
    /// two lines per migration); what the stream did not take is written as
    /// ``write(_:)`` writes.
    func writeLine(_ text: String) {
        var text = text
        var newline = UInt8(ascii: "\n")
        text.withUTF8 { line in
            withUnsafeMutablePointer(to: &newline) { newline in
                let written = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { pieces in
                    pieces[0] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: line.baseAddress),
                        iov_len: line.count)
                    pieces[1] = iovec(iov_base: newline, iov_len: 1)
                    while true {
                        let written = writev(descriptor, pieces.baseAddress, 2)
                        if written >= 0 || errno != EINTR { return written }
                    }
                }
                guard written >= 0 else { return }
                if written < line.count {
                    _ = writeWhole(
                        descriptor,
                        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[written...])))
                }
                if written <= line.count {
                    _ = writeWhole(descriptor, UnsafeRawBufferPointer(start: newline, count: 1))
                }
            }
        }
    }

    private var descriptor: Int32 {
        self == .output ? STDOUT_FILENO : STDERR_FILENO
    }
}
