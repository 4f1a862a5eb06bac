import Foundation

/// One fleet run: canaries first, then the rest, a bounded number at once.
struct FleetRunner: Sendable {
    let template: Ferry
    let catalog: MigrationCatalog
    let fleet: Fleet
    let options: FleetOptions
    let operation: @Sendable (Ferry) async throws -> FleetSummary
    let emit: @Sendable (FleetEvent) -> Void

    /// How many databases at once.
    var parallel: Int {
        if let parallel = options.parallel { return max(1, parallel) }
        return fleet.isLocalFiles ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 4
    }

    func run() async {
        let members = fleet.members
        let canaries = Array(members.prefix(max(0, options.canary)))
        let rest = Array(members.dropFirst(canaries.count))
        let width = parallel
        let canariesFailed = await runBatch(canaries, parallel: width)
        if canariesFailed {
            // A failed canary keeps the rest of the fleet as it is.
            for member in rest {
                emit(.finished(FleetResult(member: member, outcome: .notStarted)))
            }
            return
        }
        _ = await runBatch(rest, parallel: width)
    }

    /// Runs a batch; returns whether any database in it failed.
    ///
    /// Each SQLite file at once is upgraded on a thread of its own (a lane,
    /// a ``ThreadExecutor``), which its engine may block instead of handing
    /// each step to another thread and back; PostgreSQL's sessions wait on
    /// the network without a thread, and keep to Swift's pool.
    private func runBatch(_ batch: [FleetMember], parallel: Int) async -> Bool {
        let lanes: [ThreadExecutor?] = (0..<min(parallel, batch.count)).map {
            fleet.isLocalFiles ? ThreadExecutor(name: "ferry fleet lane \($0 + 1)") : nil
        }
        defer { for lane in lanes { lane?.stop() } }
        return await withTaskGroup(of: (result: FleetResult, lane: Int).self) { group in
            var next = 0
            var failed = false
            func startNext(on lane: Int) {
                let member = batch[next]
                next += 1
                group.addTask(executorPreference: lanes[lane]) { (await runOne(member), lane) }
            }
            while next < batch.count && next < lanes.count { startNext(on: next) }
            for await (result, lane) in group {
                emit(.finished(result))
                if result.outcome == .failed { failed = true }
                let stops = failed && !options.continuesOnError
                if next < batch.count && !stops && !Task.isCancelled { startNext(on: lane) }
            }
            for member in batch[next...] {
                emit(.finished(FleetResult(member: member, outcome: .notStarted)))
            }
            return failed
        }
    }

    /// One database: skipped when it does not exist and may not be created,
    /// else the operation, with its error recorded.
    private func runOne(_ member: FleetMember) async -> FleetResult {
        let clock = ContinuousClock()
        let start = clock.now
        func result(_ outcome: FleetOutcome, _ summary: FleetSummary?, _ error: FerryError?)
            -> FleetResult
        {
            FleetResult(
                member: member, outcome: outcome, summary: summary, error: error,
                seconds: (clock.now - start).inSeconds)
        }
        emit(.started(member))
        CrashPoint.reach("fleet.database-started")
        do {
            let ferry = try self.ferry(for: member)
            if !options.createsMissing, (try? await ferry.configuration.engine.exists()) == false {
                return result(.skipped, nil, missing(ferry))
            }
            return result(.succeeded, try await operation(ferry), nil)
        } catch let error as FerryError {
            return result(error.code == .databaseMissing ? .skipped : .failed, nil, error)
        } catch {
            return result(
                .failed, nil,
                FerryError(
                    .databaseUnavailable, "\(error)",
                    changes: "The database's own transaction rolled back what it had not committed."
                ))
        }
    }

    /// The Ferry for one database: the shared configuration with its engine
    /// and its own backups folder, and the catalog read once.
    private func ferry(for member: FleetMember) throws -> Ferry {
        var configuration = template.configuration
        configuration.engine = try fleet.makeEngine(member.location)
        // Databases side by side share a default backups folder; a folder each keeps one tenant's
        // retention from deleting another's backups.
        if let folder = template.configuration.backupsDirectory
            ?? configuration.engine.defaultBackupsFolder
        {
            configuration.backupsDirectory = folder.appendingPathComponent(
                member.name, isDirectory: true)
        }
        configuration.createsDatabase = options.createsMissing
        var ferry = Ferry(configuration)
        ferry.preparedCatalog = catalog
        return ferry
    }

    private func missing(_ ferry: Ferry) -> FerryError {
        FerryError(
            .databaseMissing,
            "The database \(ferry.configuration.engine.displayName) does not exist: skipped.",
            changes: "Nothing was changed: no database was created.",
            advice:
                "Provision it, or run again with \(.create) to create it; a skipped database does "
                + "not fail the run.")
    }
}
