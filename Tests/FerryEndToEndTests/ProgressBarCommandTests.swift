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
