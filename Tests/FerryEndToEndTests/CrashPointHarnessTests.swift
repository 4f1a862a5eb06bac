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
/// CI kills each operation at every fourth point (all of them with
/// `FERRY_CRASH_HARNESS=full`, which `scripts/reliability.sh` sets and
/// counts into RELIABILITY.md).
@Suite("Killed at every crash point")
struct CrashPointHarnessTests {
    /// One operation of the tool, on the example at 0.2.0 with its sample data.
    struct Operation: Sendable, CustomTestStringConvertible {
        let name: String
        /// The command and its own arguments (the common ones are added).
        let command: [String]
        /// Brings the database to where the operation starts.
        let prepare: @Sendable (ExampleScenario) async throws -> Void

        var testDescription: String { name }
    }

    static let operations: [Operation] = [
        Operation(name: "upgrade", command: ["upgrade"]) { _ in },
        Operation(name: "upgrade, no backup", command: ["upgrade", "--no-backup"]) { _ in },
        Operation(name: "backup", command: ["backup"]) { _ in },
        Operation(name: "backup, quick check", command: ["backup", "--backup-check", "quick"]) {
            _ in
        },
        Operation(name: "backup, SQL", command: ["backup", "--format", "sql"]) { _ in },
        Operation(name: "restore", command: ["restore", "--latest", "--yes"]) { scenario in
            try await scenario.ferry.backup()
            try await scenario.database.load("DELETE FROM readings WHERE id % 2 = 0")
        },
        Operation(name: "restore, SQL", command: ["restore", "--latest", "--yes"]) { scenario in
            try await scenario.ferry.backup(format: .sql)
            try await scenario.database.load("DELETE FROM readings WHERE id % 2 = 0")
        },
        Operation(name: "downgrade", command: ["downgrade", "--to", "0.3.0", "--yes"]) {
            scenario in
            try await scenario.ferry.upgrade()
        },
        Operation(name: "rehearsal", command: ["upgrade", "--rehearse"]) { _ in },
        // Another tool managed it: GRDB's history of the same migrations, and no Ferry history.
        Operation(name: "adopt", command: ["adopt"]) { scenario in
            try await scenario.database.load(
                "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); "
                    + "INSERT INTO grdb_migrations (identifier) SELECT name FROM ferry_migrations; "
                    + "DROP TABLE ferry_migrations; DROP TABLE ferry_state; DROP TABLE IF EXISTS ferry_events;"
            )
        },
        // No tool managed it: its schema is that of 0.2.0, with no history.
        Operation(name: "baseline", command: ["baseline", "--release", "0.2.0"]) { scenario in
            try await scenario.database.load(
                "DROP TABLE ferry_migrations; DROP TABLE ferry_state; DROP TABLE IF EXISTS ferry_events;"
            )
        },
    ]

    /// Whether every point is killed at, or every fourth.
    static var isFull: Bool { ProcessInfo.processInfo.environment["FERRY_CRASH_HARNESS"] == "full" }

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
            // An unmanaged database (before `adopt`) has no ferry_state.
            release =
                (try? await scenario.database.scalar("SELECT release FROM ferry_state")) ?? nil
        }

        var description: String {
            "release \(release ?? "none"), "
                + rows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.count)" }
                .joined(separator: ", ")
        }
    }

    @Test(arguments: TestEngine.underTest, operations)
    func aRunKilledAtAnyPointLeavesTheDatabaseBeforeOrAfterAndARerunFinishes(
        engine: TestEngine, operation: Operation
    ) async throws {
        // The clean run: the points it passes, and where it ends.
        let (points, before, after) = try await withExample(at: "0.2.0", on: engine) { scenario in
            try await operation.prepare(scenario)
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
            return (points, before, try await Outcome(scenario))
        }
        #expect(points.count >= 5, "\(operation.name) passes few points: \(points)")
        let chosen =
            Self.isFull ? points : points.enumerated().filter { $0.offset % 4 == 0 }.map(\.element)
        var failed: [String] = []
        for point in chosen {
            let problems = try await withExample(at: "0.2.0", on: engine) { scenario in
                try await operation.prepare(scenario)
                return try await problemsAfterAKill(
                    at: point, of: operation, in: scenario, before: before, after: after)
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
        before: Outcome, after: Outcome
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
        if seen != before && seen != after {
            problems.append("left \(seen); before \(before), after \(after)")
        }

        // The same command again finishes the work, also with the dead run's lock and leftovers.
        let rerun = try await FerryProcess.run(
            command, in: scenario.folder.url, environment: ["TMPDIR": tmp])
        if rerun.status != 0 { problems.append("the rerun failed: \(rerun)") }
        let finished = try await Outcome(scenario)
        if finished != after { problems.append("the rerun ended at \(finished), not \(after)") }
        problems += try catalogProblems(scenario)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp)
        if !leftovers.isEmpty { problems.append("left in TMPDIR: \(leftovers)") }
        return problems
    }

    func common(_ scenario: ExampleScenario) -> [String] {
        [
            "--database", scenario.path, "--migrations", scenario.migrations.path, "--backups",
            scenario.backupsFolder.path,
        ]
    }

    func arguments(_ operation: Operation, _ scenario: ExampleScenario) -> [String] {
        operation.command + common(scenario)
    }

    /// A temporary folder of the scenario's own, so that leftovers are its run's.
    func temporary(_ scenario: ExampleScenario) throws -> String {
        let folder = scenario.folder.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    /// Every backup the catalog lists is whole, and nothing else is in its
    /// folder but the backups and their manifests.
    func catalogProblems(_ scenario: ExampleScenario) throws -> [String] {
        let folder = scenario.backupsFolder
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
