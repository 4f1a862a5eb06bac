import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerrySQLite

/// What the checks before a commit leave out because SQLite or an earlier
/// check already did it (``TransactionWitness``), and what they still find:
/// an index from before the transaction that no longer matches its table,
/// a foreign key broken after the verification's clean check.
@Suite struct TransactionWitnessTests {
    /// A file of 20,000 rows (past the size from which the full check is
    /// split into passes) with one index, `t_a`; and a session on it whose
    /// statements are recorded.
    func session(damagingTheIndex: Bool = false) throws -> (
        TemporaryFolder, SQLiteSession, Locked<[String]>
    ) {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        var setup = """
            CREATE TABLE parents (id INTEGER PRIMARY KEY);
            INSERT INTO parents (id) VALUES (1);
            CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT,
                parent INTEGER REFERENCES parents (id));
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                INSERT INTO t (a, b, parent) SELECT i % 97, printf('%.200c', char(65 + i % 26)), 1 FROM n;
            CREATE INDEX t_a ON t (a);
            """
        if damagingTheIndex {
            // From outside: the index's definition names another column than its entries hold.
            setup +=
                "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX t_a ON t (parent)' WHERE name = 't_a';"
        }
        let made = try sqlite3Shell(path, sql: setup)
        #expect(made.status == 0, "\(made.stderr)")
        let statements = Locked<[String]>([])
        var configuration = GRDB.Configuration()
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            db.trace { event in
                if case .statement(let statement) = event {
                    statements.withLock { $0.append(statement.sql) }
                }
            }
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return (
            folder, SQLiteSession(queue: queue, displayName: path, createdDatabase: false),
            statements
        )
    }

    @Test func anIndexBuiltInTheTransactionIsNotComparedWithItsTableAgain() async throws {
        let (folder, session, statements) = try session()
        defer { withExtendedLifetime(folder) {} }
        try await session.inTransaction(for: .upgrade) {
            try await session.execute("CREATE INDEX t_b ON t (b)")
            try await session.execute("REINDEX t_a")
            statements.value = []
            #expect(try await session.integrityProblems(thorough: true) == [])
        }
        let read = statements.value
        #expect(read.contains { $0.contains("PRAGMA quick_check") }, "\(read)")
        #expect(read.contains { $0.contains("INDEXED BY \"t_a\"") }, "from before: \(read)")
        #expect(!read.contains { $0.contains("INDEXED BY \"t_b\"") }, "built now: \(read)")

        // Outside a transaction, and in the next one, every index is compared again.
        statements.value = []
        #expect(try await session.integrityProblems(thorough: true) == [])
        #expect(statements.value.contains { $0.contains("INDEXED BY \"t_b\"") })
    }

    @Test func anIndexFromBeforeThatNoLongerMatchesItsTableIsStillFound() async throws {
        let (folder, session, _) = try session(damagingTheIndex: true)
        defer { withExtendedLifetime(folder) {} }
        // The check's answer, then the transaction rolled back: the file stays as damaged as it was.
        let found = Locked<[String]>([])
        await #expect(throws: CancellationError.self) {
            try await session.inTransaction(for: .upgrade) {
                try await session.execute("CREATE INDEX t_b ON t (b)")
                found.value = try await session.integrityProblems(thorough: true)
                throw CancellationError()
            }
        }
        #expect(found.value.contains { $0.contains("t_a") }, "\(found.value)")
    }

    @Test func aScriptThatWritesTheSchemaGetsEveryIndexCompared() async throws {
        let (folder, session, statements) = try session()
        defer { withExtendedLifetime(folder) {} }
        try await session.inTransaction(for: .upgrade) {
            try await session.execute(
                "CREATE INDEX t_b ON t (b); PRAGMA writable_schema = ON; PRAGMA writable_schema = OFF;"
            )
            statements.value = []
            #expect(try await session.integrityProblems(thorough: true) == [])
        }
        #expect(statements.value.contains { $0.contains("INDEXED BY \"t_b\"") })
    }

    @Test func theCommitChecksTheForeignKeysOnlyWhenSomethingWasWrittenSinceACleanCheck()
        async throws
    {
        let (folder, session, statements) = try session()
        defer { withExtendedLifetime(folder) {} }
        // Clean, nothing written since: the commit does not check again.
        try await session.inTransaction(for: .upgrade) {
            try await session.execute("INSERT INTO t (a, b, parent) VALUES (1, 'x', 1)")
            #expect(try await session.foreignKeyViolations() == [])
            statements.value = []
        }
        #expect(
            !statements.value.contains { $0.contains("foreign_key_check") }, "\(statements.value)")

        // A row written after the clean check: the commit checks, and refuses.
        let error = try await #require(throws: FerryError.self) {
            try await session.inTransaction(for: .upgrade) {
                #expect(try await session.foreignKeyViolations() == [])
                try await session.execute("INSERT INTO t (a, b, parent) VALUES (1, 'y', 2)")
            }
        }
        #expect(error.code == .constraintViolation, "\(error)")
        #expect(
            try await session.fetchAll("SELECT count(*) FROM t WHERE b = 'y'").first?.values.first
                == .integer(0))

        // A definition changed after it, no row written: the commit checks, and refuses.
        let dropped = try await #require(throws: FerryError.self) {
            try await session.inTransaction(for: .upgrade) {
                #expect(try await session.foreignKeyViolations() == [])
                try await session.execute("DROP TABLE parents")
            }
        }
        #expect(dropped.code == .constraintViolation, "\(dropped)")
        #expect(
            try await session.fetchAll("SELECT count(*) FROM parents").first?.values.first
                == .integer(1))
    }
}
