import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The load probe of concurrent upgraders (issue 18): in each round, 2 to 8
/// real `ferry upgrade` processes start at once on a fresh copy of the example
/// at 0.2.0 with its sample data; every other one will not wait
/// (`--lock-timeout 0`). Each round checks that every migration was applied
/// once (the history and the application's rows are those of one upgrade),
/// that one backup was taken, and that every process either finished (it
/// waited, then found the database up to date) or refused with the lock's
/// message and exit 3 — never anything else.
///
/// One round in the test suite; `FERRY_LOAD_ROUNDS` rounds per engine under
/// `scripts/reliability.sh`, which reads the `load-probe:` line into RELIABILITY.md.
@Suite("Concurrent upgraders")
struct ConcurrentUpgradersProbeTests {
    /// What one upgrade leaves that a user can check.
    struct Outcome: Equatable {
        let schema: [String]
        let rows: [String: [String]]
        let history: [String]

        init(_ database: TestDatabase) async throws {
            let snapshot = try await database.snapshot()
            schema = snapshot.schema.filter { !$0.contains("ferry_") }
            rows = snapshot.rows.filter { !$0.key.hasPrefix("ferry_") }
            // Every history row, in order: a migration applied twice shows twice.
            history =
                try await database.scalar(
                    database.kind == .sqlite
                        ? "SELECT group_concat(id, ' ') FROM (SELECT id FROM ferry_migrations ORDER BY id)"
                        : "SELECT string_agg(id, ' ' ORDER BY id) FROM ferry_migrations"
                )?.split(separator: " ").map(String.init) ?? []
        }
    }

    @Test(arguments: TestEngine.underTest)
    func upgradersStartedTogetherApplyEachMigrationOnce(engine: TestEngine) async throws {
        let rounds = LoadProbe.rounds(short: 1)
        let template = try await TestDatabase.make(engine)
        try await withCleanup {
            try await ExampleApplication.makeDatabase(at: "0.2.0", in: template)
            let expected = try await withCopy(of: template) { database in
                let run = try await FerryProcess.run(arguments(database))
                #expect(run.status == 0, "\(run)")
                return try await Outcome(database)
            }
            var counts = (runs: 0, upgraded: 0, waited: 0, refused: 0)
            var failed: [String] = []
            for round in 0..<rounds {
                let upgraders = LoadProbe.upgraders(inRound: round)
                let problems = try await withCopy(of: template) { database in
                    let running = try (0..<upgraders).map { index in
                        try FerryProcess.start(
                            arguments(database) + (index % 2 == 1 ? ["--lock-timeout", "0"] : []))
                    }
                    var outputs: [FerryProcess.Output] = []
                    for process in running { outputs.append(await process.finish()) }
                    counts.runs += outputs.count
                    counts.upgraded += outputs.filter(\.hasUpgraded).count
                    counts.waited += outputs.filter { $0.status == 0 && !$0.hasUpgraded }.count
                    counts.refused += outputs.filter { $0.status == 3 }.count
                    return try await problemsAfter(outputs, in: database, expected: expected)
                }
                #expect(problems.isEmpty, "round \(round), \(upgraders) upgraders: \(problems)")
                if !problems.isEmpty { failed.append("round \(round): \(problems)") }
            }
            // Read by scripts/reliability.sh into RELIABILITY.md.
            print(
                "load-probe: upgraders | \(engine) | \(rounds) rounds | \(counts.runs) runs | "
                    + "\(counts.upgraded) upgraded, \(counts.waited) waited, \(counts.refused) refused "
                    + "| \(failed.count) failed")
        } cleanup: {
            await template.remove()
        }
    }

    /// What is wrong after the upgraders of a round have ended.
    func problemsAfter(
        _ outputs: [FerryProcess.Output], in database: TestDatabase, expected: Outcome
    ) async throws -> [String] {
        var problems: [String] = []
        for output in outputs {
            let finished = output.status == 0 && output.lines.last == "[END UPGRADE SUCCESS]"
            let refused =
                output.status == 3
                && output.stderr.contains("Another upgrade holds the lock of")
                && output.stderr.contains("Nothing was changed.")
            if !finished && !refused { problems.append("neither finished nor refused: \(output)") }
        }
        let upgraded = outputs.filter(\.hasUpgraded).count
        if upgraded != 1 { problems.append("\(upgraded) processes upgraded, not 1") }
        let seen = try await Outcome(database)
        if seen.history != expected.history {
            problems.append("the history is \(seen.history), not \(expected.history)")
        }
        if seen.schema != expected.schema || seen.rows != expected.rows {
            problems.append("the application's tables are not those of one upgrade")
        }
        let backups = try BackupCatalog(folder: database.backupsFolder).listing()
        if backups.backups.count != 1 || !backups.unusable.isEmpty {
            problems.append(
                "\(backups.backups.count) backups and \(backups.unusable.count) unusable, not 1")
        }
        return problems
    }

    func arguments(_ database: TestDatabase) -> [String] {
        [
            "upgrade", "--database", database.location, "--migrations",
            ExampleApplication.migrations(for: database.kind).path,
        ] + database.backupArguments
    }

    /// Lends a fresh copy of the template to `body`, and removes it afterwards.
    func withCopy<Result>(
        of template: TestDatabase, _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let database = try await TestDatabase.make(copying: template)
        return try await withCleanup {
            try await body(database)
        } cleanup: {
            await database.remove()
        }
    }
}

extension FerryProcess.Output {
    /// Whether this run applied the migrations.
    fileprivate var hasUpgraded: Bool {
        status == 0 && stdout.contains("Upgrade to 0.5.0 completed successfully")
    }
}
