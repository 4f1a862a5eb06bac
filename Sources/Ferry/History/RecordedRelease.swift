/// A release as Ferry's tables record it (a history row's release and the
/// program release that applied it, an event's releases): a version, or,
/// when the stored text is not one (edited by hand, written by another
/// tool), that text kept as it is, so that reading a history never fails
/// and never guesses.
public enum RecordedRelease: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// A version.
    case release(Release)
    /// A text that is not a version, as stored.
    case unreadable(String)

    /// The recorded text, read as a version when it is one.
    public init(_ text: String) {
        self = Release(text).map(RecordedRelease.release) ?? .unreadable(text)
    }

    /// The recorded text, read as a version when it is one.
    public init(stringLiteral text: String) { self.init(text) }

    /// The version, or nil when the recorded text is not one.
    public var release: Release? {
        if case .release(let release) = self { return release }
        return nil
    }

    /// The text as stored.
    public var description: String {
        switch self {
        case .release(let release): return release.description
        case .unreadable(let text): return text
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
