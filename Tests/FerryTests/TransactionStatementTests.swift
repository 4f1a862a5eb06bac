import Ferry
import Testing

/// Which statements would begin or end the transaction a migration runs in.
@Suite struct TransactionStatementTests {
    @Test func namesEveryWayToBeginOrEndATransaction() {
        let ending: [(String, String)] = [
            ("COMMIT", "COMMIT"), ("commit transaction", "COMMIT"), ("END", "END"),
            ("end transaction", "END"), ("ROLLBACK", "ROLLBACK"), ("rollback work", "ROLLBACK"),
            ("BEGIN", "BEGIN"), ("begin immediate transaction", "BEGIN"), ("Abort", "ABORT"),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION"),
            ("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION"), ("COMMIT PREPARED 'x'", "COMMIT"),
            ("  -- a comment\n  /* and another */ COMMIT", "COMMIT"), ("\tcommit;", "COMMIT"),
        ]
        for (statement, words) in ending {
            #expect(TransactionStatement.words(of: statement) == words, "\(statement)")
        }
    }

    @Test func leavesSavepointsAndEveryOtherStatementAlone() {
        for statement in [
            "ROLLBACK TO before", "rollback to savepoint before", "ROLLBACK TRANSACTION TO x",
            "SAVEPOINT before", "RELEASE before", "RELEASE SAVEPOINT before",
            "PREPARE plan AS SELECT 1", "START", "SELECT 'COMMIT'", "UPDATE t SET commit = 1",
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END", "DO $$ BEGIN NULL; END $$",
            "-- COMMIT\nSELECT 1", "/* COMMIT */ SELECT 1", "/* not closed COMMIT", "", "  ;",
            "begin_date", "endless", "committed",
        ] {
            #expect(TransactionStatement.words(of: statement) == nil, "\(statement)")
        }
    }
}
