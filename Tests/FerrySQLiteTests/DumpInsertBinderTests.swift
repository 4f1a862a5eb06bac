import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerrySQLite

/// The rows of Ferry's own dumps, bound to a prepared statement, must become
/// exactly what SQLite makes of the same INSERT written as text.
@Suite struct DumpInsertBinderTests {
    /// Rows of literals as the dump writer writes them, for columns with each affinity.
    static let rows = [
        "(1,'plain',2.5,X'00ff',-9223372036854775808,NULL)",
        "(2,'it''s ''quoted''',-0.0,X'',9223372036854775807,'')",
        "(3,'',1e999,X'DEADbeef',0,-1e999)",
        "(4,CAST(X'610062' AS TEXT),1e-05,NULL,-42,'5')",
        "(5,'ünïcödé ✓\nnew line',1.7976931348623157e+308,X'27',12,5e-324)",
        "(6,'42',-20.0,X'3b',3,4.0)",
    ]

    static let table =
        #"CREATE TABLE "t ""x""" (id INTEGER PRIMARY KEY, t TEXT, r REAL, b BLOB, i INTEGER, n NUMERIC)"#
    static let insert =
        #"INSERT INTO "t ""x""" ("id","t","r","b","i","n") VALUES"# + "\n"
        + rows.joined(separator: ",\n") + ";"

    /// Every value's type and SQL form, row by row.
    static func contents(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: #"""
                SELECT id || ':' || typeof(t) || quote(t) || typeof(r) || quote(r) || typeof(b) || quote(b)
                    || typeof(i) || quote(i) || typeof(n) || quote(n) FROM "t ""x""" ORDER BY id
                """#)
    }

    @Test func boundRowsEqualTheStatementRunAsText() throws {
        let bound = try DatabaseQueue()
        let parsed = try DatabaseQueue()
        var binder = DumpInsertBinder()
        let taken = try bound.write { db in
            try db.execute(sql: Self.table)
            return try Array(Self.insert.utf8).withUnsafeBufferPointer {
                try binder.insert($0, into: db)
            }
        }
        #expect(taken)
        try parsed.write { db in
            try db.execute(sql: Self.table)
            try db.execute(sql: Self.insert)
        }
        let expected = try parsed.read(Self.contents)
        #expect(expected.count == Self.rows.count)
        #expect(try bound.read(Self.contents) == expected)
    }

    @Test(arguments: [
        "INSERT INTO t VALUES(1,'a');",  // the sqlite3 shell's own form
        #"INSERT INTO "t" ("a") VALUES"# + "\n(1+1);",  // an expression
        #"INSERT INTO "t" ("a","b") VALUES"# + "\n(1);",  // too few values
        #"INSERT INTO "t" ("a") VALUES"# + "\n(99999999999999999999);",  // SQLite makes this a real
        #"INSERT INTO "t" ("a") VALUES"# + "\n('unterminated);",
        #"INSERT INTO "t" ("a") VALUES"# + "\n(X'abc');",  // an odd number of digits
        #"INSERT INTO "t" ("a") VALUES"# + "\n(1) ON CONFLICT DO NOTHING;",
    ])
    func anythingElseIsLeftToSQLite(statement: String) throws {
        let queue = try DatabaseQueue()
        var binder = DumpInsertBinder()
        let taken = try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b)")
            return try Array(statement.utf8).withUnsafeBufferPointer {
                try binder.insert($0, into: db)
            }
        }
        #expect(!taken)
        #expect(
            try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 0,
            "nothing was inserted")
    }
}
