import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// A fleet run builds the schema that the schema drift check compares with
/// once for the databases whose history is the same (``ScratchReuse``),
/// and still finds the drift of the one database that has it.
@Suite struct FleetSchemaDriftTests {
    @Test func theDriftChecksOfAFleetBuildTheExpectedSchemaOnce() async throws {
        let folder = try TemporaryFolder()
        let builds = Locked(0)
        var configuration = Ferry.Configuration(
            appName: "test", engine: SQLiteEngine(path: ":unused:"), migrationsDirectory: nil)
        try configuration.migrations.register(release: "1.0.0", name: "001_things") { db in
            builds.withLock { $0 += 1 }
            try await db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        }
        configuration.backupsDirectory = folder.url.appendingPathComponent("backups")
        let names = ["a", "b", "c", "d"]
        for name in names {
            var one = configuration
            one.engine = SQLiteEngine(path: folder.url.appendingPathComponent("\(name).db").path)
            try await Ferry(one).upgrade(UpgradeOptions(skipBackup: true))
        }
        let drifted = folder.url.appendingPathComponent("c.db").path
        let queue = try DatabaseQueue(path: drifted)
        try await queue.write {
            try $0.execute(sql: "CREATE INDEX things_by_name ON things (name)")
        }
        try queue.close()
        builds.value = 0

        let fleet = Fleet(
            members: FleetMember.naming(
                names.map { folder.url.appendingPathComponent("\($0).db").path })
        ) { SQLiteEngine(path: $0) }
        let drift = Locked<[String: Int]>([:])
        let run = Ferry(configuration).runAll(fleet, options: FleetOptions(parallel: 2)) { ferry in
            let report = try await ferry.verify()
            let name = (ferry.configuration.engine.displayName as NSString).lastPathComponent
            drift.withLock { $0[name] = report.drift?.differences.count }
            return FleetSummary()
        }
        for try await _ in run {}
        #expect(
            drift.value == ["a.db": 0, "b.db": 0, "c.db": 1, "d.db": 0], "\(drift.value)")
        #expect(builds.value <= 2, "built once, or once by each of the two at the start")
        #expect(builds.value >= 1)

        // Outside a fleet run each check builds its own.
        for name in names.prefix(2) {
            var one = configuration
            one.engine = SQLiteEngine(path: folder.url.appendingPathComponent("\(name).db").path)
            _ = try await Ferry(one).verify()
        }
        #expect(builds.value >= 3)
    }
}
