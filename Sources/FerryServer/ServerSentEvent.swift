/// The text of server-sent events (`text/event-stream`).
enum ServerSentEvent {
    /// One event: an optional `event:` name, then the data, one `data:` line
    /// per line of it, then a blank line.
    static func frame(_ data: String, event: String? = nil) -> String {
        var frame = event.map { "event: \($0)\n" } ?? ""
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            frame += "data: \(line)\n"
        }
        return frame + "\n"
    }
}
