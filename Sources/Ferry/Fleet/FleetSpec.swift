import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which databases a fleet run works on, as `--databases` or `[fleet]
/// databases` gives them.
///
/// Three forms:
/// - a glob of SQLite files, `tenants/*.db` (sorted by path);
/// - `@FILE`, a file listing one database path or URL per line, in its
///   order; blank lines and lines starting with `#` are ignored, and a
///   relative path is read from the list file's folder;
/// - a database URL with a pattern that its engine lists, such as
///   PostgreSQL's schemas, `postgres://host/app?schemas=tenant_*` (see
///   ``Fleet/listing(_:engines:settings:)``).
///
/// ```swift
/// let spec = try FleetSpec("tenants/*.db")
/// let locations = try spec.locations()
/// ```
public struct FleetSpec: Sendable, Hashable, CustomStringConvertible {
    /// The form of a spec.
    public enum Form: Sendable, Hashable {
        /// A glob of database files.
        case glob(String)
        /// A file listing the databases, one a line.
        case list(URL)
        /// A database URL with a pattern (`?schemas=tenant_*`) that the
        /// engine of its scheme lists.
        case pattern(String)
    }

    /// The form, parsed once.
    public let form: Form

    /// The spec as the user gave it.
    public let description: String

    /// Parses a spec.
    ///
    /// - Parameter text: The spec as `--databases` gives it.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for an empty spec.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        guard !trimmed.isEmpty, trimmed != "@" else {
            throw FerryError(
                .invalidConfiguration, "The list of databases is empty.",
                changes: "Nothing was changed.",
                advice:
                    "Give \(.databases, .placeholder) as a glob of SQLite files ('tenants/*.db') or @FILE, "
                    + "a file listing database paths or URLs one a line.")
        }
        if trimmed.hasPrefix("@") {
            form = .list(URL(fileURLWithPath: String(trimmed.dropFirst())))
            return
        }
        form = Self.isPattern(trimmed) ? .pattern(trimmed) : .glob(trimmed)
    }

    /// Whether a spec is a URL with a pattern its engine lists (`schemas=`).
    private static func isPattern(_ text: String) -> Bool {
        guard DatabaseLocation.scheme(of: text) != nil,
            let query = text.split(separator: "?", maxSplits: 1).dropFirst().first
        else { return false }
        return query.split(separator: "&").contains { $0.lowercased().hasPrefix("schemas=") }
    }

    /// The databases' locations, in a stable order: a glob's matches sorted,
    /// a list's lines in their order, each once.
    ///
    /// - Throws: ``FerryError`` when the list file cannot be read or names a
    ///   pattern, or for a pattern, which only its engine lists (see
    ///   ``Fleet/listing(_:engines:settings:)``).
    public func locations() throws -> [String] {
        var seen = Set<String>()
        switch form {
        case .pattern:
            throw FerryError(
                .invalidConfiguration,
                "'\(description)' is a pattern that only its database server can list.",
                changes: "Nothing was changed.",
                advice: "Pass it as \(.databases, .placeholder) itself, not inside a list file.")
        case .glob(let pattern):
            return Self.matches(of: pattern).filter { seen.insert($0).inserted }
        case .list(let file):
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw FerryError(
                    .invalidConfiguration,
                    "The list of databases \(file.path) cannot be read: \(error.localizedDescription)",
                    changes: "Nothing was changed.",
                    advice: "Check the path after '@' in \(.databases).")
            }
            let folder = file.deletingLastPathComponent()
            var locations: [String] = []
            for line in text.split(whereSeparator: \.isNewline) {
                let entry = line.trimmingCharacters(in: .whitespaces)
                guard !entry.isEmpty, !entry.hasPrefix("#") else { continue }
                if case .pattern = try FleetSpec(entry).form {
                    throw FerryError(
                        .invalidConfiguration,
                        "The list of databases \(file.path) holds a pattern, '\(entry)': a list names "
                            + "each database.",
                        changes: "Nothing was changed.",
                        advice:
                            "Pass the pattern as \(.databases, .placeholder) itself, or list each database "
                            + "on a line of its own.")
                }
                let location = DatabaseLocation.resolving(entry, against: folder)
                if seen.insert(location).inserted { locations.append(location) }
            }
            return locations
        }
    }

    /// The paths a glob matches, sorted; none when nothing matches.
    private static func matches(of pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }.sorted()
    }
}
