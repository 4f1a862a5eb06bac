/// A set of releases, written as a range such as `>=1.0.0`, `^0.7` or
/// `>0.15.0 <0.18.0 || 1.x`.
///
/// Hooks choose the upgrades they run in by ranges, components declare the
/// releases they work with, and requirements the versions they accept.
///
/// - `<0.6.4`, `<=`, `>`, `>=`, `=` (or no operator): compare with a release.
/// - `>0.15.0 <0.18.0` or `>0.15.0, <0.18.0`: all of them (AND).
/// - `<0.3.0 || >=1.0.0`: any of the alternatives (OR).
/// - `^0.7` (`>=0.7.0 <0.8.0`), `^1.2.3` (`>=1.2.3 <2.0.0`): releases that
///   keep the leftmost non-zero number.
/// - `~1.2` (`>=1.2.0 <1.3.0`), `~1` (`>=1.0.0 <2.0.0`): releases that keep
///   the minor number (the major one when no minor is given).
/// - `0.3.x`, `0.3.*`, `0.3`: the releases that start with `0.3`; `*` and
///   `x` alone: every release.
///
/// Releases compare as Semantic Versioning says, so `1.0.0-beta.2` is in
/// `<1.0.0` and not in `>=1.0.0`. The ranges a shorthand stands for end
/// below the next release's pre-releases: `0.3.x` does not hold
/// `0.4.0-beta.1`.
///
/// ```swift
/// let range = try ReleaseRange(parsing: ">0.15.0 <0.18.0")
/// range.contains(Release(0, 17, 2))  // true
/// ```
public struct ReleaseRange: Sendable, Hashable, CustomStringConvertible {
    /// One comparison with a release, such as `>=1.0.0`.
    public struct Comparator: Sendable, Hashable, CustomStringConvertible {
        /// How a release is compared.
        public enum Operator: String, Sendable, Hashable {
            /// Below the release.
            case less = "<"
            /// Below or equal to the release.
            case lessOrEqual = "<="
            /// Above the release.
            case greater = ">"
            /// Above or equal to the release.
            case greaterOrEqual = ">="
            /// The release itself.
            case equal = "="
        }

        /// The comparison.
        public let op: Operator
        /// The release compared with.
        public let release: Release

        /// Whether a release passes the comparison.
        public func admits(_ candidate: Release) -> Bool {
            switch op {
            case .less: return candidate < release
            case .lessOrEqual: return candidate <= release
            case .greater: return candidate > release
            case .greaterOrEqual: return candidate >= release
            case .equal: return candidate == release
            }
        }

        /// The comparison as written, such as `>=1.0.0`.
        public var description: String { op.rawValue + release.description }
    }

    /// The range as written.
    public let text: String
    /// The alternatives (OR), each a list of comparators that must all hold
    /// (AND). An empty list holds every release.
    public let alternatives: [[Comparator]]

    /// The range that holds every release, `*`.
    public static let any = ReleaseRange(text: "*", alternatives: [[]])

    private init(text: String, alternatives: [[Comparator]]) {
        self.text = text
        self.alternatives = alternatives
    }

    /// Reads a range.
    ///
    /// - Throws: ``FerryError`` (code `invalidRange`) naming what cannot be
    ///   read, for example an empty range, an operator without a release, or
    ///   `1.x.3`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func malformed(_ why: String) -> FerryError {
            FerryError(
                .invalidRange, "'\(text)' is not a release range: \(why).",
                advice:
                    "Write for example <0.6.4, >=1.0.0, >0.15.0 <0.18.0, ^0.7, ~1.2, 0.3.x or *; "
                    + "join with ',' or a space for AND, '||' for OR.")
        }
        guard !trimmed.isEmpty else { throw malformed("it is empty") }
        var alternatives: [[Comparator]] = []
        for alternative in trimmed.components(separatedBy: "||") {
            let words = alternative.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(
                String.init)
            guard !words.isEmpty else { throw malformed("an alternative around '||' is empty") }
            var comparators: [Comparator] = []
            var pending = ""  // an operator written apart from its release: `>= 1.0.0`
            for word in words {
                if word.allSatisfy({ "<>=^~".contains($0) }) {
                    guard pending.isEmpty else {
                        throw malformed("'\(pending) \(word)' has two operators")
                    }
                    pending = word
                    continue
                }
                guard let parsed = Self.comparators(pending + word) else {
                    throw malformed(
                        "'\(pending + word)' is neither a release nor an operator and a release")
                }
                comparators += parsed
                pending = ""
            }
            guard pending.isEmpty else {
                throw malformed("the operator '\(pending)' has no release after it")
            }
            alternatives.append(comparators)
        }
        self.init(text: trimmed, alternatives: alternatives)
    }

    /// Whether the range holds a release.
    public func contains(_ release: Release) -> Bool {
        alternatives.contains { comparators in comparators.allSatisfy { $0.admits(release) } }
    }

    /// The range as written.
    public var description: String { text }

    /// The comparators one written term stands for, or nil when it is malformed.
    private static func comparators(_ term: String) -> [Comparator]? {
        var rest = Substring(term)
        var symbol = ""
        while let first = rest.first, "<>=^~".contains(first) {
            symbol.append(first)
            rest = rest.dropFirst()
        }
        guard let version = PartialVersion(rest) else { return nil }
        let low = version.lowest
        switch symbol {
        case "", "=":
            if version.isFull { return [.init(op: .equal, release: low)] }
            guard let next = version.nextAfterPrefix else { return [] }  // `*`: every release
            return [.init(op: .greaterOrEqual, release: low), .init(op: .less, release: next)]
        case ">=":
            return version.isWildcard ? [] : [.init(op: .greaterOrEqual, release: low)]
        case ">":
            if version.isFull { return [.init(op: .greater, release: low)] }
            // `>*` holds nothing: a mistake.
            guard let next = version.nextAfterPrefix else { return nil }
            return [.init(op: .greaterOrEqual, release: next)]
        case "<":
            guard !version.isWildcard else { return nil }
            return [.init(op: .less, release: version.isFull ? low : low.lowestPrerelease)]
        case "<=":
            if version.isFull { return [.init(op: .lessOrEqual, release: low)] }
            guard let next = version.nextAfterPrefix else { return [] }
            return [.init(op: .less, release: next)]
        case "^", "~":
            guard !version.isWildcard else { return nil }
            let upper = symbol == "^" ? version.caretUpperBound : version.tildeUpperBound
            return [.init(op: .greaterOrEqual, release: low), .init(op: .less, release: upper)]
        default:
            return nil
        }
    }
}

