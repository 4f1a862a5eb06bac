import Ferry
import Foundation
import PostgresNIO

/// The schemas of one PostgreSQL database that a fleet run works on, each as
/// a database of its own: `postgres://host/app?schemas=tenant_*` lists the
/// schemas whose names match, and each becomes the member
/// `postgres://host/app?schema=tenant_acme`, named `tenant_acme`.
///
/// The pattern is a glob: `*` matches any characters, `?` one; several
/// patterns are separated by commas (`schemas=tenant_*,demo`). PostgreSQL's
/// own schemas (`pg_*`, `information_schema`) never match.
enum PostgresSchemaFleet {
    /// Lists the members a URL with `schemas=` names, in the order of their
    /// names' bytes.
    ///
    /// - Parameter url: The URL with its `schemas=` pattern.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a pattern
    ///   that is empty or matches no schema, or a URL that names a schema
    ///   too; the connection's error when the server cannot be asked.
    static func members(of url: String) async throws -> [FleetMember] {
        let shown = DatabaseLocation.redactingPassword(in: url)
        guard var components = URLComponents(string: url) else {
            throw FerryError(
                .invalidConfiguration, "The PostgreSQL URL \(shown) does not parse.",
                changes: "Nothing was changed.",
                advice: "Write it as postgres://user@host:5432/database?schemas=tenant_*.")
        }
        let items = components.percentEncodedQueryItems ?? []
        let others = items.filter { $0.name.lowercased() != "schemas" }
        let patterns =
            items.filter { $0.name.lowercased() == "schemas" }
            .flatMap { ($0.value?.removingPercentEncoding ?? "").split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !patterns.isEmpty, !patterns.contains(where: \.isEmpty) else {
            throw FerryError(
                .invalidConfiguration, "The schema pattern of \(shown) is empty.",
                changes: "Nothing was changed.",
                advice:
                    "Name the schemas with a glob, such as ?schemas=tenant_* (several separated by commas)."
            )
        }
        guard !others.contains(where: { $0.name.lowercased() == "schema" }) else {
            throw FerryError(
                .invalidConfiguration,
                "\(shown) names one schema (schema=) and a pattern of schemas (schemas=).",
                changes: "Nothing was changed.",
                advice:
                    "Use schema=NAME with --database for one schema, or schemas=PATTERN with --databases "
                    + "for many.")
        }
        components.percentEncodedQueryItems = others.isEmpty ? nil : others
        guard let base = components.string else {
            throw FerryError(
                .invalidConfiguration, "The PostgreSQL URL \(shown) does not parse.",
                changes: "Nothing was changed.")
        }
        let location = try PostgresLocation(url: base)
        let names = try await schemas(matching: patterns, in: location)
        guard !names.isEmpty else {
            throw FerryError(
                .invalidConfiguration,
                "No schema of the database \(location.database) on \(location.server) matches "
                    + "\(patterns.map { "'\($0)'" }.joined(separator: " or ")).",
                changes: "Nothing was changed: no schema was created or upgraded.",
                advice:
                    "List the schemas (psql -c '\\dn') and check the pattern after schemas= (* matches any "
                    + "characters, ? one; names are case-sensitive), or create the schemas first.")
        }
        return names.map { name in
            var member = components
            member.percentEncodedQueryItems =
                others + [URLQueryItem(name: "schema", value: percentEncoded(name))]
            return FleetMember(location: member.string ?? base, name: name)
        }
    }

    /// The schemas whose names match one of the globs, PostgreSQL's own left
    /// out. One whose name Ferry cannot work in (a space, a quote) stays:
    /// its run fails, saying why, rather than the fleet passing over it.
    private static func schemas(matching patterns: [String], in location: PostgresLocation)
        async throws -> [String]
    {
        let connector = PostgresConnector(
            location: location,
            applicationName: "ferry fleet, pid \(ProcessInfo.processInfo.processIdentifier)")
        return try await connector.withExistingDatabase { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT nspname::text FROM pg_namespace
                 WHERE nspname LIKE ANY(\(patterns.map(likePattern)))
                 ORDER BY nspname COLLATE "C"
                """, logger: PostgresConnector.logger)
            var names: [String] = []
            for try await name in rows.decode(String.self)
            where !name.lowercased().hasPrefix("pg_") && name.lowercased() != "information_schema" {
                names.append(name)
            }
            return names
        }
    }

    /// A glob as a `LIKE` pattern: `*` any characters, `?` one, and `%`,
    /// `_` and the escape character itself taken literally.
    static func likePattern(_ glob: String) -> String {
        var pattern = ""
        for character in glob {
            switch character {
            case "*": pattern += "%"
            case "?": pattern += "_"
            case "%", "_", "\\": pattern += "\\\(character)"
            default: pattern.append(character)
            }
        }
        return pattern
    }

    /// A schema's name as a URL's query value.
    private static func percentEncoded(_ name: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }
}
