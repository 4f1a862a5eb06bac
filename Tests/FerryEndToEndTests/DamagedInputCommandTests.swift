import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Inputs that are not what they should be: a damaged live database, a
/// FIFO given as the database. The message points at the real cause.
@Suite struct DamagedInputCommandTests {
    @Test func backingUpADamagedDatabaseSaysTheLiveDatabaseIsDamaged() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path)
        // Flip bytes in the middle of sensor_history's root page, from outside.
        let rootText = try scalar(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sensor_history'", in: path)
        let pageText = try scalar("PRAGMA page_size", in: path)
        let rootPage = try #require(rootText.flatMap { Int($0) })
        let pageSize = try #require(pageText.flatMap { Int($0) })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((rootPage - 1) * pageSize + 12))
        try handle.write(contentsOf: Data(repeating: 0xEE, count: 64))
        try handle.close()
        #expect((try? integrityCheck(path)) != "ok", "the database is damaged")
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))

        let output = try await FerryProcess.run(["backup", "--database", path])

        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("The live database \(path) is damaged"), "\(output)")
        #expect(!output.stderr.contains("Use another backup"), "\(output)")
        #expect(output.stderr.contains("Nothing was changed"), "\(output)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: path)) == damaged,
            "the live database was only read")
        let catalog = folder.url.appendingPathComponent("backups").path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: catalog)) ?? []
        #expect(files.filter { !$0.hasPrefix(".") }.isEmpty, "no backup was kept: \(files)")
    }

    @Test func aFIFOAsTheDatabaseIsRefusedAtOnce() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(mkfifo(path, 0o600) == 0)

        for command in ["status", "upgrade", "backup"] {
            let running = try FerryProcess.start(
                [command, "--database", path, "--migrations", ExampleApplication.migrations.path],
                in: folder.url)
            let deadline = ContinuousClock.now + .seconds(30)
            while running.process.isRunning && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let hung = running.process.isRunning
            if hung { running.kill(SIGKILL) }
            let output = await running.finish()
            #expect(!hung, "\(command) hung on the FIFO")
            #expect(output.status == 2, "\(command): \(output)")
            #expect(
                output.stderr.contains("\(path) is a FIFO (named pipe), not a database file"),
                "\(command): \(output)")
        }
    }
}
