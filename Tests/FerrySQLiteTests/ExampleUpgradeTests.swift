import Ferry
import FerrySQLite
import FerryTestSupport
import Foundation
import Testing

/// Upgrades of the bundled example application, from every older release.
@Suite struct ExampleUpgradeTests {
    @Test(arguments: ExampleApplication.releases)
    func upgradesFromEveryReleaseKeepingTheData(release: String) async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: release, path: path)

        let report = try await Ferry(ExampleApplication.configuration(database: path)).upgrade()

        #expect(report.to.description == ExampleApplication.newestRelease)
        #expect(report.wasUpToDate == (release == ExampleApplication.newestRelease))
        let snapshot = try DatabaseSnapshot(path: path)
        for (table, count) in ExampleApplication.expectedCounts(madeAt: release) {
            #expect(snapshot.counts[table] == count, "rows in \(table)")
        }
        for (query, value) in ExampleApplication.preservedValues {
            #expect(try scalar(query, in: path) == value, "\(query)")
        }
        #expect(try integrityCheck(path) == "ok")
        #expect(
            try scalar("SELECT release FROM ferry_state", in: path)
                == ExampleApplication.newestRelease)
        let history = try await Ferry(ExampleApplication.configuration(database: path)).history()
        #expect(history.count == 14)
        #expect(history.map(\.sequence) == Array(1...14))
        // Every row names the program that applied it (0.5.0, also for a database made at 0.1.0 by
        // this program), compared as releases: as text, "0.10.0" would sort before "0.9.0".
        #expect(
            history.map(\.appliedBy.description)
                == Array(repeating: ExampleApplication.newestRelease, count: 14))
        for row in history {
            let by = try #require(row.appliedBy.release, "\(row.id)")
            let release = try #require(row.release.release, "\(row.id)")
            #expect(by >= release, "\(row.id)")
        }
    }

    @Test func upgradesAFreshDatabaseInOneRun() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("data/new.db").path
        let ferry = Ferry(ExampleApplication.configuration(database: path))

        let plan = try await ferry.plan()
        #expect(plan.isFreshInstall)
        #expect(plan.pending.count == 14)
        #expect(!FileManager.default.fileExists(atPath: path), "plan must not create the database")

        let report = try await ferry.upgrade()
        #expect(report.applied.count == 14)
        let again = try await ferry.upgrade()
        #expect(again.wasUpToDate)
        let status = try await ferry.status()
        #expect(status.upToDate)
        #expect(status.pending.isEmpty)
        #expect(status.databaseRelease == "0.5.0")
    }

    @Test func anUpToDateUpgradeChangesNoByte() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("sensorhub.db").path
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path)
        let before = try DatabaseSnapshot(path: path)
        let ferry = Ferry(ExampleApplication.configuration(database: path))

        // Its speed is measured in Benchmarks/, not here.
        for _ in 0..<20 { try await ferry.upgrade() }

        #expect(try DatabaseSnapshot(path: path) == before)
    }
}
