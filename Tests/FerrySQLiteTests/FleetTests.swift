import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// The library's fleet runner on SQLite files: the spec's order, the
/// stream of results, and a migrations folder that cannot be read stopping
/// the run before any database is touched.
@Suite struct FleetTests {
    let engines = DatabaseEngines([SQLiteEngine.kind])

    /// Tenants at 0.1.0 in a folder, and the template configuration.
    func tenants(_ names: [String], in folder: TemporaryFolder, migrations: URL) async throws
        -> Ferry
    {
        for name in names {
            let path = folder.url.appendingPathComponent("tenants/\(name).db").path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try await Ferry(
                ExampleApplication.configuration(database: path, migrations: migrations)
            )
            .upgrade(UpgradeOptions(target: Release(0, 1, 0)))
        }
        let first = folder.url.appendingPathComponent("tenants/\(names[0]).db").path
        return Ferry(ExampleApplication.configuration(database: first, migrations: migrations))
    }

    @Test func aGlobAndAListExpandInAStableOrderAndAPatternIsTheServersToList() throws {
        let folder = try TemporaryFolder()
        for name in ["c", "a", "b"] {
            _ = try folder.write("tenants/\(name).db", "")
        }
        _ = try folder.write("tenants/notes.txt", "")
        let glob = try FleetSpec(folder.url.path + "/tenants/*.db").locations()
        #expect(glob.map { ($0 as NSString).lastPathComponent } == ["a.db", "b.db", "c.db"])
        let list = try folder.write(
            "list.txt",
            "# tenants\ntenants/c.db\n\n  tenants/a.db  \ntenants/c.db\npostgres://h/db\n")
        #expect(
            try FleetSpec("@" + list.path).locations() == [
                folder.url.path + "/tenants/c.db", folder.url.path + "/tenants/a.db",
                "postgres://h/db",
            ])
        let pattern = try FleetSpec("postgres://h/app?sslmode=disable&schemas=tenant_*")
        #expect(pattern.form == .pattern("postgres://h/app?sslmode=disable&schemas=tenant_*"))
        #expect(
            try FleetSpec("postgres://h/app?schema=a").form == .glob("postgres://h/app?schema=a"))
        let patternInList = try folder.write("patterns.txt", "postgres://h/app?schemas=tenant_*\n")
        let listed = try #require(throws: FerryError.self) {
            try FleetSpec("@" + patternInList.path).locations()
        }
        #expect(listed.message.contains("holds a pattern"))
        #expect(listed.category == .usage)
        #expect(
            FleetMember.naming(["t/acme.db", "u/acme.db", "postgres://h/beta?sslmode=disable"])
                .map(\.name) == ["acme", "acme-2", "beta"])
        let none = try #require(throws: FerryError.self) {
            try Fleet(
                FleetSpec(folder.url.path + "/nothing/*.db"), engines: engines,
                settings: Settings())
        }
        #expect(none.message.contains("names no database"))
    }

    @Test func upgradeAllStreamsEveryDatabasesResult() async throws {
        let folder = try TemporaryFolder()
        let ferry = try await tenants(
            ["a", "b", "c"], in: folder, migrations: ExampleApplication.migrations)
        let fleet = try Fleet(
            FleetSpec(folder.url.path + "/tenants/*.db"), engines: engines, settings: Settings())
        var started: [String] = []
        var finished: [String: FleetResult] = [:]
        for try await event in ferry.upgradeAll(fleet, options: FleetOptions(parallel: 2)) {
            switch event {
            case .started(let member): started.append(member.name)
            case .finished(let result): finished[result.member.name] = result
            }
        }
        #expect(started.sorted() == ["a", "b", "c"])
        #expect(finished.values.allSatisfy { $0.outcome == .succeeded })
        #expect(finished["b"]?.summary?.to == ExampleApplication.newestRelease)
        #expect(finished["b"]?.summary?.from == "0.1.0")
        #expect(finished["b"]?.summary?.backup != nil)
    }

    @Test func eachDatabaseRunsOnALaneOfItsOwnWhereItsConnectionIsCalledDirectly() async throws {
        let folder = try TemporaryFolder()
        let names = ["a", "b", "c", "d", "e"]
        let template = try await tenants(
            names, in: folder, migrations: ExampleApplication.migrations)
        // A Swift migration of the newest release notes where it ran.
        let places = Locked<[(onLane: Bool, thread: String)]>([])
        var configuration = template.configuration
        try configuration.migrations.register(
            release: ExampleApplication.newestRelease, name: "900_note_the_thread"
        ) { db in
            places.withLock {
                $0.append(
                    (
                        ThreadExecutor.isCurrent,
                        "\(Unmanaged.passUnretained(Thread.current).toOpaque())"
                    ))
            }
            _ = try await db.fetchAll("SELECT count(*) FROM devices")
        }
        let fleet = try Fleet(
            FleetSpec(folder.url.path + "/tenants/*.db"), engines: engines, settings: Settings())
        var results: [FleetResult] = []
        for try await event in Ferry(configuration).upgradeAll(
            fleet, options: FleetOptions(parallel: 2))
        {
            if case .finished(let result) = event { results.append(result) }
        }
        #expect(results.count == names.count && results.allSatisfy { $0.outcome == .succeeded })
        #expect(places.value.count == names.count)
        let onLanes = places.value.filter(\.onLane).count
        #expect(onLanes == names.count, "every database's migrations ran on a lane")
        #expect(Set(places.value.map(\.thread)).count <= 2, "two lanes for --parallel 2")

        // A single upgrade outside a fleet keeps to the connection's own thread.
        let single = folder.url.appendingPathComponent("single.db").path
        try await Ferry(
            ExampleApplication.configuration(
                database: single, migrations: ExampleApplication.migrations)
        ).upgrade(UpgradeOptions(target: Release(0, 1, 0)))
        var alone = configuration
        alone.engine = SQLiteEngine(path: single)
        try await Ferry(alone).upgrade()
        #expect(places.value.count == names.count + 1)
        #expect(places.value.last?.onLane == false)
    }

    @Test func aMigrationsFolderThatCannotBeReadStopsTheRunBeforeAnyDatabase() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let ferry = try await tenants(["a", "b"], in: folder, migrations: migrations)
        let before = try DatabaseSnapshot(path: folder.url.path + "/tenants/a.db")
        // A release folder whose name is not a release: the catalog refuses it.
        try FileManager.default.createDirectory(
            at: migrations.appendingPathComponent("not-a-release"),
            withIntermediateDirectories: true)
        _ = try folder.write("\(migrations.lastPathComponent)/not-a-release/001_x.sql", "SELECT 1;")
        let fleet = try Fleet(
            FleetSpec(folder.url.path + "/tenants/*.db"), engines: engines, settings: Settings())
        var events = 0
        let error = await #expect(throws: FerryError.self) {
            for try await _ in ferry.upgradeAll(fleet) { events += 1 }
        }
        #expect(events == 0, "no database was started")
        #expect(error?.category == .usage, "\(String(describing: error))")
        #expect(try DatabaseSnapshot(path: folder.url.path + "/tenants/a.db") == before)
    }
}
