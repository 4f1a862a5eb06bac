import Ferry
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The crash-point harness: each operation of the `ferry` tool, on each
/// engine, is run once to learn the points it passes (``CrashPoint``'s
/// trace: every event it reports and the named points inside the engines),
/// then run again on a fresh copy and killed as `kill -9` would at each of
/// them in turn. After each kill Ferry looks first (`ferry status`), then the
/// test checks what a user would:
/// - the database is at the release before or the one after, and the
///   application's tables hold the rows before or the rows after, nothing
///   in between;
/// - the same command run again succeeds (the upgrade lock is free or
///   recovered) and ends where the killed run would have;
/// - every backup the catalog lists is whole (its SHA-256 is its
///   manifest's), and nothing the dead run left behind remains: no work
///   folder, no `.partial` file, no deletion note, no backup file without
///   its manifest. (A dead run's scratch databases on PostgreSQL are
///   checked by `PostgresFaultTests`, which can tell its own from those of
///   the tests running beside it.)
///
/// CI kills each operation at a quarter of its points, at most six, spread
/// from its first point to its last (``sampled(_:)``); all of them with
/// `FERRY_CRASH_HARNESS=full`, which `scripts/reliability.sh` sets and
/// counts into RELIABILITY.md.
@Suite("Killed at every crash point")
struct CrashPointHarnessTests {
    /// One operation of the tool, on the example at 0.2.0 with its sample data.
    struct Operation: Sendable, CustomTestStringConvertible {
        let name: String
        /// The command and its own arguments (the common ones are added).
        let command: [String]
        /// An export folder the operation writes, relative to the scenario's
        /// folder: after a kill it holds no manifest or a whole export, and
        /// after the rerun a whole export.
        var writesExport: String? = nil
        /// Whether the operation runs over a fleet (`--databases @fleet.txt`,
        /// listing the scenario's database): its backups are in a folder of
        /// the database's own inside the catalog.
        var isFleet = false
        /// Brings the database to where the operation starts; returns the
        /// states between before and after that a kill may also leave, each
        /// one a committed step that the rerun finishes.
        let prepare: @Sendable (ExampleScenario) async throws -> [Outcome]

        var testDescription: String { name }
    }

    static let operations: [Operation] = [
        Operation(name: "upgrade", command: ["upgrade"]) { _ in [] },
        Operation(name: "upgrade, no backup", command: ["upgrade", "--no-backup"]) { _ in [] },
        // A fleet of one: the fleet runner, its report written after the database, and the
        // database's own backups folder; the rerun is the same fleet run.
        Operation(
            name: "fleet upgrade",
            command: ["upgrade", "--databases", "@fleet.txt", "--report", "report.json"],
            isFleet: true
        ) { scenario in
            try Data((scenario.path + "\n").utf8).write(
                to: scenario.folder.url.appendingPathComponent("fleet.txt"))
            return []
        },
        Operation(name: "backup", command: ["backup"]) { _ in [] },
        Operation(name: "backup, quick check", command: ["backup", "--backup-check", "quick"]) {
            _ in []
        },
        Operation(name: "backup, SQL", command: ["backup", "--format", "sql"]) { _ in [] },
        Operation(name: "restore", command: ["restore", "--latest", "--yes"]) { scenario in
            try await scenario.ferry.backup()
            try await scenario.database.load("DELETE FROM readings WHERE id % 2 = 0")
            return []
        },
        Operation(name: "restore, SQL", command: ["restore", "--latest", "--yes"]) { scenario in
            try await scenario.ferry.backup(format: .sql)
            try await scenario.database.load("DELETE FROM readings WHERE id % 2 = 0")
            return []
        },
        Operation(name: "downgrade", command: ["downgrade", "--to", "0.3.0", "--yes"]) {
            scenario in
            try await scenario.ferry.upgrade()
            return []
        },
        Operation(name: "rehearsal", command: ["upgrade", "--rehearse"]) { _ in [] },
        Operation(name: "export", command: ["export", "export"], writesExport: "export") { _ in
            []
        },
        // Into an empty database the rows commit with the migrations that make the export's
        // release, then an upgrade (with its own backup) brings it to the program's release.
        Operation(name: "import, new database", command: ["import", "export", "--yes"]) {
            scenario in
            let exported = try await Outcome(scenario)
            try await scenario.ferry.export(
                to: scenario.folder.url.appendingPathComponent("export"))
            try await emptyDatabase(of: scenario)
            return [exported]
        },
        // Into a database with data: a pre-import backup, the rows of the export that are not
        // there, then the upgrade to the program's release.
        Operation(name: "import, skip", command: ["import", "export", "--mode", "skip", "--yes"]) {
            scenario in
            let exported = try await Outcome(scenario)
            try await scenario.ferry.export(
                to: scenario.folder.url.appendingPathComponent("export"))
            try await scenario.database.load("DELETE FROM readings WHERE id % 2 = 0")
            return [exported]
        },
        // Sensor 1's readings to sensor 2, as found from the foreign key.
        Operation(
            name: "transfer",
            command: ["transfer", "readings.sensor_id", "--from", "1", "--to", "2", "--yes"]
        ) { _ in [] },
        // Another tool managed it: GRDB's history of the same migrations, and no Ferry history.
        Operation(name: "adopt", command: ["adopt"]) { scenario in
            try await scenario.database.load(
                "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); "
                    + "INSERT INTO grdb_migrations (identifier) SELECT name FROM ferry_migrations; "
                    + "DROP TABLE ferry_migrations; DROP TABLE ferry_state; DROP TABLE IF EXISTS ferry_events;"
            )
            return []
        },
        // No tool managed it: its schema is that of 0.2.0, with no history.
        Operation(name: "baseline", command: ["baseline", "--release", "0.2.0"]) { scenario in
            try await scenario.database.load(
                "DROP TABLE ferry_migrations; DROP TABLE ferry_state; DROP TABLE IF EXISTS ferry_events;"
            )
            return []
        },
    ]

