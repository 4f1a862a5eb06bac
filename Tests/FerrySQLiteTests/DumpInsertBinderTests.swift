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
        // Reals in the exact form (SQLiteRealLiteral), in columns of every affinity.
        "(7,'x',(8137143358698381.0/17592186044416),X'00',(-1.0/4611686018427387904/1048576),(9007199254740991.0*4611686018427387904))",
        "(8,(3.0/2),(-3.0*4),NULL,(5.0*2),(7.0/4))",
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

    /// Statements of every size a dump holds (one row, a statement's worth and one more, a
    /// thousand, and counts that change from one statement to the next, as a dump of wide rows
    /// ends its INSERTs by size) go in as several INSERTs of many rows each: every row in order.
    @Test func statementsOfManyRowsGoInWhole() throws {
        let bound = try DatabaseQueue()
        let parsed = try DatabaseQueue()
        var binder = DumpInsertBinder()
        // 170 rows of 6 columns make one INSERT of many.
        let counts = [1, 2, 169, 170, 171, 340, 341, 999, 1000] + (0..<40).map { 3 + $0 * 7 }
        var next = 1
        var statements: [String] = []
        for count in counts {
            let rows = (0..<count).map { offset -> String in
                let sample = Self.rows[offset % Self.rows.count]
                let id = next + offset
                return "(\(id)" + sample.drop { $0 != "," }
            }
            next += count
            statements.append(
                #"INSERT INTO "t ""x""" ("id","t","r","b","i","n") VALUES"# + "\n"
                    + rows.joined(separator: ",\n") + ";")
        }
        try bound.write { db in
            try db.execute(sql: Self.table)
            for statement in statements {
                let taken = try Array(statement.utf8).withUnsafeBufferPointer {
                    try binder.insert($0, into: db)
                }
                #expect(taken)
            }
        }
        try parsed.write { db in
            try db.execute(sql: Self.table)
            for statement in statements { try db.execute(sql: statement) }
        }
        let expected = try parsed.read(Self.contents)
        #expect(expected.count == counts.reduce(0, +))
        #expect(try bound.read(Self.contents) == expected)
    }

    /// A row SQLite refuses in the middle of a statement of many rows fails the statement.
    @Test func aRefusedRowAmongManyFailsTheStatement() throws {
        let queue = try DatabaseQueue()
        var binder = DumpInsertBinder()
        let rows = (1...500).map { "(\($0 == 400 ? 7 : $0),'x',1.0,NULL,1,1)" }
        let statement =
            #"INSERT INTO "t ""x""" ("id","t","r","b","i","n") VALUES"# + "\n"
            + rows.joined(separator: ",\n") + ";"
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(sql: Self.table)
                _ = try Array(statement.utf8).withUnsafeBufferPointer {
                    try binder.insert($0, into: db)
                }
            }
        }
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
