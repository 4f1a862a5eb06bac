import Ferry

/// Where the admin server listens: a host and a port, `127.0.0.1:40406` by
/// default.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host: an IPv4 or IPv6 address, or `localhost`.
    public let host: String
    /// The port; 0 lets the system choose a free one.
    public let port: Int

    /// The default: the loopback address, port 40406.
    public static let standard = ListenAddress(host: "127.0.0.1", port: 40406)

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`, `[IPV6]:PORT` or `PORT` (on the loopback address).
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for anything else.
    public init(parsing text: String) throws {
        let invalid = FerryError(
            .invalidConfiguration,
            "'\(text)' is not an address to listen on (HOST:PORT, [IPV6]:PORT or PORT).",
            changes: "Nothing was changed.", advice: "For example --listen 127.0.0.1:40406.")
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                text[text.index(after: close)...].hasPrefix(":")
            else { throw invalid }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { throw invalid }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw invalid
        }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can reach it: `localhost`, 127.0.0.0/8 or `::1`.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127"
            && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
