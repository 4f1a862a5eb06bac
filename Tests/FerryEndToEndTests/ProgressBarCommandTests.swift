import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The progress of long work as the real `ferry` shows it: a bar redrawn in
/// place on a terminal (a pseudo-terminal made by util-linux's `script`),
/// nothing extra when the output is piped, and `progress` events in the
/// JSON lines under `--json`.
@Suite struct ProgressBarCommandTests {
    let folder: TemporaryFolder
    let path: String
    var arguments: [String] {
        ["--database", path, "--migrations", ExampleApplication.migrations.path]
    }
    /// The first report at once, so that the bar shows however fast the export runs.
    var environment: [String: String] {
        ["TMPDIR": folder.url.path, "FERRY_TEST_PROGRESS_DELAY_MS": "0"]
    }

    /// The example at 0.3.0 with 2,000 × 16 kB of ballast (about 32 MB):
    /// long enough to copy, dump and export that the progress shows.
    init() async throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.3.0", path: path)
        try await addBallast(to: path, rows: 2000)
    }

    /// Runs `ferry` on a pseudo-terminal; returns its exit status and what
    /// the terminal received (standard output and error together).
    func runOnTerminal(_ ferryArguments: [String]) async throws -> (Int32, String) {
        let command = ([FerryProcess.binary.path] + ferryArguments).map { argument in
            "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-f", "-c", command, "/dev/null"]
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FERRY_") }
        variables.merge(environment) { $1 }
        process.environment = variables
        let output = folder.url.appendingPathComponent("terminal-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    @Test func exportDrawsABarPerTableOnATerminal() async throws {
        let export = folder.url.appendingPathComponent("export").path
        let (status, terminal) = try await runOnTerminal(["export", export] + arguments)
        #expect(status == 0, "\(terminal)")
        #expect(terminal.contains("\rexport ballast ["), "\(terminal.suffix(2000))")
        #expect(terminal.contains("/2,000 rows"))
        #expect(terminal.contains("rows/s"))
        // The bar is cleared when the table is written, before the summary.
        let cleared = try #require(terminal.range(of: "\r\u{1B}[K", options: .backwards))
        let summary = try #require(terminal.range(of: "ballast: 2000 rows"))
        #expect(cleared.upperBound <= summary.lowerBound)
    }

    @Test func anSQLBackupShowsItsDumpAndLoadOnATerminal() async throws {
        let (status, terminal) = try await runOnTerminal(
            ["backup", "--format", "sql"] + arguments)
        #expect(status == 0, "\(terminal)")
        // The dump's rows have no total known ahead: a spinner, the count and the rate.
        #expect(terminal.contains("\rdump "), "\(terminal.suffix(2000))")
        #expect(terminal.contains(" rows/s"))
        #expect(terminal.contains("Backup "))
    }

    @Test func pipedOutputHasNoBar() async throws {
        let export = folder.url.appendingPathComponent("export").path
        let output = try await FerryProcess.run(
            ["export", export] + arguments, environment: environment)
        #expect(output.status == 0, "\(output)")
        #expect(!output.stderr.contains("\r"))
        #expect(!output.stdout.contains("\r"))
        #expect(!output.stderr.contains("rows/s"))
        #expect(output.stdout.contains("ballast: 2000 rows"))
        let backup = try await FerryProcess.run(
            ["backup", "--format", "sql"] + arguments, environment: environment)
        #expect(backup.status == 0, "\(backup)")
        #expect(!backup.stderr.contains("\r"))
        #expect(!backup.stdout.contains("\r"))
    }

    /// At `--backup-check quick`, an SQL backup restored where there is no
    /// database is quick-checked as loaded, before it goes into place (the
    /// check came after, once the file was synced and linked): the JSON
    /// lines show the integrity check's progress before the restore starts,
    /// and none after.
    @Test func aQuickRestoreOfAnSQLBackupChecksTheLoadedFileBeforeItGoesIntoPlace() async throws {
        let catalog = folder.url.appendingPathComponent("backups").path
        let backup = try await FerryProcess.run(
            ["backup", "--format", "sql", "--backups", catalog] + arguments)
        #expect(backup.status == 0, "\(backup)")
        let restored = folder.url.appendingPathComponent("restored.db").path
        let output = try await FerryProcess.run(
            [
                "restore", "--latest", "--yes", "--json", "--backup-check", "quick", "--database",
                restored, "--backups", catalog, "--migrations", ExampleApplication.migrations.path,
            ], environment: environment)
        #expect(output.status == 0, "\(output)")
        let events = try output.jsonLines().compactMap { line -> String? in
            guard let event = line["event"] as? String else { return nil }
            return event == "progress" ? line["task"] as? String : event
        }
        let started = try #require(events.firstIndex(of: "restoreStarted"), "\(events)")
        #expect(events[..<started].contains("integrity check"), "\(events)")
        #expect(!events[started...].contains("integrity check"), "\(events)")
        #expect(try integrityCheck(restored) == "ok")
        #expect(try scalar("SELECT count(*) FROM ballast", in: restored) == "2000")
    }

    @Test func jsonCarriesProgressEventsThenTheResult() async throws {
        let export = folder.url.appendingPathComponent("export").path
        let output = try await FerryProcess.run(
            ["export", export, "--json"] + arguments, environment: environment)
        #expect(output.status == 0, "\(output)")
        #expect(!output.stderr.contains("\r"))
        let lines = try output.jsonLines()
        let progress = lines.filter { $0["event"] as? String == "progress" }
        let ballast = progress.filter { $0["task"] as? String == "export ballast" }
        #expect(!ballast.isEmpty, "\(output.stdout.prefix(2000))")
        for event in ballast {
            #expect(event["unit"] as? String == "rows")
            #expect(event["total"] as? Int == 2000)
            #expect(event["at"] is String)
            #expect((event["done"] as? Int).map { 0...2000 ~= $0 } == true)
        }
        #expect(ballast.last?["finished"] as? Bool == true)
        #expect(ballast.last?["done"] as? Int == 2000)
        // At most ten a second (the test asks for the first report at once).
        let seconds = ballast.compactMap { $0["seconds"] as? Double }
        #expect(Double(ballast.count - 1) <= (seconds.max() ?? 0) * 10 + 1)
        let result = try #require(lines.last)
        #expect(result["command"] as? String == "export")
        #expect(result["ok"] as? Bool == true)
    }
}