    /// Leaves the scenario's database with nothing in it: an empty SQLite
    /// file, or a PostgreSQL database with an empty schema.
    static func emptyDatabase(of scenario: ExampleScenario) async throws {
        switch scenario.engine {
        case .sqlite:
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: scenario.path + suffix)
            }
            FileManager.default.createFile(atPath: scenario.path, contents: Data())
        case .postgres:
            try await scenario.database.load(
                "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        }
    }

    /// The operations to run: all, or those named in
    /// `FERRY_CRASH_OPERATIONS` (separated by `;`), to work on one.
    static var chosenOperations: [Operation] {
        guard let names = ProcessInfo.processInfo.environment["FERRY_CRASH_OPERATIONS"] else {
            return operations
        }
        let chosen = Set(names.split(separator: ";").map(String.init))
        return operations.filter { chosen.contains($0.name) }
    }

    /// Whether every point is killed at, or a sample (``sampled(_:)``).
    static var isFull: Bool { ProcessInfo.processInfo.environment["FERRY_CRASH_HARNESS"] == "full" }

    /// The points a short run kills at: a quarter of them, at most six,
    /// evenly spread so that the first and the last are among them. The
    /// operation with the most points sets the suite's length, so a cap
    /// keeps CI short while every operation is still killed early, late
    /// and between.
    static func sampled(_ points: [String]) -> [String] {
        let count = min(6, (points.count + 3) / 4)
        guard count > 1 else { return Array(points.prefix(count)) }
        return (0..<count).map { points[($0 * (points.count - 1) + (count - 1) / 2) / (count - 1)] }
    }

    /// What a run leaves that a user can check: the release, the
    /// application's rows and schema (Ferry's own tables have times in them).
    struct Outcome: Equatable, CustomStringConvertible {
        let release: String?
        let schema: [String]
        let rows: [String: [String]]

        init(_ scenario: ExampleScenario) async throws {
            let snapshot = try await scenario.snapshot()
            let applicationTables = snapshot.rows.filter { !$0.key.hasPrefix("ferry_") }
            rows = applicationTables
            schema = snapshot.schema.filter { !$0.contains("ferry_") }
            release =
                snapshot.rows["ferry_state"] == nil
                ? nil : try await scenario.database.scalar("SELECT release FROM ferry_state")
        }

