import Foundation

/// Where a database is, as given by `--database`, `FERRY_DATABASE` or
/// `[database] url`: a SQLite path, `sqlite:PATH`, or a `postgres://` URL.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server, as a `postgres://` or `postgresql://` URL.
    case postgres(url: String)

    /// Reads a database location.
    ///
    /// - Parameter relativeTo: The folder a relative SQLite path is resolved
    ///   against (the folder of `ferry.toml`); nil keeps it relative to the
    ///   working directory.
    /// - Throws: ``FerryError`` for an empty text or an unknown scheme.
    public init(parsing text: String, relativeTo folder: URL? = nil) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw FerryError(.invalidConfiguration, "The database location is empty.",
                             advice: "Give a SQLite path, sqlite:PATH, or postgres://user@host/db.")
        }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
            return
        }
        var path = trimmed
        if lowered.hasPrefix("sqlite://") {
            path = String(trimmed.dropFirst("sqlite://".count))
        } else if lowered.hasPrefix("sqlite:") {
            path = String(trimmed.dropFirst("sqlite:".count))
        } else if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].count > 1,
                  trimmed[..<colon].allSatisfy({ $0.isLetter }), trimmed[colon...].hasPrefix("://") {
            throw FerryError(
                .invalidConfiguration, "Unknown database scheme '\(trimmed[..<colon])'.",
                advice: "Give a SQLite path, sqlite:PATH, or postgres://user@host/db.")
        }
        if let folder, !path.hasPrefix("/") {
            path = folder.appendingPathComponent(path).standardizedFileURL.path
        }
        self = .sqlite(path: path)
    }

    /// The location without any password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return DatabaseLocation.redactingPassword(in: url)
        }
    }

    /// The URL with its password, if any, replaced by `***`: the one after
    /// the user name and a `password=` query parameter.
    public static func redactingPassword(in url: String) -> String {
        guard var components = URLComponents(string: url) else {
            return url.contains("@") || url.lowercased().contains("password") ? "(a database URL that does not parse)" : url
        }
        let hasQueryPassword = components.queryItems?.contains { $0.name.lowercased() == "password" } == true
        guard components.password != nil || hasQueryPassword else { return url }
        if components.password != nil { components.password = "***" }
        if hasQueryPassword {
            components.queryItems = components.queryItems?.map { item in
                item.name.lowercased() == "password" ? URLQueryItem(name: item.name, value: "***") : item
            }
        }
        return components.string ?? "(a URL with a password)"
    }
}
