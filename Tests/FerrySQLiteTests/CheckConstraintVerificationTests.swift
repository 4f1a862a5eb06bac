import Ferry
import FerryTestSupport
import Foundation
import Testing

@testable import FerrySQLite

/// The verification before an upgrade's commit leaves out `CHECK`
/// constraints that SQLite enforced on every write since the preflight's
/// check; whatever could have let a row past them is still caught.
@Suite struct CheckConstraintVerificationTests {
    let folder: TemporaryFolder
    let path: String

    init() throws {
        folder = try TemporaryFolder()
        path = folder.url.appendingPathComponent("app.db").path
        try folder.write(
            "migrations/1.0.0/001_readings.sql",
            """
            CREATE TABLE readings (id INTEGER PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0));
            INSERT INTO readings (value) VALUES (1), (2);
            """)
    }

    @discardableResult func upgrade() async throws -> UpgradeReport {
        try await Ferry(
            .init(
                appName: "test", engine: SQLiteEngine(path: path),
                migrationsDirectory: folder.url.appendingPathComponent("migrations"))
        ).upgrade(UpgradeOptions(skipBackup: true))
    }

    /// Upgrades to 1.0.0, adds `script` as 1.1.0, and expects the upgrade to
    /// be refused by the verification with the database left at 1.0.0.
    func expectRefused(_ script: String) async throws {
        try await upgrade()
        try folder.write("migrations/1.1.0/001_bypass.sql", script)
        let error = try await #require(throws: FerryError.self) { try await upgrade() }
        #expect(error.message.contains("CHECK constraint failed in readings"), "\(error)")
        #expect(try scalar("SELECT release FROM ferry_state", in: path) == "1.0.0")
        #expect(try scalar("SELECT group_concat(value) FROM readings", in: path) == "1,2")
    }

    @Test func aRowWrittenWithTheChecksTurnedOffIsCaught() async throws {
        try await expectRefused(
            """
            PRAGMA ignore_check_constraints = ON;
            INSERT INTO readings (value) VALUES (-5);
            PRAGMA ignore_check_constraints = OFF;
            """)
    }

    @Test func aConstraintWrittenIntoTheSchemaOverOldRowsIsCaught() async throws {
        try await expectRefused(
            """
            INSERT INTO readings (value) VALUES (3);
            CREATE TABLE readings_new (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);
            PRAGMA Writable_Schema = 1;
            UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (value >= 0)', 'CHECK (value >= 3)')
            WHERE name = 'readings';
            PRAGMA Writable_Schema = 0;
            DROP TABLE readings_new;
            """)
    }

    @Test func rowsWrittenWithTheChecksOnPass() async throws {
        try await upgrade()
        try folder.write(
            "migrations/1.1.0/001_rebuild.sql",
            """
            CREATE TABLE readings_new (id INTEGER PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0),
                                       source TEXT NOT NULL DEFAULT 'sensor' CHECK (source IN ('sensor', 'manual')));
            INSERT INTO readings_new (id, value) SELECT id, value FROM readings;
            DROP TABLE readings;
            ALTER TABLE readings_new RENAME TO readings;
            """)
        #expect(try await upgrade().applied == ["1.1.0/001_rebuild"])
        #expect(
            try scalar("SELECT group_concat(source) FROM readings", in: path) == "sensor,sensor")
    }

    @Test func theWitnessTrustsACleanCheckUntilAPragmaIsNamedOrAnotherConnectionCommits() {
        let witness = CheckConstraintWitness()
        #expect(!witness.constraintsStillHold(atDataVersion: 1), "nothing was checked yet")
        witness.recordCleanCheck(atDataVersion: 1)
        witness.note("INSERT INTO readings (value) VALUES (1)")
        #expect(witness.constraintsStillHold(atDataVersion: 1))
        #expect(!witness.constraintsStillHold(atDataVersion: 2), "another connection committed")
        witness.note("pragma main.\"IGNORE_CHECK_CONSTRAINTS\" = true")
        #expect(!witness.constraintsStillHold(atDataVersion: 1))
        witness.recordCleanCheck(atDataVersion: 3)
        #expect(
            witness.constraintsStillHold(atDataVersion: 3), "a new clean check proves them again")
    }

    @Test func bothPragmasAreFoundInAnySpelling() {
        for sql in [
            "PRAGMA ignore_check_constraints=1", "pragma WRITABLE_SCHEMA = ON",
            "SELECT 1; PRAGMA \"writable_schema\" = 1;", "PRAGMA main.Ignore_Check_Constraints",
        ] {
            #expect(CheckConstraintWitness.mayBypassConstraints(sql), "\(sql)")
        }
        for sql in ["SELECT 'ignore check constraints'", "PRAGMA foreign_keys = OFF", "", "PRAGMA"]
        {
            #expect(!CheckConstraintWitness.mayBypassConstraints(sql), "\(sql)")
        }
    }
}
