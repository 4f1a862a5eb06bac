import Foundation

/// What a checked upgrade tells at every migration, done plainly: a line on
/// standard output as the migration starts and as it ends, and the same text
/// as the step of the holder record in the upgrade's lock file, which
/// another process reads to say what the holder is doing (as Ferry's lock
/// file does). Each with one `write(2)` or `pwrite(2)`, nothing buffered:
/// a line or a step that waits in a buffer is not told.
final class StepTeller {
    private let descriptor: Int32
    /// The holder record up to its step's text, and after it.
    private let before: [UInt8]
    private let after = Array(#""}"#.utf8)
    private var writtenLength = 0

    /// Takes the lock file at `lockPath` (creating it) for this process.
    init(lockPath: String) throws {
        descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
        let command = CommandLine.arguments.joined(separator: " ")
        let since = ISO8601DateFormatter().string(from: Date())
        var before = Array(#"{"host":""#.utf8)
        Self.appendEscaped(ProcessInfo.processInfo.hostName, to: &before)
        before.append(contentsOf: #"","pid":\#(getpid()),"command":""#.utf8)
        Self.appendEscaped(command, to: &before)
        before.append(contentsOf: #"","since":"\#(since)","step":""#.utf8)
        self.before = before
        _ = ftruncate(descriptor, 0)
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Says `step` on standard output and in the lock file.
    func tell(_ step: String) {
        var line = step + "\n"
        _ = line.withUTF8 { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        var note = before
        Self.appendEscaped(step, to: &note)
        note.append(contentsOf: after)
        // A shorter step than the last is followed by spaces, which JSON reads as nothing.
        if note.count < writtenLength {
            note.append(
                contentsOf: repeatElement(UInt8(ascii: " "), count: writtenLength - note.count))
        }
        _ = note.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        writtenLength = note.count
    }

    /// `text` as the inside of a JSON string: a quote, a backslash and the
    /// control characters escaped.
    private static func appendEscaped(_ text: String, to json: inout [UInt8]) {
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                json.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            } else {
                json.append(byte)
            }
        }
    }

    /// `duration` as seconds with three decimals.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds =
            duration.components.seconds * 1000
            + duration.components.attoseconds / 1_000_000_000_000_000
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count)
            + fraction
            + " s"
    }
}
