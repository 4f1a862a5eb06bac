import Ferry
import Hummingbird
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// Runs the admin routes alone, as `ferry serve` does: a Hummingbird
/// application with only ``FerryAdmin``'s routes, until SIGINT or SIGTERM.
public enum AdminServer {
    /// Serves `admin` on `address` until the process is told to stop.
    ///
    /// The address is not checked here (``ListenAddress/isLoopback``): the
    /// caller decides who may reach the server.
    ///
    /// - Parameters:
    ///   - admin: The routes and their state.
    ///   - address: Where to listen; port 0 lets the system choose.
    ///   - tls: The certificate and key to serve HTTPS with; nil for HTTP.
    ///   - logger: Where the server logs.
    ///   - onListening: Called once the server listens, with the port it got.
    /// - Throws: ``FerryError`` for unreadable TLS files; when the address cannot be bound.
    public static func run(
        _ admin: FerryAdmin, at address: ListenAddress, tls: ServerTLS? = nil, logger: Logger,
        onListening: @escaping @Sendable (ListenAddress) async -> Void
    ) async throws {
        let application = try makeApplication(admin, at: address, tls: tls, logger: logger) {
            port in
            await onListening(ListenAddress(host: address.host, port: port))
        }
        // Told to stop, the group stops its services last first: the running operation is
        // cancelled before the server waits for its requests to end, so that a client watching
        // the operation's events does not keep it running (and the server up) until it is done.
        let group = ServiceGroup(
            configuration: .init(
                services: [application, OperationsStop(admin: admin)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        // Stopped otherwise: a running operation is cancelled, and its log still ends in its end event.
        await admin.cancelOperations()
        await admin.waitUntilIdle()
    }

    /// Cancels the admin's running operation when the server is told to
    /// stop, and waits until it has ended (its log ends in its end event).
    private struct OperationsStop: Service {
        let admin: FerryAdmin

        func run() async throws {
            try? await gracefulShutdown()
            await admin.cancelOperations()
            await admin.waitUntilIdle()
        }
    }

    /// The application `run` runs, for tests that drive it themselves.
    public static func makeApplication(
        _ admin: FerryAdmin, at address: ListenAddress, tls: ServerTLS? = nil, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.addRoutes(admin.routes())
        return Application(
            router: router,
            server: try tls.map { try .tls(.http1(), tlsConfiguration: try $0.configuration()) }
                ?? .http1(),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: "ferry"),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? address.port)
            },
            logger: logger)
    }
}
