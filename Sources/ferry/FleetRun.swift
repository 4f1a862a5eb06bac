import ArgumentParser
import Ferry
import Foundation
import Logging

/// A command run over many databases (`--databases`): the library's fleet
/// runner, with the report file, a progress line and a table for people, and
/// events and one result for scripts.
struct FleetRun {
    let command: String
    let arguments: FleetArguments
    let common: CommonOptions
    let console: Console

    /// Whether the command runs over a fleet: `--databases` or `--resume`
    /// given, or `[fleet] databases` (`FERRY_DATABASES`) set and no single
    /// database given.
    ///
    /// - Throws: ``FerryError`` (usage) for `--database` with `--databases`.
    func isWanted() throws -> Bool {
        if arguments.isFleet {
            guard common.database == nil else {
                throw FerryError(
                    .invalidConfiguration, "--database and --databases cannot be used together.",
                    changes: "Nothing was changed.",
                    advice:
                        "Pass --database PATH for one database, or --databases SPEC (or --resume FILE) "
                        + "for many.")
            }
            return true
        }
        // A database given on the command line is one database, whatever the settings say.
        guard common.database == nil else { return false }
        let settings = try common.settings(needsDatabase: false)
        return settings.fleetDatabases != nil && settings.database == nil
    }

    /// Runs the operation on every database of the fleet and reports.
    ///
    /// - Parameters:
    ///   - extra: The command's own settings (its flags).
    ///   - operation: The single-database operation.
    /// - Returns: The error that ends a run in which not every database
    ///   succeeded (already reported), or nil.
    /// - Throws: ``FerryError`` when the run cannot start; nothing was touched.
    func run(
        adding extra: Settings = Settings(),
        _ operation: @escaping @Sendable (Ferry) async throws -> FleetSummary
    ) async throws -> FerryError? {
        let flags = Settings {
            $0.fleetDatabases = arguments.databases
            $0.fleetParallel = arguments.parallel
            $0.fleetCanary = arguments.canary
            $0.fleetContinuesOnError = arguments.continueOnError ? true : nil
            $0.fleetReport = arguments.report ?? arguments.resume
        }
        let settings = try common.settings(
            adding: flags.overridden(by: extra), needsDatabase: false)
        let previous = try arguments.resume.map { try FleetReport.read(from: fileURL($0)) }
        if let previous, let resume = arguments.resume {
            // A resume finishes the run its report records: the same command, the same databases.
            guard previous.command == command else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(resume) is the report of 'ferry \(previous.command)', not of 'ferry \(command)'.",
                    changes: "Nothing was changed.",
                    advice: "Resume it with ferry \(previous.command) \(.resume, .given(resume)).")
            }
            if let given = arguments.databases, given != previous.spec {
                throw FerryError(
                    .invalidConfiguration,
                    "\(resume) records a run over \(previous.spec), not \(given).",
                    changes: "Nothing was changed.",
                    advice:
                        "Leave out \(.databases, .placeholder) to finish that run, or start a new one without \(.resume, .placeholder)."
                )
            }
        }
        guard let specText = previous?.spec ?? settings.fleetDatabases else {
            throw FerryError(
                .invalidConfiguration, "No databases are given.", changes: "Nothing was changed.",
                advice: "Pass \(.databases, .placeholder) or set [fleet] databases in ferry.toml.")
        }
        var fleet = try await Fleet.listing(
            FleetSpec(specText), engines: CommonOptions.engines, settings: settings)
        if let previous { fleet = fleet.keeping(locations: previous.remaining) }
        var single = settings
        // The shared configuration is made for the first database that can have one: a member
        // that cannot (a schema named with a space) fails alone, in its own run, saying why.
        var configuration: Ferry.Configuration?
        var firstRefusal: (any Error)?
        for location in fleet.members.map(\.location) + [FleetSpec.placeholderLocation] {
            single.database = location
            do {
                configuration = try common.configuration(single, console: console)
                break
            } catch {
                firstRefusal = firstRefusal ?? error
            }
        }
        guard var configuration else { throw firstRefusal ?? CancellationError() }
        // Each database's own lines would interleave: the fleet's progress and table say it instead.
        configuration.logger.logLevel = .warning
        let options = FleetOptions(
            parallel: settings.fleetParallel, canary: settings.fleetCanary ?? 0,
            continuesOnError: settings.fleetContinuesOnError ?? false,
            createsMissing: settings.create ?? false)
        let reportFile = settings.fleetReport.map(fileURL)
        var report = FleetReport(
            command: command, spec: specText, members: fleet.members, previous: previous)
        // Written before any database starts, so that a run killed at once still says what is left;
        // then each result is appended to its journal, and the whole report written again at the end.
        try reportFile.map { try report.write(to: $0) }
        let journal = try reportFile.map { try FleetReportJournal(startingFor: $0) }

        let clock = ContinuousClock()
        let start = clock.now
        var progress = Progress(
            total: fleet.members.count, isShown: !console.isJSON && isatty(2) == 1)
        for try await event in Ferry(configuration).runAll(fleet, options: options, operation) {
            switch event {
            case .started(let member):
                progress.running += 1
                if console.isJSON { console.json(FleetEventLine.started(member)) }
            case .finished(let result):
                if result.outcome != .notStarted { progress.running -= 1 }
                progress.record(result.outcome)
                let entry = report.record(result, wording: .tool)
                try journal?.append(entry)
                CrashPoint.reach("fleet.report-written")
                if console.isJSON { console.json(FleetEventLine.finished(entry)) }
            }
            progress.show(elapsed: (clock.now - start).inSeconds)
        }
        progress.clear()
        try reportFile.map { try report.write(to: $0) }
        journal?.remove()
        let counts = report.counts
        let failed = counts[.failed, default: 0] + counts[.notStarted, default: 0]
        let canaries = Set(fleet.members.prefix(options.canary).map(\.name))
        let canaryFailed = report.databases.contains {
            canaries.contains($0.name) && $0.result == .failed
        }
        var error =
            failed == 0
            ? nil
            : FerryError.fleetIncomplete(
                counts: counts, report: reportFile?.path,
                stoppedAtAFailure: counts[.notStarted, default: 0] > 0 && !options.continuesOnError
                    && !canaryFailed)
        if !movesReleases {
            // What an upgrade's run leaves is not what a command that reads or copies leaves.
            error?.changes =
                command == "backup"
                ? "Each database that succeeded has a new backup; no database was changed."
                : "Nothing was changed: ferry \(command) only reads the databases."
        }
        let seconds = (clock.now - start).inSeconds
        if console.isJSON {
            console.json(
                FleetResultLine(
                    command: command, ok: error == nil, error: error, spec: specText,
                    databases: report.databases, counts: counts, seconds: seconds,
                    report: reportFile?.path))
        } else {
            printTable(report, counts: counts, seconds: seconds)
            if let error { console.problem("error: \(error.worded(for: .tool).description)") }
        }
        return error
    }

    private func fileURL(_ path: String) -> URL { URL(fileURLWithPath: path) }

    /// Whether the command moves databases to another release (an upgrade).
    private var movesReleases: Bool { command == "upgrade" }

    /// The table people read at the end: one line per database of this run's report.
    private func printTable(_ report: FleetReport, counts: [FleetOutcome: Int], seconds: Double) {
        var rows = [["DATABASE", "RESULT", "RELEASES", "BACKUP", "TIME", "ERROR"]]
        for entry in report.databases {
            // Only an upgrade moves a database from one release to another; the other commands
            // say where it is, and where this program is when that differs.
            let releases =
                movesReleases
                ? entry.to.map { "\(entry.from ?? "new") → \($0)" } ?? entry.from ?? "-"
                : (entry.from ?? "-")
                    + (entry.to.map { $0 == entry.from ? "" : " (program at \($0))" } ?? "")
            rows.append([
                entry.name, entry.result.rawValue, releases, entry.backup ?? "-",
                entry.result == .notStarted ? "-" : Duration.text(seconds: entry.seconds),
                entry.error?.message ?? "",
            ])
        }
        console.table(rows)
        let summary = FleetOutcome.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }
        console.line(
            "\(command) of \(report.databases.count) databases: \(summary.joined(separator: ", ")) "
                + "in \(Duration.text(seconds: seconds)); skipped databases do not exist and do not "
                + "fail the run.")
    }
}

