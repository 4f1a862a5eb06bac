import Foundation

/// The operating system this program runs on, as `/etc/os-release` names it.
public struct OperatingSystemRelease: Sendable, Equatable {
    /// The `ID`, such as `debian` or `ubuntu`, in lower case.
    public var id: String
    /// The `VERSION_ID`, such as `12` or `22.04`, if the file gives one.
    public var versionID: String?
    /// The `PRETTY_NAME`, such as `Debian GNU/Linux 12 (bookworm)`.
    public var prettyName: String?

    /// The standard place of the file.
    public static let standardFile = URL(fileURLWithPath: "/etc/os-release")

    /// Creates a description.
    public init(id: String, versionID: String?, prettyName: String? = nil) {
        self.id = id
        self.versionID = versionID
        self.prettyName = prettyName
    }

    /// Reads an `os-release` file, or returns nil when it cannot be read or
    /// has no `ID`.
    public init?(contentsOf file: URL) {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].hasPrefix("#") else { continue }
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'",
                value.last == quote
            {
                value = String(value.dropFirst().dropLast())
            }
            values[parts[0].trimmingCharacters(in: .whitespaces)] = value
        }
        guard let id = values["ID"], !id.isEmpty else { return nil }
        self.init(
            id: id.lowercased(), versionID: values["VERSION_ID"], prettyName: values["PRETTY_NAME"])
    }

    /// `debian 12`, or just the id when there is no version.
    public var shortName: String { versionID.map { "\(id) \($0)" } ?? id }
}
