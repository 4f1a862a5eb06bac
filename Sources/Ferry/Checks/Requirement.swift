/// Something the environment must satisfy before an upgrade: the
/// operating system's release, or the database engine's version.
///
/// Written in `ferry.toml` as a name and a range, with `||` between
/// acceptable alternatives:
///
/// ```toml
/// [[requirement]]
/// os = "debian >= 11 || ubuntu >= 22.04"   # ID and VERSION_ID of /etc/os-release
///
/// [[requirement]]
/// engine = "sqlite >= 3.35"                 # the engine's name and version
/// unknown = "blocker"                       # what an unknown value means (default: warning)
/// ```
///
/// A value in none of the alternatives' ranges is a blocker. A value that
/// cannot be known (no `/etc/os-release`, no `VERSION_ID`, an operating
/// system or engine the requirement does not name, a database that does not
/// exist yet) is never passed over in silence: it is a warning, or a blocker
/// when `unknown = "blocker"`.
public struct Requirement: Sendable, Hashable {
    /// What a requirement is about.
    public enum Subject: String, Sendable, Hashable, Encodable {
        /// The operating system, from `/etc/os-release`.
        case operatingSystem = "os"
        /// The database engine.
        case engine
    }

    /// One acceptable name and its versions, such as `debian >= 11`.
    public struct Alternative: Sendable, Hashable {
        /// The name, in lower case: an os-release `ID`, or an engine name.
        public let name: String
        /// The acceptable versions.
        public let versions: ReleaseRange
    }

    /// What the requirement is about.
    public let subject: Subject
    /// The requirement as written.
    public let text: String
    /// The acceptable alternatives.
    public let alternatives: [Alternative]
    /// Whether a value that cannot be known blocks the upgrade (rather than
    /// warning).
    public let blocksWhenUnknown: Bool

    /// Reads a requirement such as `debian >= 11 || ubuntu >= 22.04`.
    ///
    /// - Parameters:
    ///   - text: Alternatives separated by `||`, each a name and a range
    ///     (no range: any version).
    ///   - subject: What it is about.
    ///   - blocksWhenUnknown: Whether an unknown value blocks.
    /// - Throws: ``FerryError`` (code `invalidRange`) when it cannot be read.
    public init(parsing text: String, subject: Subject, blocksWhenUnknown: Bool = false) throws {
        var alternatives: [Alternative] = []
        for part in text.components(separatedBy: "||") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            let name = trimmed.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            guard !name.isEmpty, name.first!.isLetter else {
                throw FerryError(
                    .invalidRange,
                    "'\(text)' is not a requirement: '\(trimmed)' does not start with a name.",
                    advice: "Write a name and a range, such as 'debian >= 11' or 'sqlite >= 3.35', "
                        + "with '||' between alternatives.")
            }
            let range = trimmed.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            do {
                alternatives.append(
                    Alternative(
                        name: name.lowercased(),
                        versions: range.isEmpty ? .any : try ReleaseRange(parsing: range)))
            } catch var error as FerryError {
                error.markedMessage = "'\(text)' is not a requirement: \(error.markedMessage)"
                throw error
            }
        }
        self.subject = subject
        self.text = text
        self.alternatives = alternatives
        self.blocksWhenUnknown = blocksWhenUnknown
    }

    /// Judges a value of the subject.
    ///
    /// - Parameters:
    ///   - name: The operating system's id or the engine's name; nil when unknown.
    ///   - version: Its version as given; nil when unknown.
    ///   - unknownReason: Why the value is unknown, when it is.
    public func check(name: String?, version: String?, unknownReason: String? = nil)
        -> PreflightCheck
    {
        let title = "requirement \(subject.rawValue) \(text)"
        func unknown(_ why: String) -> PreflightCheck {
            PreflightCheck(
                name: title, status: blocksWhenUnknown ? .blocker : .warning,
                detail: "not confirmed: \(why)")
        }
        guard let name = name?.lowercased() else {
            return unknown(unknownReason ?? "the \(subject.rawValue) is unknown")
        }
        let shown = [name, version].compactMap { $0 }.joined(separator: " ")
        let matching = alternatives.filter { $0.name == name }
        guard !matching.isEmpty else {
            return unknown("this is \(shown), which the requirement does not name")
        }
        guard let version else { return unknown("the version of \(name) is unknown") }
        guard let release = Release(version) else {
            return unknown("the version '\(version)' of \(name) is not a version number")
        }
        if matching.contains(where: { $0.versions.contains(release) }) {
            return PreflightCheck(name: title, status: .ok, detail: "\(shown) is supported")
        }
        return PreflightCheck(
            name: title, status: .blocker,
            detail: "\(shown) is too old or too new: the application needs \(text)")
    }
}
