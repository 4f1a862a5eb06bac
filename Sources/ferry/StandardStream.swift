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
        _ = text.withUTF8 { bytes in
            writeWhole(
                self == .output ? STDOUT_FILENO : STDERR_FILENO, UnsafeRawBufferPointer(bytes))
        }
    }
}
