/// A release of the application: a semantic version such as `0.7.0` or
/// `1.0.0-beta.2`.
///
/// Releases order as Semantic Versioning 2.0 says: numerically by major,
/// minor and patch (so `0.10.0` comes after `0.9.0`), and a pre-release
/// before its release (`1.0.0-beta.2` < `1.0.0`). Build metadata (`+abc`) is
/// kept for display and ignored when comparing.
///
/// ```swift
/// let release = try Release(parsing: "0.7.0")
/// release < (try Release(parsing: "0.10.0"))  // true
/// ```
public struct Release: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version.
    public let major: Int
    /// The minor version.
    public let minor: Int
    /// The patch version.
    public let patch: Int
    /// The dot-separated pre-release identifiers (`["beta", "2"]`), empty for
    /// a normal release.
    public let prerelease: [String]
    /// Build metadata after `+`, ignored by comparisons.
    public let build: String?

    /// Creates a release from its numbers.
    public init(
        _ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = [], build: String? = nil
    ) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses a semantic version such as `1.2.3`, `1.2.3-rc.1` or `v1.2.3`.
    ///
    /// A missing minor or patch number counts as zero (`1.2` is `1.2.0`).
    ///
    /// - Throws: ``FerryError`` with code `invalidRelease` when the text is
    ///   not a version.
    public init(parsing text: String) throws {
        guard let release = Release(text) else {
            throw FerryError(
                .invalidRelease,
                "'\(text)' is not a release: expected a semantic version such as 1.2.0 or 1.0.0-beta.2."
            )
        }
        self = release
    }

    /// Parses a semantic version, or returns nil when the text is not one.
    public init?(_ text: String) {
        // Foundation's trimming costs microseconds that start-up pays for every name it reads.
        let isPadded = text.first?.isWhitespace == true || text.last?.isWhitespace == true
        var rest = Substring(isPadded ? text.trimmingCharacters(in: .whitespaces) : text)
        if rest.first == "v" || rest.first == "V" { rest = rest.dropFirst() }
        var build: String?
        if let plus = rest.firstIndex(of: "+") {
            build = String(rest[rest.index(after: plus)...])
            rest = rest[..<plus]
            guard let build, Release.areValidIdentifiers(build) else { return nil }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            let identifiers = String(rest[rest.index(after: dash)...])
            guard Release.areValidIdentifiers(identifiers) else { return nil }
            prerelease = identifiers.split(separator: ".").map(String.init)
            rest = rest[..<dash]
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber),
                number.count < 10, let value = Int(number)
            else { return nil }
            values.append(value)
        }
        while values.count < 3 { values.append(0) }
        self.init(values[0], values[1], values[2], prerelease: prerelease, build: build)
    }

    private static func areValidIdentifiers(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty
            && parts.allSatisfy { part in
                !part.isEmpty
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    /// The version as text, for example `1.0.0-beta.2`.
    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if let build { text += "+" + build }
        return text
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    public var isPrerelease: Bool { !prerelease.isEmpty }

    public static func == (lhs: Release, rhs: Release) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch
            && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    public static func < (lhs: Release, rhs: Release) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        // A release without pre-release identifiers is greater than any pre-release of it.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case (let left?, let right?): return left < right
            case (.some, nil): return true  // numeric identifiers sort before alphanumeric ones
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}

extension Release: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let release = Release(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(text)' is not a semantic version"))
        }
        self = release
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
