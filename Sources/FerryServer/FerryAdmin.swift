import Ferry
import Foundation
import Hummingbird

/// The admin server's routes: the page, health checks, and Ferry's commands
/// over HTTP, for an application to mount in its own router or for
/// `ferry serve` to run alone.
///
/// ```swift
/// let admin = FerryAdmin(ferry: ferry, token: try ServerToken(secret))
/// let router = Router()
/// router.addRoutes(admin.routes(), atPath: "/ferry")
/// ```
///
/// `/health`, `/livez`, `/readyz` and the page answer anyone (the page holds
/// no data: it asks for the token); every `api/…` route needs
/// `Authorization: Bearer TOKEN`. Long operations (upgrade, rehearsal,
/// backup, restore) run one at a time and answer 202 with an id; their
/// events, the tool's `--json` event lines, stream from
/// `api/operations/ID/events` and always end in an `end` event.
public struct FerryAdmin: Sendable {
    /// The Ferry whose database the routes show and change.
    public let ferry: Ferry
    /// The bearer token every `api/…` route asks for.
    public let token: ServerToken
    /// How errors name the settings and commands they advise.
    public let wording: FerryError.Wording
    /// How upgrades started here group their transactions.
    public let transactionMode: TransactionMode

    /// What a restore's body must carry in `confirmation`.
    public static let restoreConfirmation = "restore"
    /// What an upgrade's body must carry in `confirmation`.
    public static let upgradeConfirmation = "upgrade"
    /// The largest request body taken, in bytes: every body is a small JSON object.
    public static let maximumBodyBytes = 16 * 1024

    let operations: OperationCenter
    let health: HealthMonitor

    /// Creates the routes' shared state for one database.
    ///
    /// - Parameters:
    ///   - ferry: The Ferry whose database the routes serve.
    ///   - token: The bearer token.
    ///   - wording: How errors name settings and commands (the tool passes its flags').
    ///   - transactionMode: How upgrades started here group their transactions.
    ///   - healthMaximumAge: How long `/health` and `/readyz` give the same
    ///     answer again before reading anew (one second: a monitor polling
    ///     many times a second costs one reading a second).
    ///   - healthAnswerWithin: How long a request to `/health` or `/readyz`
    ///     without a recent answer waits for the database before it answers
    ///     503, saying the database did not answer (two seconds: a database
    ///     another connection holds locked keeps a reading waiting).
    public init(
        ferry: Ferry, token: ServerToken, wording: FerryError.Wording = .library,
        transactionMode: TransactionMode = .wholeUpgrade, healthMaximumAge: Duration = .seconds(1),
        healthAnswerWithin: Duration = .seconds(2)
    ) {
        self.ferry = ferry
        self.token = token
        self.wording = wording
        self.transactionMode = transactionMode
        let encoder = Self.encoder(wording: wording)
        let healthBox = Locked<HealthMonitor?>(nil)
        let operations = OperationCenter(
            encode: { value in
                (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            },
            onEnd: { await healthBox.value?.invalidate() },
            announce: { [logger = ferry.configuration.logger] line, success in
                // The server's own log ends each operation as the command would (its end marker).
                if success { logger.info("\(line)") } else { logger.error("\(line)") }
            })
        self.operations = operations
        health = HealthMonitor(
            ferry: ferry, operations: operations, maximumAge: healthMaximumAge,
            answerWithin: healthAnswerWithin)
        healthBox.value = health
    }

    /// Waits until no operation runs.
    public func waitUntilIdle() async {
        await operations.waitUntilIdle()
    }

    /// Cancels the operation that runs (its log still ends in an end event).
    public func cancelOperations() async {
        await operations.cancelAll()
    }

    /// The JSON encoder of every document: sorted keys, timestamps as the
    /// tool writes them, errors in `wording`.
    static func encoder(wording: FerryError.Wording) -> JSONEncoder {
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.userInfo[FerryError.Wording.userInfoKey] = wording
        return encoder
    }

    /// The routes, to mount with `router.addRoutes(admin.routes(), atPath: "/ferry")`.
    ///
    /// - Parameter context: The application's request context type.
    public func routes<Context: RequestContext>(context: Context.Type = BasicRequestContext.self)
        -> RouteCollection<Context>
    {
        let routes = RouteCollection(context: Context.self)
        let handlers = AdminHandlers(admin: self)
        routes.get { _, _ in AdminPage.response() }
        routes.get("health") { _, _ in await handlers.health() }
        routes.get("livez") { _, _ in handlers.json(["status": "pass"], status: .ok) }
        routes.get("readyz") { _, _ in await handlers.readiness() }
        routes.add(middleware: BearerTokenMiddleware<Context>(admin: self))
        routes.get("api/status") { _, _ in await handlers.status() }
        routes.get("api/plan") { _, _ in await handlers.plan() }
        routes.get("api/check") { _, _ in await handlers.check() }
        routes.get("api/verify") { _, _ in await handlers.verify() }
        routes.get("api/history") { _, _ in await handlers.history() }
        routes.get("api/backups") { _, _ in await handlers.backups() }
        routes.post("api/backups") { request, _ in try await handlers.makeBackup(request) }
        routes.get("api/backups/:name/download") { _, context in
            try await handlers.download(context.parameters.get("name") ?? "", context: context)
        }
        routes.post("api/backups/:name/restore") { request, context in
            try await handlers.restore(context.parameters.get("name") ?? "", request)
        }
        routes.post("api/upgrade") { request, _ in try await handlers.upgrade(request) }
        routes.post("api/rehearsal") { request, _ in try await handlers.rehearse(request) }
        routes.get("api/operations/:id") { _, context in
            await handlers.operation(context.parameters.get("id") ?? "")
        }
        routes.get("api/operations/:id/events") { _, context in
            await handlers.events(context.parameters.get("id") ?? "")
        }
        return routes
    }
}
