import Ferry
import FerryTestSupport
import Foundation
import GRDB

/// A small application whose one release makes a table with a column for
/// every kind of value each engine holds, and a child table with a
/// sequence and a foreign key: what the export and import tests move.
enum ExportFixtures {
    /// Writes the application's migrations (release 0.1.0) for an engine.
    static func migrations(for engine: TestEngine, in folder: URL) throws -> URL {
        let migrations = folder.appendingPathComponent("kinds-migrations")
        let release = migrations.appendingPathComponent("0.1.0")
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        let script: String
        switch engine {
        case .sqlite:
            script = """
                CREATE TABLE kinds (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB,
                                    n NUMERIC, flag BOOLEAN, a);
                CREATE TABLE children (id INTEGER PRIMARY KEY AUTOINCREMENT,
                                       kind_id INTEGER NOT NULL REFERENCES kinds(id), note TEXT);
                CREATE TRIGGER children_note AFTER INSERT ON children
                BEGIN UPDATE children SET note = 'touched ' || NEW.note WHERE id = NEW.id; END;
                """
        case .postgres:
            script = """
                CREATE TABLE kinds (id bigint PRIMARY KEY, i bigint, s smallint, r double precision,
                                    f real, t text, v varchar(40), b bytea, n numeric, flag boolean,
                                    ts timestamptz, tn timestamp, d date, tm time, iv interval,
                                    j jsonb, u uuid, tags text[]);
                CREATE TABLE children (id bigserial PRIMARY KEY,
                                       kind_id bigint NOT NULL REFERENCES kinds(id), note text);
                CREATE FUNCTION touch_note() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.note := 'touched ' || NEW.note; RETURN NEW; END $$;
                CREATE TRIGGER children_note BEFORE INSERT ON children
                    FOR EACH ROW EXECUTE FUNCTION touch_note();
                """
        }
        try script.write(
            to: release.appendingPathComponent("001_kinds.sql"), atomically: true, encoding: .utf8)
        return migrations
    }

    /// The configuration of the application on a test database.
    static func configuration(_ database: TestDatabase, migrations: URL) -> Ferry.Configuration {
        var configuration = Ferry.Configuration(
            appName: "kinds", engine: database.engine, migrationsDirectory: migrations)
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(10)
        return configuration
    }

    /// Texts that must arrive exactly (PostgreSQL's text holds no NUL).
    static let texts = [
        "", " ", "CR\rLF\nCRLF\r\n tab\t", "quote \" apostrophe ' backslash \\ slash /",
        "émoji 🚀 ∑ e\u{301} \u{FEFF} \u{2028} \u{10FFFF}", "\u{1}\u{1F} control", "NULL", "\\N",
    ]

    /// Fills the source database: every kind of value, NULL and "" apart.
    static func fill(_ database: TestDatabase) async throws {
        switch database.kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: database.location)
            defer { try? queue.close() }
            try await queue.write { db in
                let reals: [Double] = [
                    0.1, -0.0, 1.7976931348623157e308, 5e-324, .infinity, -.infinity, 1e21, 100,
                ]
                let integers: [Int64] = [
                    0, 1, -1, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1, .max, .min,
                ]
                let anys: [DatabaseValue] = [
                    .null, 42.databaseValue, Int64.max.databaseValue, 2.5.databaseValue,
                    "text".databaseValue, Data([0, 255]).databaseValue, "".databaseValue,
                    Data().databaseValue,
                ]
                let all = texts + ["NUL \0 inside", "\0"]
                for index in 0..<all.count {
                    try db.execute(
                        sql: "INSERT INTO kinds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [
                            index + 1, integers[index % integers.count],
                            reals[index % reals.count], all[index],
                            Data((0..<(index * 37 % 256)).map { UInt8($0) }),
                            index % 2 == 0 ? "12.50" : nil, index % 3 == 0,
                            anys[index % anys.count],
                        ])
                }
                try db.execute(sql: "INSERT INTO kinds (id) VALUES (100)")
                try db.execute(
                    sql: "INSERT INTO kinds (id, t, b) VALUES (101, '', x'')")
                for child in 1...3 {
                    try db.execute(
                        sql: "INSERT INTO children (kind_id, note) VALUES (?, ?)",
                        arguments: [child, "child \(child)"])
                }
            }
        case .postgres:
            var rows: [String] = []
            for (index, text) in texts.enumerated() {
                let literal =
                    "U&'"
                    + text.unicodeScalars.map { String(format: "\\+%06X", $0.value) }
                    .joined() + "'"
                rows.append(
                    """
                    (\(index + 1), \(["0", "9007199254740993", "-9223372036854775808", "9223372036854775807"][index % 4]),
                     \(index - 3), \(["0.1", "'-0'", "'NaN'", "'Infinity'", "'-Infinity'", "5e-324", "1.7976931348623157e308", "1e21"][index]),
                     \(["0.1", "'NaN'", "3.4028235e38", "'-Infinity'"][index % 4]), \(literal), \(literal),
                     '\\x\(String(repeating: "00ff", count: index))'::bytea,
                     \(["12345678901234567890.123456789", "'NaN'", "-0.000001", "1e-20"][index % 4]),
                     \(index % 2 == 0), '2026-12-02 05:06:07.123456+\(String(format: "%02d", index))',
                     '1999-12-31 23:59:59.999999', '2024-02-29', '23:59:59.5',
                     '1 year 2 mons 3 days 04:05:06.789', '{"k": "\(index) ü", "n": [1, 2.5, null]}',
                     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1\(index)', '{a,"b c",NULL}')
                    """)
            }
            try await database.load(
                """
                INSERT INTO kinds VALUES \(rows.joined(separator: ",\n"));
                INSERT INTO kinds (id) VALUES (100);
                INSERT INTO kinds (id, t, b, ts) VALUES (101, '', ''::bytea, 'infinity');
                INSERT INTO children (kind_id, note) VALUES (1, 'child 1'), (2, 'child 2'), (3, 'child 3');
                """)
        }
    }

    /// Every row of a table, each value with its kind, exactly: for SQLite
    /// the storage class and the value (a real by its bits); for PostgreSQL
    /// the row's text as the server prints it.
    static func rows(of table: String, in database: TestDatabase) async throws -> [String] {
        switch database.kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: database.location)
            defer { try? queue.close() }
            return try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id").map { row in
                    row.databaseValues.map { value -> String in
                        switch value.storage {
                        case .null: return "null"
                        case .int64(let integer): return "int \(integer)"
                        case .double(let real): return "real \(real.bitPattern)"
                        case .string(let text): return "text \(Array(text.utf8))"
                        case .blob(let data): return "blob \(Array(data))"
                        }
                    }.joined(separator: " | ")
                }
            }
        case .postgres:
            let output = try await database.psql([
                "-A", "-t", "-c", "SELECT t::text FROM \(table) t ORDER BY id",
            ])
            return output.split(separator: "\n").map(String.init)
        }
    }
}
