import Dispatch
import Ferry
import Foundation

/// Answers `/health` and `/readyz` cheaply: each request asks start-up's
/// fast path (release folders' names and the history's fingerprint, see
/// ``Ferry/upToDateRelease()``) and the lock; the full reading (every
/// script, checksums, the backup catalog) is kept for a while and read again
/// when the fast path's answer moves, so that a database with thousands of
/// migrations costs a directory listing and one query per request.
actor HealthMonitor {
    /// What the full reading found.
    struct Reading: Sendable {
        var readAt: Date
        var reachable: Bool
        var exists: Bool
        var programRelease: String?
        var databaseRelease: String?
        var newerDatabaseRelease: String?
        var pending: Int
        var changed: Int
        var missing: Int
        var lastVerifiedBackup: Date?
    }

    /// What `/readyz` needs: whether the application may take traffic.
    struct Readiness: Sendable {
        var isReady: Bool
        var reason: String
    }

    private let ferry: Ferry
    private let operations: OperationCenter
    /// Where the readings run: one that waits for a database another
    /// connection holds locked blocks this thread, not Swift's few
    /// cooperative ones, on which the server answers every other request.
    private let readingThread = ThreadExecutor(name: "ferry health")
    private var reading: Reading?
    /// The fast path's answer when ``reading`` was made.
    private var quickAnswer: Release?

    /// How long a full reading is used while the fast path says up to date
    /// (it then only refreshes checksums and the backup age).
    private let upToDateLifetime: TimeInterval = 60
    /// How long it is used otherwise (pending, unreachable): seconds, so a
    /// monitor polling a broken database does not read every script each time.
    private let otherLifetime: TimeInterval = 5

    /// How long an answer is given again as it is: a monitor polling many
    /// times a second gets the same answer, computed once.
    private let maximumAge: Duration
    private var lastReport: (at: ContinuousClock.Instant, report: HealthReport, body: Data)?
    private var lastReadiness: (at: ContinuousClock.Instant, readiness: Readiness)?

    init(
        ferry: Ferry, operations: OperationCenter, maximumAge: Duration, answerWithin: Duration
    ) {
        self.ferry = ferry
        self.operations = operations
        self.maximumAge = maximumAge
        self.answerWithin = answerWithin
    }

    /// Forgets what was read: an operation of this server changed the database.
    func invalidate() {
        reading = nil
        lastReport = nil
        refreshing = nil
        lastReadiness = nil
    }

    /// The health document and its JSON, read at most once per
    /// ``maximumAge``. Once it is older, the next request starts a new
    /// reading and, while it runs, requests get the last answer (for up to
    /// five times ``maximumAge``), so that no request of a busy monitor
    /// waits for a reading; only one without a recent answer waits.
    func document() async -> (report: HealthReport, body: Data) {
        if let recent = recentDocument() { return recent }
        return await readingUnderWay().value
    }

    /// The last answer while it may be given (see ``document()``), or nil
    /// when a request must wait for a reading.
    func recentDocument() -> (report: HealthReport, body: Data)? {
        guard let lastReport else { return nil }
        let age = ContinuousClock.now - lastReport.at
        if age < maximumAge { return (lastReport.report, lastReport.body) }
        guard age < maximumAge * 5 else { return nil }
        _ = readingUnderWay()
        return (lastReport.report, lastReport.body)
    }

    /// The reading under way, or a new one.
    func readingUnderWay() -> Task<(report: HealthReport, body: Data), Never> {
        let refresh = refreshing ?? Task(executorPreference: readingThread) { await self.refresh() }
        refreshing = refresh
        return refresh
    }

    /// How long a request waits for a reading of the database.
    nonisolated let answerWithin: Duration

    /// The value of `task` if it ends within `limit`, else nil (the task goes on).
    ///
    /// Not a task group: a group waits for all its children before it
    /// returns, the one that waits for `task` too. The time limit is kept
    /// by Dispatch: a reading that waits for a lock blocks the thread it runs
    /// on, and two of them may hold every thread of the cooperative pool.
    static func value<Value: Sendable>(of task: Task<Value, Never>, within limit: Duration) async
        -> Value?
    {
        let answered = Locked(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            @Sendable func answer(_ value: Value?) {
                let first = answered.withLock { isAnswered in
                    defer { isAnswered = true }
                    return !isAnswered
                }
                if first { continuation.resume(returning: value) }
            }
            Task { answer(await task.value) }
            // On a Dispatch thread: a reading waiting for a lock may hold the cooperative threads.
            let (seconds, attoseconds) = limit.components
            DispatchQueue.global().asyncAfter(
                deadline: .now()
                    + .nanoseconds(
                        Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
            ) { answer(nil) }
        }
    }

    /// Why a request got no reading: the database did not answer within ``answerWithin``.
    nonisolated var notAnsweringReason: String {
        "The database did not answer within \(answerWithin.components.seconds) s: another connection may hold it locked."
    }

    /// The health of a database that did not answer within ``answerWithin``.
    /// Its version is the program's release, which the migrations folder
    /// tells without the database.
    nonisolated func notAnswering() -> HealthReport {
        let output = notAnsweringReason
        return HealthReport(
            status: .fail, version: try? ferry.programRelease().description, releaseId: nil,
            description: "The database cannot serve this program.",
            checks: [
                "database:reachable": [
                    HealthReport.Check(
                        componentType: "datastore", observedValue: nil, observedUnit: nil,
                        status: .fail, output: output, time: Date())
                ]
            ])
    }

    private var refreshing: Task<(report: HealthReport, body: Data), Never>?

    /// Reads the health document anew and keeps it.
    private func refresh() async -> (report: HealthReport, body: Data) {
        let now = ContinuousClock.now
        let report = await report()
        let body =
            (try? FerryAdmin.encoder(wording: .library).encode(report)) ?? Data("{}".utf8)
        lastReport = (now, report, body)
        refreshing = nil
        return (report, body)
    }

    /// Whether the application may take traffic, computed at most once per ``maximumAge``.
    func currentReadiness() async -> Readiness {
        let now = ContinuousClock.now
        if let lastReadiness, now - lastReadiness.at < maximumAge {
            return lastReadiness.readiness
        }
        let readiness = await Task(executorPreference: readingThread) { await self.readiness() }
            .value
        lastReadiness = (now, readiness)
        return readiness
    }

    /// The health document, read now.
    func report() async -> HealthReport {
        let now = Date()
        let quick = await ferry.upToDateRelease()
        let holder = try? await ferry.configuration.engine.lockHolder()
        let running = await operations.current
        let reading = await currentReading(quick: quick, busy: holder != nil || running != nil)
        var checks: [String: [HealthReport.Check]] = [:]
        func add(
            _ name: String, _ type: String, _ status: HealthReport.Status,
            _ value: HealthReport.Value? = nil, unit: String? = nil, _ output: String? = nil
        ) {
            checks[name] = [
                HealthReport.Check(
                    componentType: type, observedValue: value, observedUnit: unit, status: status,
                    output: output, time: now)
            ]
        }
        if !reading.reachable {
            add("database:reachable", "datastore", .fail, nil, "The database cannot be reached.")
        } else if !reading.exists {
            add("database:reachable", "datastore", .fail, nil, "The database does not exist.")
        } else {
            add("database:reachable", "datastore", .pass)
        }
        if reading.reachable && reading.exists {
            if let newer = reading.newerDatabaseRelease {
                add(
                    "schema:release", "datastore", .fail, .text(newer),
                    "The database was written by release \(newer), newer than this program's.")
            } else if reading.pending > 0 {
                add(
                    "schema:release", "datastore", .warn,
                    reading.databaseRelease.map { .text($0) },
                    "The database is at release \(reading.databaseRelease ?? "none"); the program is at \(reading.programRelease ?? "none")."
                )
            } else {
                add("schema:release", "datastore", .pass, reading.databaseRelease.map { .text($0) })
            }
            add(
                "schema:pending", "datastore", reading.pending > 0 ? .warn : .pass,
                .number(Double(reading.pending)),
                reading.pending > 0 ? "\(reading.pending) migration(s) pending." : nil)
            let changed = reading.changed + reading.missing
            add(
                "schema:changed", "datastore", changed > 0 ? .warn : .pass,
                .number(Double(changed)),
                changed > 0
                    ? "\(reading.changed) applied migration(s) changed since, \(reading.missing) missing: an upgrade would be refused."
                    : nil)
        }
        if let verified = reading.lastVerifiedBackup {
            add(
                "backup:age", "component", .pass,
                .number(max(0, now.timeIntervalSince(verified)).rounded()), unit: "s")
        } else {
            add("backup:age", "component", .pass, nil, "No verified backup yet.")
        }
        if let holder {
            add(
                "upgrade:lock", "component", .warn, nil,
                "An upgrade is running: the lock is held by \(holder.healthSummary).")
        } else if let running {
            add(
                "upgrade:lock", "component", .warn, nil,
                "This server is running: \(running.summary).")
        } else {
            add("upgrade:lock", "component", .pass)
        }
        let status = checks.values.flatMap { $0 }.map(\.status).max() ?? .pass
        let description: String
        switch status {
        case .pass: description = "The database is reachable and up to date."
        case .warn: description = "The database works, but needs attention."
        case .fail: description = "The database cannot serve this program."
        }
        return HealthReport(
            status: status, version: reading.programRelease, releaseId: reading.databaseRelease,
            description: description, checks: checks)
    }

    /// Whether the application may take traffic: not while migrations are
    /// pending, an upgrade runs, or the database cannot serve this program.
    func readiness() async -> Readiness {
        if let holder = try? await ferry.configuration.engine.lockHolder() {
            return Readiness(
                isReady: false,
                reason: "An upgrade is running (lock held by \(holder.healthSummary)).")
        }
        if let running = await operations.current, running.kind.changesDatabase {
            return Readiness(isReady: false, reason: "This server is running: \(running.summary).")
        }
        let quick = await ferry.upToDateRelease()
        if quick != nil { return Readiness(isReady: true, reason: "Up to date.") }
        let reading = await currentReading(quick: nil, busy: false)
        guard reading.reachable, reading.exists else {
            return Readiness(isReady: false, reason: "The database cannot be reached.")
        }
        if reading.newerDatabaseRelease != nil {
            return Readiness(isReady: false, reason: "The database is newer than this program.")
        }
        if reading.pending > 0 {
            return Readiness(isReady: false, reason: "\(reading.pending) migration(s) pending.")
        }
        return Readiness(isReady: true, reason: "Up to date.")
    }

    /// The kept reading when it still holds, else a new one. While an
    /// upgrade runs its transaction may keep readers waiting: the kept one
    /// is used then.
    private func currentReading(quick: Release?, busy: Bool) async -> Reading {
        let now = Date()
        if let reading {
            let lifetime = quick != nil ? upToDateLifetime : otherLifetime
            let stillHolds =
                busy
                || (quick == quickAnswer && now.timeIntervalSince(reading.readAt) < lifetime)
            if stillHolds { return reading }
        }
        let fresh = await read()
        reading = fresh
        quickAnswer = quick
        return fresh
    }

    /// Reads the plan and the backup catalog.
    private func read() async -> Reading {
        var reading = Reading(
            readAt: Date(), reachable: false, exists: false, pending: 0, changed: 0, missing: 0)
        reading.programRelease = try? ferry.programRelease().description
        do {
            let plan = try await ferry.plan()
            reading.reachable = true
            reading.exists = plan.database.exists
            reading.programRelease = plan.programRelease.description
            reading.databaseRelease = plan.database.recordedRelease
            reading.newerDatabaseRelease = plan.newerDatabaseRelease
            reading.pending = plan.pending.count
            reading.changed = plan.changed.count
            reading.missing = plan.missing.count
        } catch {
            reading.reachable = false
        }
        reading.lastVerifiedBackup = (try? ferry.backups())?.compactMap(\.manifest.verified).max()
        return reading
    }
}
