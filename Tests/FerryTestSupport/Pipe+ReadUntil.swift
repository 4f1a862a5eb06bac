import Foundation

extension Pipe {
    /// What a process wrote into this pipe, read until it holds `text` or
    /// the process closed its end: a test waits for another process to say
    /// it reached a point (a transaction it holds) instead of for a time.
    ///
    /// - Parameter text: What the process writes once at that point.
    /// - Returns: All it wrote until then, `text` included unless it ended first.
    public func read(until text: String) -> String {
        var said = ""
        while !said.contains(text) {
            let more = fileHandleForReading.availableData
            if more.isEmpty { break }
            said += String(decoding: more, as: UTF8.self)
        }
        return said
    }
}