extension FleetSpec {
    /// Stands for the database while a resumed run has none left to build
    /// its shared configuration from.
    fileprivate static let placeholderLocation = "fleet-has-no-database-left.db"
}

/// The progress line on a terminal: done, failed, running, left, time left.
private struct Progress {
    let total: Int
    let isShown: Bool
    var running = 0
    var done = 0
    var failed = 0

    mutating func record(_ outcome: FleetOutcome) {
        done += 1
        if outcome == .failed { failed += 1 }
    }

    func show(elapsed: Double) {
        guard isShown else { return }
        let left = total - done
        let estimate =
            done > 0 && left > 0
            ? ", about \(Duration.text(seconds: elapsed / Double(done) * Double(left))) left" : ""
        let line =
            "\r\(done - failed) done, \(failed) failed, \(running) running, \(left - running) left\(estimate)"
        StandardStream.error.write(line + "\u{1B}[K")
    }

    func clear() {
        guard isShown else { return }
        StandardStream.error.write("\r\u{1B}[K")
    }
}

/// A fleet event line under `--json`.
private struct FleetEventLine: Encodable {
    let event: String
    let at = Date()
    let message: String
    let database: String
    let name: String
    let entry: FleetReport.Entry?

    static func started(_ member: FleetMember) -> FleetEventLine {
        FleetEventLine(
            event: "databaseStarted", message: "Started \(member.name).",
            database: member.location, name: member.name, entry: nil)
    }

    static func finished(_ entry: FleetReport.Entry) -> FleetEventLine {
        FleetEventLine(
            event: "databaseFinished", message: "\(entry.name): \(entry.result.rawValue).",
            database: entry.database, name: entry.name, entry: entry)
    }

    private enum CodingKeys: String, CodingKey { case event, at, message, database, name }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event, forKey: .event)
        try container.encode(at, forKey: .at)
        try container.encode(message, forKey: .message)
        if let entry {
            try entry.encode(to: encoder)
        } else {
            try container.encode(database, forKey: .database)
            try container.encode(name, forKey: .name)
        }
    }
}

/// The result of a fleet run under `--json`.
private struct FleetResultLine: Encodable {
    let command: String
    let ok: Bool
    let error: FerryError?
    let fleet = true
    let spec: String
    let databases: [FleetReport.Entry]
    let succeeded: Int
    let failed: Int
    let skipped: Int
    let notStarted: Int
    let seconds: Double
    let report: String?

    init(
        command: String, ok: Bool, error: FerryError?, spec: String,
        databases: [FleetReport.Entry], counts: [FleetOutcome: Int], seconds: Double,
        report: String?
    ) {
        self.command = command
        self.ok = ok
        self.error = error
        self.spec = spec
        self.databases = databases
        self.succeeded = counts[.succeeded, default: 0]
        self.failed = counts[.failed, default: 0]
        self.skipped = counts[.skipped, default: 0]
        self.notStarted = counts[.notStarted, default: 0]
        self.seconds = seconds
        self.report = report
    }
}
