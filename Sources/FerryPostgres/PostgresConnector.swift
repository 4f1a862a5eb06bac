import Ferry
import Foundation
import Logging
import PostgresNIO

/// Opens connections to a PostgreSQL server and lends them to a closure,
/// closing them afterwards, with failures to connect described as Ferry
/// errors that say which server, what it said and what to do.
struct PostgresConnector: Sendable {
    let location: PostgresLocation
    /// The `application_name` the sessions show in `pg_stat_activity`.
    let applicationName: String

    /// PostgresNIO logs nothing Ferry needs; its messages are dropped so that
    /// nothing it logs can reach the user's terminal.
    static let logger = Logger(label: "ferry.postgres") { _ in SwiftLogNoOpLogHandler() }

    /// Why a connection could not be opened.
    enum Failure: Error {
        /// The database does not exist on the server (SQLSTATE 3D000).
        case databaseMissing(FerryError)
        /// Any other reason.
        case other(FerryError)

        var error: FerryError {
            switch self {
            case .databaseMissing(let error), .other(let error): return error
            }
        }
    }

    /// Connects to a database (by default the location's), lends the
    /// connection to `body`, and closes it.
    ///
    /// - Throws: ``Failure`` when the connection cannot be opened; what
    ///   `body` throws.
    func withConnection<Result: Sendable>(
        to database: String? = nil, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(to: database ?? location.database)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Like ``withConnection(to:_:)``, with a missing database described as
    /// a Ferry error too.
    func withExistingDatabase<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withConnection(body)
        } catch let failure as Failure {
            throw failure.error
        }
    }

    /// Opens a connection that the caller closes: for a session that must
    /// live across several steps (a scratch database's maker).
    ///
    /// - Throws: ``FerryError`` when it cannot be opened.
    func open(to database: String) async throws -> PostgresConnection {
        do {
            return try await connect(to: database)
        } catch {
            throw error.error
        }
    }

    private func connect(to database: String) async throws(Failure) -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        if location.isUnixSocket {
            configuration = .init(
                unixSocketPath: "\(location.host)/.s.PGSQL.\(location.port)",
                username: location.user,
                password: location.password, database: database)
        } else {
            configuration = .init(
                host: location.host, port: location.port, username: location.user,
                password: location.password,
                database: database, tls: try tls())
        }
        configuration.options.connectTimeout = .milliseconds(location.connectTimeout.milliseconds)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        if let searchPath = location.searchPath {
            // A start-up parameter, so that RESET search_path and every statement of the session
            // keep to the schema.
            configuration.options.additionalStartupParameters.append(("search_path", searchPath))
            // Ferry's own setting: the statements that look beyond the search_path (is the database
            // unmanaged?) keep to this schema.
            configuration.options.additionalStartupParameters.append(
                (PostgresLocation.schemaSetting, location.schema ?? ""))
        }
        do {
            return try await PostgresConnection.connect(
                configuration: configuration, id: Int.random(in: 1...Int(Int32.max)),
                logger: Self.logger)
        } catch {
            throw describe(error, database: database)
        }
    }

    private func tls() throws(Failure) -> PostgresConnection.Configuration.TLS {
        guard location.tls != .disable else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.certificateCheck {
        case .none: configuration.certificateVerification = .none
        case .chain: configuration.certificateVerification = .noHostnameVerification
        case .chainAndHostName: configuration.certificateVerification = .fullVerification
        }
        if let root = location.rootCertificate {
            configuration.trustRoots = root == "system" ? .default : .file(root)
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            return location.tls == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw .other(
                FerryError(
                    .invalidConfiguration,
                    "Cannot set up TLS for \(location.server)"
                        + (location.rootCertificate.map { " with the root certificates of \($0)" }
                            ?? "") + ": \(error)",
                    changes: "Nothing was changed.",
                    advice:
                        "Check the sslmode and sslrootcert of the database URL (or PGSSLROOTCERT): the file must "
                        + "hold the certificate authority's certificates in PEM."))
        }
    }

    /// Whether a connection failed because the server's certificate was not
    /// accepted (its chain or its host name), as TLS libraries word it.
    private static func isCertificateRejection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let underlying = error.underlying else {
            return false
        }
        let text = "\(underlying)"
        return text.contains("NIOSSL") || text.contains("CERTIFICATE")
            || text.contains("certificate")
            || text.contains("failedToValidateHostname")
    }

    private func describe(_ error: any Error, database: String) -> Failure {
        let server = location.server
        if let said = PostgresServerMessage(error) {
            switch said.sqlState {
            case "3D000":
                return .databaseMissing(
                    FerryError(
                        .databaseUnavailable,
                        "The database \(database) does not exist on the PostgreSQL server \(server).",
                        changes: "Nothing was changed.",
                        advice:
                            "Create it (createdb -h \(location.host) -p \(location.port) -O \(location.user) \(database)), "
                            + "or check the database name in the URL.",
                        engineMessage: said.text, engineCode: said.sqlState))
            case "28P01", "28000":
                let source =
                    location.passwordSource.map { "the password from \($0)" } ?? "no password"
                return .other(
                    FerryError(
                        .invalidConfiguration,
                        "The PostgreSQL server \(server) refused the login of role \(location.user) (with \(source)).",
                        changes: "Nothing was changed.",
                        advice:
                            "Give the right password in the URL (postgres://user:PASSWORD@host/db), in PGPASSWORD "
                            + "or in ~/.pgpass (mode 0600), or check the server's pg_hba.conf.",
                        engineMessage: said.text, engineCode: said.sqlState))
            default:
                return .other(
                    FerryError(
                        .databaseUnavailable,
                        "The PostgreSQL server \(server) refused the connection to \(database).",
                        changes: "Nothing was changed.",
                        advice: "Read the server's message below, fix the cause and run again.",
                        engineMessage: said.text, engineCode: said.sqlState))
            }
        }
        if let error = error as? PSQLError {
            switch error.code {
            case .authMechanismRequiresPassword:
                return .other(
                    FerryError(
                        .invalidConfiguration,
                        "The PostgreSQL server \(server) asks for a password for role \(location.user), and none was given.",
                        changes: "Nothing was changed.",
                        advice:
                            "Give it in the URL (postgres://user:PASSWORD@host/db), in PGPASSWORD, or in ~/.pgpass "
                            + "(a line host:port:database:user:password, file mode 0600)."))
            case .sslUnsupported:
                return .other(
                    FerryError(
                        .invalidConfiguration,
                        "The PostgreSQL server \(server) does not offer TLS, and the URL requires it.",
                        changes: "Nothing was changed.",
                        advice:
                            "Enable ssl on the server, or use sslmode=prefer or sslmode=disable in the URL."
                    ))
            default:
                break
            }
        }
        let reason = (error as? PSQLError)?.clientSideDescription ?? "\(error)"
        if location.certificateCheck != .none, Self.isCertificateRejection(error) {
            let checked =
                location.certificateCheck == .chainAndHostName
                ? "signed by a certificate authority of \(location.rootCertificate ?? "?") and issued to \(location.host)"
                : "signed by a certificate authority of \(location.rootCertificate ?? "?")"
            return .other(
                FerryError(
                    .invalidConfiguration,
                    "The PostgreSQL server \(server) did not prove its identity: sslmode=\(location.tls.rawValue) "
                        + "needs its certificate to be \(checked), and it is not.",
                    changes: "Nothing was changed: Ferry did not log in.",
                    advice:
                        "Name the certificate authority that signed the server's certificate with sslrootcert=PATH "
                        + "(or PGSSLROOTCERT), connect to the host name the certificate names, or check that this is "
                        + "the server you meant.",
                    engineMessage: reason))
        }
        return .other(
            FerryError(
                .databaseUnavailable, "Cannot reach the PostgreSQL server at \(server).",
                changes: "Nothing was changed.",
                advice:
                    "Check that the server runs and accepts connections on \(server) (its listen_addresses, port "
                    + "and pg_hba.conf, and any firewall), then run again.",
                engineMessage: reason))
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
