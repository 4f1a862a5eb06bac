import Ferry
import Foundation
import Hummingbird

/// What each admin route does: it calls the library as the `ferry` command
/// of the same name does and answers with that command's `--json` document.
struct AdminHandlers: Sendable {
    let admin: FerryAdmin

    private var ferry: Ferry { admin.ferry }

    // MARK: Health

    func health() async -> Response {
        // A database that another connection holds locked keeps a reading waiting (it goes on,
        // and a later request gets it): a request without a recent answer waits a bounded time.
        let health = admin.health
        let answer: (report: HealthReport, body: Data)?
        if let recent = await health.recentDocument() {
            answer = recent
        } else {
            answer = await HealthMonitor.value(
                of: await health.readingUnderWay(), within: health.answerWithin)
        }
        let (report, body) =
            answer
            ?? {
                let report = health.notAnswering()
                return (
                    report,
                    (try? FerryAdmin.encoder(wording: .library).encode(report)) ?? Data("{}".utf8)
                )
            }()
        var headers = HTTPFields()
        headers[.contentType] = "application/health+json"
        headers[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: report.httpStatus), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    func readiness() async -> Response {
        let health = admin.health
        let readiness =
            await HealthMonitor.value(
                of: Task { await health.currentReadiness() }, within: health.answerWithin)
            ?? HealthMonitor.Readiness(isReady: false, reason: health.notAnsweringReason)
        return json(
            ["status": readiness.isReady ? "pass" : "fail", "output": readiness.reason],
            status: readiness.isReady ? .ok : .serviceUnavailable,
            contentType: "application/health+json")
    }

    // MARK: Reading

    func status() async -> Response {
        await answer("status") {
            CommandResult(
                command: "status", ok: true,
                body: try await ferry.status().worded(for: admin.wording))
        }
    }

    func plan() async -> Response {
        await answer("plan") {
            let plan = try await ferry.plan()
            return PlanResult(plan, refusal: plan.refusal(allowingChanged: false))
        }
    }

    func check() async -> Response {
        await answer("check") {
            let report = try await ferry.check(UpgradeOptions())
            let refusal = report.refusal(force: false)
            return CheckResult(
                ok: refusal == nil, checks: report.checks,
                warnings: report.drift?.differences ?? [], error: refusal)
        }
    }

    func verify() async -> Response {
        await answer("verify") {
            let report = try await ferry.verify()
            return VerifyResult(
                ok: report.failure == nil, checks: report.checks,
                warnings: report.drift?.differences ?? [], error: report.failure)
        }
    }

    func history() async -> Response {
        await answer("history") {
            let (applied, events) = try await ferry.historyWithEvents()
            return HistoryResult(applied: applied.map(\.id), migrations: applied, events: events)
        }
    }

    func backups() async -> Response {
        await answer("backups") {
            let catalog = try ferry.backupCatalog()
            let listing = try catalog.listing()
            return BackupsResult(
                folder: catalog.folder.path,
                backups: listing.backups.map { ListedBackup(manifest: $0.manifest) },
                unusable: listing.unusable, leftovers: listing.leftovers)
        }
    }

    // MARK: Backups

    /// The backup with exactly this name in the catalog: a regular file in
    /// the catalog's folder, not a link. Anything else (`../`, an absolute
    /// path, a name of no backup) is refused, so that a request can neither
    /// read nor restore a file outside the catalog.
    func catalogBackup(named name: String) throws -> Backup {
        let notFound = FerryError(
            .backupNotFound, "There is no backup named '\(name)' in the catalog.",
            changes: "Nothing was changed.",
            advice: "Use a name exactly as api/backups lists it under 'backup'.")
        guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), !name.hasPrefix("."),
            !name.contains("\0")
        else { throw notFound }
        let catalog = try ferry.backupCatalog()
        guard let backup = try catalog.listing().backups.first(where: { $0.name == name }) else {
            throw notFound
        }
        var status = stat()
        guard lstat(backup.file.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
            backup.file.deletingLastPathComponent().standardizedFileURL.path
                == catalog.folder.standardizedFileURL.path
        else { throw notFound }
        return backup
    }

    func download(_ name: String, context: some RequestContext) async throws -> Response {
        let backup: Backup
        do {
            backup = try catalogBackup(named: name)
        } catch let error as FerryError {
            return failure(error, command: "backups")
        }
        let body = try await FileIO().loadFile(path: backup.file.path, context: context)
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentDisposition] = "attachment; filename=\"\(backup.name)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `{"format": "native" | "sql", "note": "…"}`, both optional.
    struct BackupRequest: Decodable {
        var format: String?
        var note: String?
    }

    func makeBackup(_ request: Request) async throws -> Response {
        let body: BackupRequest
        do {
            body = try await decode(BackupRequest.self, from: request, orEmpty: BackupRequest())
        } catch let error as FerryError {
            return failure(error, command: "backup")
        }
        guard let format = BackupFormat(name: body.format ?? "native") else {
            return failure(
                FerryError(
                    .invalidConfiguration, "'\(body.format ?? "")' is not a backup format.",
                    changes: "Nothing was changed.", advice: "Use \"native\" or \"sql\"."),
                command: "backup")
        }
        let ferry = self.ferry
        return await start(.backup) { emit in
            let backup = try await ferry.backup(format: format, note: body.note, onEvent: emit)
            return BackupResult(
                backup: backup.name, manifest: backup.manifest, path: backup.file.path)
        }
    }

    /// `{"confirmation": "restore"}`.
    struct ConfirmedRequest: Decodable {
        var confirmation: String?
    }

    func restore(_ name: String, _ request: Request) async throws -> Response {
        let backup: Backup
        do {
            let body = try await decode(
                ConfirmedRequest.self, from: request, orEmpty: ConfirmedRequest())
            try confirm(body.confirmation, FerryAdmin.restoreConfirmation, what: "A restore")
            backup = try catalogBackup(named: name)
        } catch let error as FerryError {
            return failure(error, command: "restore")
        }
        let ferry = self.ferry
        return await start(.restore) { emit in
            RestoreResult(report: try await ferry.restore(backup, onEvent: emit))
        }
    }

    // MARK: Upgrades

    /// An upgrade's or rehearsal's options, all optional.
    struct UpgradeRequest: Decodable {
        var confirmation: String?
        var to: String?
        var allowChanged: Bool?
        var noBackup: Bool?
        var force: Bool?
    }

    func upgrade(_ request: Request) async throws -> Response {
        let options: UpgradeOptions
        do {
            let body = try await decode(UpgradeRequest.self, from: request, orEmpty: nil)
            try confirm(body.confirmation, FerryAdmin.upgradeConfirmation, what: "An upgrade")
            options = try upgradeOptions(body)
        } catch let error as FerryError {
            return failure(error, command: "upgrade")
        }
        let ferry = self.ferry
        return await start(.upgrade) { emit in
            UpgradeResult(try await ferry.upgrade(options, onEvent: emit))
        }
    }

    func rehearse(_ request: Request) async throws -> Response {
        let options: UpgradeOptions
        do {
            let body = try await decode(
                UpgradeRequest.self, from: request, orEmpty: UpgradeRequest())
            options = try upgradeOptions(body)
        } catch let error as FerryError {
            return failure(error, command: "upgrade")
        }
        let ferry = self.ferry
        return await start(.rehearsal) { emit in
            RehearsalResult(report: try await ferry.rehearse(options, onEvent: emit))
        }
    }

    private func upgradeOptions(_ body: UpgradeRequest) throws -> UpgradeOptions {
        UpgradeOptions(
            target: try body.to.map(Release.init(parsing:)),
            allowChanged: body.allowChanged ?? false,
            skipBackup: body.noBackup ?? false, force: body.force ?? false,
            transactionMode: admin.transactionMode, verifiesChecksums: true)
    }

    // MARK: Operations

    func operation(_ id: String) async -> Response {
        guard let found = await admin.operations.find(id) else { return unknownOperation(id) }
        return json(
            CommandResult(
                command: found.operation.kind.command, ok: true,
                body: OperationState(operation: found.operation, ended: found.log.hasEnded)),
            status: .ok)
    }

    /// An operation's state: what it is, and whether its end event was written.
    struct OperationState: Encodable, Sendable {
        let operation: OperationCenter.Operation
        let ended: Bool
    }

    func events(_ id: String) async -> Response {
        guard let found = await admin.operations.find(id) else { return unknownOperation(id) }
        let stream = found.log.follow()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                for await frame in stream {
                    try await writer.write(ByteBuffer(string: frame))
                }
                try await writer.finish(nil)
            })
    }

    private func unknownOperation(_ id: String) -> Response {
        failure(
            FerryError(
                .notFound, "There is no operation '\(id)' (the last 20 are kept).",
                changes: "Nothing was changed.",
                advice: "Use the id that starting the operation answered."),
            command: "", status: .notFound)
    }

    /// Starts an operation: 202 with its id, or 409 naming the one that runs.
    private func start(_ kind: OperationKind, work: @escaping OperationCenter.Work) async
        -> Response
    {
        do {
            let operation = try await admin.operations.start(kind, work: work)
            return json(
                OperationStarted(
                    command: kind.command, operation: operation.id, kind: kind,
                    events: "api/operations/\(operation.id)/events"),
                status: .accepted)
        } catch let busy as OperationCenter.Busy {
            return failure(
                FerryError(
                    .serverBusy, "Another operation runs: \(busy.holder.summary).",
                    changes: "Nothing was changed.",
                    advice:
                        "Wait for its end event (api/operations/\(busy.holder.id)/events), then try again."
                ),
                command: kind.command, status: .conflict)
        } catch {
            return failure(
                FerryError(.unexpected, "\(error)", changes: "Nothing was changed."),
                command: kind.command)
        }
    }

    // MARK: Requests and answers

    /// Reads a small JSON body; an empty body is `empty` when given.
    private func decode<Body: Decodable>(
        _ type: Body.Type, from request: Request, orEmpty empty: Body?
    )
        async throws -> Body
    {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: FerryAdmin.maximumBodyBytes)
        } catch {
            throw FerryError(
                .requestTooLarge,
                "The request body is larger than \(FerryAdmin.maximumBodyBytes) bytes.",
                changes: "Nothing was changed.", advice: "Send a small JSON object.")
        }
        if buffer.readableBytes == 0, let empty { return empty }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
        } catch {
            throw FerryError(
                .invalidConfiguration, "The request body is not the JSON object this route takes.",
                changes: "Nothing was changed.",
                advice: "Send a JSON object as the README's admin server section shows.")
        }
    }

    private func confirm(_ given: String?, _ expected: String, what: String) throws {
        guard given?.trimmingCharacters(in: .whitespaces) == expected else {
            throw FerryError(
                .notConfirmed, "\(what) changes the database and needs its typed confirmation.",
                changes: "Nothing was changed.",
                advice: "Send {\"confirmation\": \"\(expected)\"} in the request body.")
        }
    }

    /// Runs a reading route's work, answering its document or its error.
    private func answer(_ command: String, _ work: () async throws -> any Encodable & Sendable)
        async -> Response
    {
        do {
            return json(try await work(), status: .ok)
        } catch let error as FerryError {
            return failure(error, command: command)
        } catch {
            return failure(
                FerryError(.unexpected, "\(error)", changes: "Nothing was changed."),
                command: command)
        }
    }

    /// An error document, with the HTTP status its category gives: 400 for
    /// usage, 404 for a backup that is not in the catalog, 409 for a
    /// refusal, 500 for a failure.
    func failure(_ error: FerryError, command: String, status: HTTPResponse.Status? = nil)
        -> Response
    {
        var error = error
        if error.changes == nil { error.changes = "Nothing was changed." }
        let chosen: HTTPResponse.Status
        if let status {
            chosen = status
        } else if error.code == .backupNotFound {
            chosen = .notFound
        } else if error.code == .notConfirmed {
            chosen = .badRequest
        } else if error.code == .requestTooLarge {
            chosen = .contentTooLarge
        } else {
            switch error.category {
            case .usage: chosen = .badRequest
            case .refused: chosen = .conflict
            case .failed: chosen = .internalServerError
            }
        }
        return json(ErrorResult(command: command, error: error), status: chosen)
    }

    /// A JSON response.
    func json(
        _ value: some Encodable, status: HTTPResponse.Status,
        contentType: String = "application/json"
    ) -> Response {
        let data =
            (try? FerryAdmin.encoder(wording: admin.wording).encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
