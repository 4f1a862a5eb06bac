import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import Testing

/// Ferry's own connections let SQLite's sorter use the cores for a large
/// sort (a migration's `CREATE INDEX`, an import's indexes made after its
/// rows): `PRAGMA threads`, one per core, at most 4. SQLite's default is 0.
@Suite struct SorterThreadsTests {
    @Test func aMigrationRunsWithTheSorterOnEveryCore() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try folder.write(
            "migrations/1.0.0/001_note_the_threads.sql",
            "CREATE TABLE seen AS SELECT threads FROM pragma_threads;")
        let ferry = Ferry(
            .init(
                appName: "app", engine: SQLiteEngine(path: path),
                migrationsDirectory: folder.url.appendingPathComponent("migrations")))
        #expect(try await ferry.upgrade().applied == ["1.0.0/001_note_the_threads"])
        let expected = min(4, ProcessInfo.processInfo.activeProcessorCount)
        #expect(try scalar("SELECT threads FROM seen", in: path) == "\(expected)")
        #expect(
            try scalar("PRAGMA threads", in: path) == "0", "another connection: SQLite's default")
    }
}
