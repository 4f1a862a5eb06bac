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
/// Two forms:
/// - a glob of SQLite files, `tenants/*.db` (sorted by path);
/// - `@FILE`, a file listing one database path or URL per line, in its
///   order; blank lines and lines starting with `#` are ignored, and a
///   relative path is read from the list file's folder.
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
    }

    /// The form, parsed once.
    public let form: Form

    /// The spec as the user gave it.
    public let description: String

    /// Parses a spec.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for an empty
    ///   spec or a PostgreSQL schema pattern, which is not supported yet.
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
        if DatabaseLocation.scheme(of: trimmed) != nil, trimmed.contains("schemas=") {
            throw FerryError(
                .invalidConfiguration,
                "A PostgreSQL schema pattern ('?schemas=…') is not supported yet: Ferry cannot yet keep "
                    + "its history inside each schema.",
                changes: "Nothing was changed.",
                advice:
                    "List the databases in a file, one URL a line, and pass \(.databases) @FILE.")
        }
        form = .glob(trimmed)
    }

    /// The databases' locations, in a stable order: a glob's matches sorted,
    /// a list's lines in their order, each once.
    ///
    /// - Throws: ``FerryError`` when the list file cannot be read, or names a
    ///   schema pattern.
    public func locations() throws -> [String] {
        var seen = Set<String>()
        switch form {
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
                _ = try FleetSpec(entry)  // refuses a schema pattern on a line as well
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