/// A migration that runs outside any transaction reports its progress too,
/// through SQLite's progress handler, named after its file.
@Test func aMigrationRunAloneReportsItsSteps() async throws {
    try await withExample(at: "0.5.0") { scenario in
        try await addBallast(to: scenario.path, rows: 2000)
        try scenario.write(
            "0.6.0/001_rewrite_ballast.sql",
            "-- ferry:no-transaction\nUPDATE ballast SET data = hex(data);\n")
        let output = try await FerryProcess.run(
            [
                "upgrade", "--json", "--database", scenario.path, "--migrations",
                scenario.migrations.path,
            ],
            environment: ["FERRY_TEST_PROGRESS_DELAY_MS": "0"])
        #expect(output.status == 0, "\(output)")
        let events = try output.jsonLines().filter {
            $0["event"] as? String == "progress"
                && $0["task"] as? String == "script 0.6.0/001_rewrite_ballast.sql"
        }
        #expect(!events.isEmpty, "\(output.stdout.prefix(3000))")
        #expect(events.allSatisfy { $0["unit"] as? String == "steps" })
        #expect(events.last?["finished"] as? Bool == true)
    }
}

/// The progress of a PostgreSQL restore: the backup's bytes read so far by
/// `pg_restore` while its script loads, first into the scratch database of
/// the backup's check, then into the live database.
@Suite struct PostgresRestoreProgressTests {
    @Test(arguments: TestEngine.underTest.filter { $0 == .postgres })
    func aRestoreReportsTheBackupsBytesRead(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            // About 16 MB of random text, which the custom format cannot shrink much.
            try await scenario.database.load(
                """
                CREATE TABLE ballast AS
                SELECT g AS id, (SELECT string_agg(md5(random()::text || i || g), '') FROM generate_series(1, 250) AS i) AS filler
                  FROM generate_series(1, 2000) AS g;
                """)
            let arguments =
                ["--database", scenario.path, "--migrations", scenario.migrations.path]
                + scenario.database.backupArguments
            let backup = try await FerryProcess.run(["backup", "--json"] + arguments)
            #expect(backup.status == 0, "\(backup)")
            let output = try await FerryProcess.run(
                ["restore", "--latest", "--yes", "--json"] + arguments,
                environment: ["FERRY_TEST_PROGRESS_DELAY_MS": "0"])
            #expect(output.status == 0, "\(output)")
            let progress = try output.jsonLines().filter { $0["event"] as? String == "progress" }
            for task in ["backup load", "restore"] {
                let events = progress.filter { $0["task"] as? String == task }
                #expect(!events.isEmpty, "\(task): \(output.stdout.prefix(3000))")
                let total = try #require(events.first?["total"] as? Int)
                #expect(total > 4_000_000, "\(events)")
                for event in events {
                    #expect(event["unit"] as? String == "bytes")
                    #expect((event["done"] as? Int).map { 0...total ~= $0 } == true, "\(event)")
                }
                #expect(events.last?["finished"] as? Bool == true)
            }
            #expect(try await scenario.database.scalar("SELECT count(*) FROM ballast") == "2000")
        }
    }
}