/// A version that may leave out numbers or use wildcards: `1`, `1.2`, `1.2.x`, `*`.
private struct PartialVersion {
    /// The numbers given, up to the first wildcard or missing one.
    var numbers: [Int]
    var prerelease: [String]

    init?(_ text: Substring) {
        var rest = text
        if rest.first == "v" || rest.first == "V" { rest = rest.dropFirst() }
        if let plus = rest.firstIndex(of: "+") { rest = rest[..<plus] }
        prerelease = []
        if let dash = rest.firstIndex(of: "-") {
            guard let full = Release(String(rest)), full.prerelease.count > 0 else { return nil }
            prerelease = full.prerelease
            rest = rest[..<dash]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        numbers = []
        var sawWildcard = false
        for part in parts {
            if ["x", "X", "*"].contains(part) {
                sawWildcard = true
            } else if !sawWildcard, !part.isEmpty, part.count < 10,
                part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(part)
            {
                numbers.append(value)
            } else {
                return nil  // empty, not a number, or a number after a wildcard
            }
        }
        if !prerelease.isEmpty, numbers.count < 3 { return nil }
    }

    var isFull: Bool { numbers.count == 3 }
    var isWildcard: Bool { numbers.isEmpty }

    /// The lowest release the version stands for (`1.2.x` → `1.2.0`).
    var lowest: Release {
        Release(
            numbers.count > 0 ? numbers[0] : 0, numbers.count > 1 ? numbers[1] : 0,
            numbers.count > 2 ? numbers[2] : 0, prerelease: prerelease)
    }

    /// The first release after every release the prefix stands for, below
    /// its pre-releases (`1.2.x` → `1.3.0-0`), or nil for `*`.
    var nextAfterPrefix: Release? {
        switch numbers.count {
        case 0: return nil
        case 1: return Release(numbers[0] + 1, 0, 0, prerelease: ["0"])
        case 2: return Release(numbers[0], numbers[1] + 1, 0, prerelease: ["0"])
        default: return Release(numbers[0], numbers[1], numbers[2] + 1, prerelease: ["0"])
        }
    }

    /// `^`: the leftmost non-zero number stays.
    var caretUpperBound: Release {
        let major = numbers[0]
        let minor = numbers.count > 1 ? numbers[1] : nil
        let patch = numbers.count > 2 ? numbers[2] : nil
        if major > 0 || minor == nil { return Release(major + 1, 0, 0, prerelease: ["0"]) }
        if minor! > 0 || patch == nil { return Release(0, minor! + 1, 0, prerelease: ["0"]) }
        return Release(0, 0, patch! + 1, prerelease: ["0"])
    }

    /// `~`: the minor number stays when given, else the major one.
    var tildeUpperBound: Release {
        numbers.count == 1
            ? Release(numbers[0] + 1, 0, 0, prerelease: ["0"])
            : Release(numbers[0], numbers[1] + 1, 0, prerelease: ["0"])
    }
}

extension Release {
    /// The lowest pre-release of this release (`1.2.0-0`), below every other.
    var lowestPrerelease: Release { Release(major, minor, patch, prerelease: ["0"]) }
}

extension ReleaseRange: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try ReleaseRange(parsing: text)
        } catch let error as FerryError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