        var description: String {
            "release \(release ?? "none"), "
                + rows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.count)" }
                .joined(separator: ", ")
        }
    }

    @Test(arguments: TestEngine.underTest, chosenOperations)
    func aRunKilledAtAnyPointLeavesTheDatabaseBeforeOrAfterAndARerunFinishes(
        engine: TestEngine, operation: Operation
    ) async throws {
        // The clean run: the points it passes, and where it ends.
        let (points, before, after, between) = try await withExample(at: "0.2.0", on: engine) {
            scenario in
            let between = try await operation.prepare(scenario)
            let before = try await Outcome(scenario)
            let trace = scenario.folder.url.appendingPathComponent("trace")
            let run = try await FerryProcess.run(
                arguments(operation, scenario), in: scenario.folder.url,
                environment: [
                    CrashPoint.traceVariable: trace.path, "TMPDIR": try temporary(scenario),
                ])
            #expect(run.status == 0, "\(run)")
            let points = try String(contentsOf: trace, encoding: .utf8)
                .split(separator: "\n").map(String.init)
            if let export = operation.writesExport {
                _ = try ExportFolder(url: scenario.folder.url.appendingPathComponent(export))
                    .checked()
            }
            return (points, before, try await Outcome(scenario), between)
        }
        #expect(points.count >= 5, "\(operation.name) passes few points: \(points)")
        let chosen = Self.isFull ? points : Self.sampled(points)
        var failed: [String] = []
        for point in chosen {
            let problems = try await withExample(at: "0.2.0", on: engine) { scenario in
                _ = try await operation.prepare(scenario)
                return try await problemsAfterAKill(
                    at: point, of: operation, in: scenario, before: before, after: after,
                    between: between)
            }
            #expect(problems.isEmpty, "\(operation.name) killed at \(point): \(problems)")
            if !problems.isEmpty { failed.append(point) }
        }
        // Read by scripts/reliability.sh into RELIABILITY.md.
        print(
            "crash-harness: \(operation.name) | \(engine) | \(points.count) points | killed at \(chosen.count) "
                + "| \(failed.count) failed \(failed)")
    }

    /// Kills the operation at a point, then checks what it left; returns what is wrong.
    func problemsAfterAKill(
        at point: String, of operation: Operation, in scenario: ExampleScenario,
        before: Outcome, after: Outcome, between: [Outcome]
    ) async throws -> [String] {
        var problems: [String] = []
        let tmp = try temporary(scenario)
        let command = arguments(operation, scenario)
        let killed = try await FerryProcess.run(
            command, in: scenario.folder.url,
            environment: [CrashPoint.variable: point, "TMPDIR": tmp])
        if killed.status != SIGKILL { problems.append("not killed there: \(killed)") }

        // Ferry looks first.
        let status = try await FerryProcess.run(
            ["status", "--json"] + common(scenario), in: scenario.folder.url,
            environment: ["TMPDIR": tmp])
        if status.status != 0 { problems.append("status failed: \(status)") }
        if scenario.engine == .sqlite, try integrityCheck(scenario.path) != "ok" {
            problems.append("the integrity check fails: \(try integrityCheck(scenario.path))")
        }
        let seen = try await Outcome(scenario)
        if seen != before && seen != after && !between.contains(seen) {
            problems.append("left \(seen); before \(before), after \(after)")
        }
        let export = operation.writesExport.map { scenario.folder.url.appendingPathComponent($0) }
        let exportWasWhole = export.map { isWholeExport($0) } ?? false
        if let export, !exportWasWhole,
            FileManager.default.fileExists(
                atPath: export.appendingPathComponent(ExportManifest.fileName).path)
        {
            problems.append("the killed export left a manifest but is not whole")
        }

        // The same command again finishes the work, also with the dead run's lock and leftovers
        // (an export that was already whole is refused: its folder is not empty).
        let rerun = try await FerryProcess.run(
            command, in: scenario.folder.url, environment: ["TMPDIR": tmp])
        if rerun.status != 0
            && !(exportWasWhole
                && (rerun.stdout + rerun.stderr).contains("already holds an export"))
        {
            problems.append("the rerun failed: \(rerun)")
        }
        if let export {
            if !isWholeExport(export) { problems.append("after the rerun the export is not whole") }
            let marks =
                (try? FileManager.default.contentsOfDirectory(atPath: export.path))?
                .filter { $0.hasPrefix(WorkFolder.prefix) } ?? []
            if !marks.isEmpty { problems.append("left in the export: \(marks)") }
        }
        let finished = try await Outcome(scenario)
        if finished != after { problems.append("the rerun ended at \(finished), not \(after)") }
        problems += try catalogProblems(scenario, fleet: operation.isFleet)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp)
        if !leftovers.isEmpty { problems.append("left in TMPDIR: \(leftovers)") }
        return problems
    }

    /// Whether an export folder has its manifest and every file matches it.
    func isWholeExport(_ folder: URL) -> Bool {
        (try? ExportFolder(url: folder).checked()) != nil
    }

    func common(_ scenario: ExampleScenario) -> [String] {
        [
            "--database", scenario.path, "--migrations", scenario.migrations.path, "--backups",
            scenario.backupsFolder.path,
        ]
    }

    func arguments(_ operation: Operation, _ scenario: ExampleScenario) -> [String] {
        // A fleet names its databases in its list, not with --database.
        operation.command + common(scenario).dropFirst(operation.isFleet ? 2 : 0)
    }

    /// A temporary folder of the scenario's own, so that leftovers are its run's.
    func temporary(_ scenario: ExampleScenario) throws -> String {
        let folder = scenario.folder.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    /// Every backup the catalog lists is whole, and nothing else is in its
    /// folder but the backups and their manifests.
    func catalogProblems(_ scenario: ExampleScenario, fleet: Bool = false) throws -> [String] {
        var folder = scenario.backupsFolder
        if fleet {
            // The scenario's own backups stay beside it; the fleet's are in the database's folder.
            folder.appendPathComponent(FleetMember.naming([scenario.path])[0].name)
        }
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        let listing = try BackupCatalog(folder: folder).listing()
        var problems: [String] = []
        if !listing.unusable.isEmpty { problems.append("unusable backups: \(listing.unusable)") }
        var files: Set<String> = []
        for backup in listing.backups {
            files.insert(backup.file.lastPathComponent)
            files.insert(backup.manifestFile.lastPathComponent)
            if try FileSafety.sha256(of: backup.file) != backup.manifest.sha256 {
                problems.append("the backup \(backup.name) is not whole")
            }
        }
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        if !present.subtracting(files).isEmpty {
            problems.append(
                "in the catalog, not a listed backup: \(present.subtracting(files).sorted())")
        }
        return problems
    }
}
