import Foundation

#if canImport(Glibc)
import Glibc

private let systemWrite = Glibc.write
#elseif canImport(Musl)
import Musl

private let systemWrite = Musl.write
#elseif canImport(Darwin)
import Darwin

private let systemWrite = Darwin.write
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
        let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
        var text = text
        text.withUTF8 { bytes in
            var rest = UnsafeRawBufferPointer(bytes)
            while !rest.isEmpty {
                let written = systemWrite(descriptor, rest.baseAddress, rest.count)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            }
        }
    }
}
