import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Verification, the last stage before the commit, and the rehearsal that
/// runs it on a copy, on every engine: failures made to happen, then the
/// database re-read to prove the upgrade was rolled back.
extension BehaviourTests {
    @Test(arguments: TestEngine.underTest)
    func aVerifyScriptThatReturnsAFalseRowRollsBackNamingTheRow(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            try scenario.write(
                "0.5.0/003_sync_room_from_location.verify.sql",
                """
                SELECT count(*) = 12 AS ok, 'twelve devices' AS what FROM devices
                UNION ALL
                SELECT false, 'a check that cannot hold, with ' || count(*) || ' rooms' FROM rooms;
                """)
            let before = try await scenario.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }

            #expect(error.code == .verificationFailed)
            #expect(error.category == .failed)
            #expect(
                error.message.contains(
                    "0.5.0/003_sync_room_from_location.verify.sql: row 2 is false: "
                        + "ok = 0, what = a check that cannot hold, with 8 rooms"), "\(error)")
            #expect(error.changes?.contains("Nothing was changed") == true)
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test(
        arguments: TestEngine.underTest,
        [
            "SELECT NULL AS ok;", "SELECT 'no' AS ok;", "SELECT ' False ' AS ok;",
            "SELECT '0.0' AS ok;", "SELECT ok FROM no_such_table;",
        ])
    func aVerifyScriptThatIsNullFalseOrRaisesFails(engine: TestEngine, script: String) async throws
    {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            try scenario.write("0.5.0/001_create_rooms.verify.sql", script)
            let before = try await scenario.snapshot()
            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }
            #expect(error.code == .verificationFailed)
            #expect(error.message.contains("0.5.0/001_create_rooms.verify.sql: "))
            #expect(try await scenario.snapshot() == before)
        }
    }

    /// A migration added to a release the database is already at is refused,
    /// saying how to give it a newer release in any layout.
    @Test(arguments: TestEngine.underTest)
    func aMigrationAddedToAnAppliedReleaseIsRefused(engine: TestEngine) async throws {
        try await withExample(at: "0.5.0", on: engine) { scenario in
            try scenario.write("0.5.0/099_late.sql", "CREATE TABLE late (id INTEGER PRIMARY KEY);")
            let before = try await scenario.snapshot()
            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.upgrade()
            }
            #expect(error.code == .migrationOutOfOrder, "\(error)")
            #expect(error.message.contains("0.5.0/099_late"), "\(error)")
            #expect(
                error.advice?.contains("[[release]] version = \"0.5.0\"") == true, "\(error)")
            #expect(try await scenario.snapshot() == before)
        }
    }

    /// A row whose first value is a text that does not say false (the name
    /// a script looked up, as Sqitch's verify scripts often return) passes.
    @Test(
        arguments: TestEngine.underTest,
        ["SELECT 'rooms' AS found;", "SELECT 'yes, 8 rooms' AS ok;", "SELECT '2' AS ok;"])
    func aVerifyScriptThatReturnsAFoundNamePasses(engine: TestEngine, script: String) async throws {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            try scenario.write("0.5.0/001_create_rooms.verify.sql", script)
            try await scenario.ferry.upgrade()
            #expect(try await scenario.database.scalar("SELECT count(*) FROM rooms") != nil)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aFailedInvariantRollsBack(engine: TestEngine) async throws {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            var configuration = scenario.configuration
            configuration.invariants = [
                Invariant(
                    name: "every device is in a room",
                    check: .query(
                        sql: "SELECT count(*) FROM devices WHERE room_id IS NULL", expected: "0"),
                    releases: try ReleaseRange(parsing: ">=0.5.0")),
                Invariant(
                    name: "only for 0.4", check: .query(sql: "SELECT 0", expected: nil),
                    releases: try ReleaseRange(parsing: "0.4.x")),
            ]
            let before = try await scenario.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(error.code == .verificationFailed)
            #expect(
                error.message.contains("every device is in a room: expected 0, found 2"), "\(error)"
            )
            #expect(!error.message.contains("only for 0.4"))
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test(arguments: TestEngine.underTest)
    func rowCountsArePreservedAcrossARename(engine: TestEngine) async throws {
        let invariants = [
            try Invariant.preserving("readings -> sensor_history"),
            try Invariant.preserving("devices"),
        ]
        try await withExample(at: "0.2.0", on: engine) { scenario in
            var configuration = scenario.configuration
            configuration.invariants = invariants
            let reports = EventLog()
            try await Ferry(configuration).upgrade(onEvent: reports.append)
            let preserved = reports.verificationChecks.filter { $0.name.hasPrefix("rows of") }
            #expect(preserved.map(\.status) == [.passed, .passed], "\(preserved)")
        }

        // The same rename, losing rows on the way.
        try await withExample(at: "0.2.0", on: engine) { lossy in
            let file = "0.3.0/002_add_history_quality_and_source.sql"
            let script = try String(
                contentsOf: lossy.migrations.appendingPathComponent(file), encoding: .utf8)
            try lossy.write(file, script + "\nDELETE FROM sensor_history WHERE value IS NULL;\n")
            var configuration = lossy.configuration
            configuration.invariants = invariants
            let before = try await lossy.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade()
            }

            #expect(
                error.message.contains(
                    "rows of readings preserved in sensor_history: readings had 2000 rows before the upgrade, "
                        + "sensor_history has 1980 after"), "\(error)")
            #expect(try await lossy.snapshot() == before)
        }
    }

    /// A table whose name holds a double quote, made by the application:
    /// the rows that a `preserve` invariant compares are counted in every
    /// table, so a name quoted without doubling that quote (as GRDB's
    /// `quotedDatabaseIdentifier` does) would stop the upgrade.
    @Test(arguments: TestEngine.underTest)
    func aTableWithAQuoteInItsNameIsCounted(engine: TestEngine) async throws {
        try await withExample(at: "0.4.0", on: engine) { scenario in
            try await scenario.database.load(
                #"""
                CREATE TABLE "notes ""v2""" (body TEXT);
                INSERT INTO "notes ""v2""" (body) VALUES ('first'), ('second'), ('third');
                """#)
            var configuration = scenario.configuration
            configuration.invariants = [try Invariant.preserving("devices")]
            let reports = EventLog()

            try await Ferry(configuration).upgrade(onEvent: reports.append)

            let preserved = reports.verificationChecks.filter { $0.name.hasPrefix("rows of") }
            #expect(preserved.map(\.status) == [.passed], "\(preserved)")
            #expect(
                try await scenario.database.scalar(#"SELECT count(*) FROM "notes ""v2""""#) == "3")
            #expect(
                try await scenario.database.scalar("SELECT release FROM ferry_state") == "0.5.0")
        }
    }

    @Test(arguments: TestEngine.underTest)
    func aFailedRehearsalChangesNothing(engine: TestEngine) async throws {
        try await withExample(at: "0.3.0", on: engine) { scenario in
            try scenario.write(
                "0.5.0/002_add_device_room.verify.sql", "SELECT 0 AS ok, 'never' AS why;")
            let before = try await scenario.snapshot()

            let error = try await #require(throws: FerryError.self) {
                try await scenario.ferry.rehearse()
            }

            #expect(error.code == .verificationFailed)
            #expect(
                error.message.hasPrefix("The rehearsal failed on the copy: Verification failed"),
                "\(error)")
            #expect(
                error.changes
                    == "Nothing was changed: the rehearsal ran on a copy, which is deleted.")
            #expect(try await scenario.snapshot() == before)
        }
    }
}
