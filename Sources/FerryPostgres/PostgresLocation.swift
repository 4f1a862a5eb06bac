import Ferry
import Foundation

/// Where a PostgreSQL database is and who connects to it, read from a
/// `postgres://` URL the way `psql` reads it.
///
/// `postgres://user:password@host:5432/app?sslmode=require` — every part may
/// be left out. What the URL does not say comes from the environment
/// (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`), then libpq's defaults
/// (`localhost`, 5432, the login name, a database named like the user). The
/// password is the URL's, else `PGPASSWORD`, else the first matching line
/// of the password file (`PGPASSFILE` or `~/.pgpass`, which must not be
/// readable by others).
///
/// The password is kept for the connection only: ``description`` and every
/// message leave it out.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    /// The server's host name or address; a path for a Unix socket folder.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The role to log in as.
    public var user: String
    /// The database.
    public var database: String
    /// The schema Ferry works in (`?schema=tenant_a`): the migrations run
    /// with `search_path` set to it, Ferry's history lives in it, and the
    /// upgrade lock and backups are its own. Nil for the role's own
    /// `search_path` (the whole database).
    public var schema: String?
    /// Whether to use TLS (`sslmode`).
    public var tls: TLSMode
    /// How long to wait for the server to answer a connection (`connect_timeout`).
    public var connectTimeout: Duration
    /// The password, if one was found; never shown.
    var password: String?
    /// Where the password came from, for messages (`the URL`, `PGPASSWORD`, a file).
    public var passwordSource: String?
    /// The file of the certificate authorities that the server's certificate
    /// must be signed by (`sslrootcert`, `PGSSLROOTCERT`, else
    /// `~/.postgresql/root.crt` as libpq looks for it), or `system` for the
    /// system's trusted roots; nil when the certificate is not checked.
    public var rootCertificate: String?
    /// What Ferry noticed while reading the URL and its environment and
    /// ignored, as psql would warn about it (a password file open to
    /// others): lines for the user.
    public var warnings: [String] = []

    /// The `sslmode` values Ferry understands.
    public enum TLSMode: String, Sendable {
        /// Never use TLS.
        case disable
        /// Use TLS when the server offers it, without checking its certificate
        /// (libpq's default).
        case prefer
        /// Always use TLS, without checking the server's certificate, unless
        /// a root certificate file is there: then, as libpq does, its chain
        /// is checked as for ``verifyCA``.
        case require
        /// Always use TLS and check that the server's certificate is signed by
        /// a trusted authority (``PostgresLocation/rootCertificate``), but
        /// not which host it names.
        case verifyCA = "verify-ca"
        /// Always use TLS and check the certificate and the host name.
        case verifyFull = "verify-full"
    }

    /// How the server's certificate is checked.
    public enum CertificateCheck: Sendable {
        /// Not at all (no TLS, `prefer`, or `require` without root certificates).
        case none
        /// Its chain up to a trusted authority, not the host name (`verify-ca`).
        case chain
        /// Its chain and the host name (`verify-full`).
        case chainAndHostName
    }

    /// How the server's certificate is checked, as libpq checks it for the
    /// same `sslmode` and root certificate file.
    public var certificateCheck: CertificateCheck {
        switch tls {
        case .disable, .prefer: return .none
        case .require: return rootCertificate == nil ? .none : .chain
        case .verifyCA: return .chain
        case .verifyFull: return .chainAndHostName
        }
    }

    /// The query parameters a URL may hold.
    public static let knownParameters: Set<String> = [
        "sslmode", "sslrootcert", "connect_timeout", "host", "port", "user", "dbname", "password",
        "schema",
    ]

    /// Reads a `postgres://` or `postgresql://` URL.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - environment: The environment (`PG*` variables and `HOME`).
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a URL that
    ///   does not parse or holds an unknown parameter; the message never
    ///   holds the password.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws
    {
        let shown = DatabaseLocation.redactingPassword(in: url)
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw FerryError(
                .invalidConfiguration, "The PostgreSQL URL \(shown) does not parse.",
                advice:
                    "Write it as postgres://user@host:5432/database (percent-encode special characters "
                    + "in the user name and password).")
        }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            let name = item.name.lowercased()
            guard Self.knownParameters.contains(name) else {
                throw FerryError(
                    .invalidConfiguration,
                    "The PostgreSQL URL \(shown) has the unknown parameter '\(item.name)'.",
                    advice:
                        "Known parameters: \(Self.knownParameters.sorted().joined(separator: ", "))."
                )
            }
            parameters[name] = item.value ?? ""
        }
        func setting(_ fromURL: String?, _ parameter: String, _ variable: String) -> String? {
            [fromURL, parameters[parameter], environment[variable]].compactMap { $0 }.first {
                !$0.isEmpty
            }
        }

        var urlHost = components.percentEncodedHost.flatMap { $0.removingPercentEncoding }
        if let bracketed = urlHost, bracketed.hasPrefix("["), bracketed.hasSuffix("]") {
            urlHost = String(bracketed.dropFirst().dropLast())
        }
        host = setting(urlHost, "host", "PGHOST") ?? "localhost"
        let portText = setting(components.port.map(String.init), "port", "PGPORT") ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw FerryError(
                .invalidConfiguration, "The PostgreSQL port '\(portText)' is not a port number.")
        }
        self.port = port
        user = setting(components.user, "user", "PGUSER") ?? ProcessInfo.processInfo.userName
        let path =
            components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = setting(path, "dbname", "PGDATABASE") ?? user
        if let schema = parameters["schema"] {
            guard Self.isUsableSchemaName(schema) else {
                throw FerryError(
                    .invalidConfiguration,
                    "schema=\(schema) in \(shown) is not a schema name Ferry can work in.",
                    changes: "Nothing was changed.",
                    advice:
                        "Name one schema of 1 to 63 characters without spaces, quotes or backslashes, "
                        + "and not one of PostgreSQL's own (pg_*, information_schema).")
            }
            self.schema = schema
        }

        let mode = parameters["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        switch mode {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require": tls = .require
        case "verify-ca": tls = .verifyCA
        case "verify-full": tls = .verifyFull
        default:
            throw FerryError(
                .invalidConfiguration, "sslmode=\(mode) is not a TLS mode.",
                changes: "Nothing was changed.",
                advice: "Use disable, prefer (the default), require, verify-ca or verify-full.")
        }
        rootCertificate = try Self.rootCertificate(
            for: tls, named: parameters["sslrootcert"] ?? environment["PGSSLROOTCERT"],
            environment: environment)
        let timeoutText = parameters["connect_timeout"] ?? environment["PGCONNECT_TIMEOUT"] ?? "10"
        // Bounded (a year) so that turning it into milliseconds never overflows.
        guard let seconds = Int(timeoutText), (0...31_536_000).contains(seconds) else {
            throw FerryError(
                .invalidConfiguration,
                "connect_timeout=\(timeoutText) is not a whole number of seconds from 0 to 31536000 (a year)."
            )
        }
        connectTimeout = .seconds(seconds == 0 ? 10 : seconds)

        if let password = components.password ?? parameters["password"] {
            self.password = password
            passwordSource = "the URL"
        } else if let password = environment["PGPASSWORD"], !password.isEmpty {
            self.password = password
            passwordSource = "PGPASSWORD"
        } else {
            let file = PasswordFile.location(environment: environment)
            if let file, let warning = PasswordFile.warning(about: file) {
                warnings.append(warning)
            }
            self.password = file.flatMap {
                PasswordFile.password(
                    in: $0, host: host, port: port, database: database, user: user)
            }
            passwordSource = self.password == nil ? nil : file?.path
        }
    }

    /// The root certificate file for a TLS mode, found as libpq finds it:
    /// the one named (`sslrootcert`, `PGSSLROOTCERT`; `system` for the
    /// system's roots), else `~/.postgresql/root.crt`. `verify-ca` and
    /// `verify-full` need one; `require` uses one when it exists.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when a mode
    ///   that verifies the server has no root certificate file: Ferry
    ///   never connects with less checking than the URL asks for.
    static func rootCertificate(
        for mode: TLSMode, named: String?, environment: [String: String]
    ) throws -> String? {
        guard mode == .require || mode == .verifyCA || mode == .verifyFull else { return nil }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let given = named.flatMap { $0.isEmpty ? nil : $0 }
        let path = given ?? home + "/.postgresql/root.crt"
        if path == "system" { return path }
        if FileManager.default.fileExists(atPath: path) { return path }
        guard mode != .require else { return nil }
        throw FerryError(
            .invalidConfiguration,
            "sslmode=\(mode.rawValue) checks the server's certificate, but the root certificate file \(path) "
                + "does not exist.",
            changes: "Nothing was changed.",
            advice:
                "Name the certificate authority's file with sslrootcert=PATH in the URL or PGSSLROOTCERT, "
                + "use the system's trusted roots with sslrootcert=system, or put it in ~/.postgresql/root.crt."
        )
    }

    /// The same server and role, another database.
    public func with(database: String) -> PostgresLocation {
        var copy = self
        copy.database = database
        return copy
    }

    /// The same server, role and database, another schema.
    public func with(schema: String?) -> PostgresLocation {
        var copy = self
        copy.schema = schema
        return copy
    }

    /// Whether Ferry can work in a schema of this name: one PostgreSQL
    /// accepts as an identifier (at most 63 bytes) that needs no escaping in
    /// `PGOPTIONS` (no space, quote or backslash) nor in the dollar-quoted
    /// blocks of a restore (no `$`), and not PostgreSQL's own.
    static func isUsableSchemaName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && !name.contains {
                $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "\\" || $0 == "$"
            }
            && !name.lowercased().hasPrefix("pg_") && name.lowercased() != "information_schema"
    }

    /// The setting a session of a ``schema`` carries the schema's name in
    /// (`current_setting('ferry.schema', true)`), for the statements that
    /// would otherwise look at every schema of the database.
    static let schemaSetting = "ferry.schema"

    /// `search_path` as a session's start-up parameter sets it: the schema,
    /// quoted; nil when no schema is named.
    var searchPath: String? { schema.map(SQLIdentifier.quoted) }

    /// Whether ``host`` names a Unix socket folder.
    public var isUnixSocket: Bool { host.hasPrefix("/") }

    /// The server as messages show it: `host:port`, or the socket's path.
    public var server: String {
        isUnixSocket
            ? "\(host)/.s.PGSQL.\(port)"
            : (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    /// `postgres://user@host:port/database`, without the password.
    public var description: String {
        var parameters = isUnixSocket ? ["host=\(host)", "port=\(port)"] : []
        if let schema { parameters.append("schema=\(schema)") }
        let query = parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
        let address = isUnixSocket ? "" : server
        return "postgres://\(user)@\(address)/\(database)\(query)"
    }
}
