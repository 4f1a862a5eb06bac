import Foundation

/// The text that names a database, as `--database`, `FERRY_DATABASE` or
/// `[database] url` gives it: a path, or a URL whose scheme names the engine
/// that opens it (see ``DatabaseEngineKind``).
///
/// The core reads only what every engine shares: the scheme, a path relative
/// to `ferry.toml`, and a password to hide. The engine that opens the text
/// parses the rest, once.
package enum DatabaseLocation {
    /// The scheme a location starts with, lowercased: `postgres` for
    /// `postgres://db/app`, `sqlite` for `sqlite:app.db`; nil for a plain
    /// path. A scheme has at least two letters, so `C:` is not one.
    package static func scheme(of text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard scheme.count > 1, scheme.allSatisfy({ $0.isLetter }) else { return nil }
        return scheme.lowercased()
    }

    /// The location with a relative path made absolute against `folder`
    /// (the folder of `ferry.toml`): a plain path, or the path of a
    /// `scheme:PATH` location. A location with an authority
    /// (`scheme://…`) or an absolute path is returned as it is.
    package static func resolving(_ text: String, against folder: URL) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var prefix = ""
        var path = trimmed
        if let scheme = scheme(of: trimmed) {
            prefix = String(trimmed.prefix(scheme.count + 1))
            path = String(trimmed.dropFirst(scheme.count + 1))
            guard !path.hasPrefix("//") else { return text }
        }
        guard !path.isEmpty, !path.hasPrefix("/") else { return text }
        return prefix + folder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// The URL with its password, if any, replaced by `***`: the one after
    /// the user name and a `password=` query parameter.
    package static func redactingPassword(in url: String) -> String {
        guard var components = URLComponents(string: url) else {
            return url.contains("@") || url.lowercased().contains("password")
                ? "(a database URL that does not parse)" : url
        }
        let hasQueryPassword =
            components.queryItems?.contains { $0.name.lowercased() == "password" } == true
        guard components.password != nil || hasQueryPassword else { return url }
        if components.password != nil { components.password = "***" }
        if hasQueryPassword {
            components.queryItems = components.queryItems?.map { item in
                item.name.lowercased() == "password"
                    ? URLQueryItem(name: item.name, value: "***") : item
            }
        }
        return components.string ?? "(a URL with a password)"
    }
}
