import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Swift migrations bind values (`execute(literal:)`, `fetchAll(literal:)`)
/// on every engine: a value with quotes, a SQL comment, a blob and NULL are
/// stored and read back as they were, and never become SQL.
struct BoundValueScenarios {
    let engine: TestEngine

    /// A text that would end a string literal and run SQL of its own if it were pasted in.
    static let hostile = "O'Brien'); DROP TABLE notes; -- \"quoted\" ? $1 \\ ünïcode"
    /// Every byte but NUL.
    static let bytes = [UInt8](1...255) + [0x27, 0x3b, 0x5c]

    private func configuration(_ database: TestDatabase) -> Ferry.Configuration {
        var configuration = Ferry.Configuration(
            appName: "test", engine: database.engine,
            migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
        configuration.backupsDirectory = database.backupsFolder
        configuration.lockTimeout = .seconds(5)
        return configuration
    }

    private var blobType: String { engine == .postgres ? "bytea" : "BLOB" }

    func valuesAreBoundAndReadBackAsTheyWere() async throws {
        try await withTestDatabase(engine) { database in
            try database.folder.write(
                "migrations/1.0.0/001_notes.sql",
                "CREATE TABLE notes (id integer PRIMARY KEY, body text, data \(blobType), weight double precision);"
            )
            var configuration = configuration(database)
            let read = Locked<[SQLRow]>([])
            try configuration.migrations.register(release: "1.0.0", name: "002_fill") { db in
                let nothing: String? = nil
                try await db.execute(
                    literal:
                        "INSERT INTO notes (id, body, data, weight) VALUES (\(1), \(Self.hostile), \(Self.bytes), \(0.25))"
                )
                try await db.execute(
                    literal:
                        "INSERT INTO notes (id, body, data, weight) VALUES (\(2), \(nothing), \(SQLValue.null), \(nothing))"
                )
                // A trailing semicolon and comment still make one statement.
                try await db.execute(
                    literal: "INSERT INTO notes (id, body) VALUES (\(3), \("")); -- the last")
                read.value = try await db.fetchAll(
                    literal:
                        "SELECT id, body, data, weight FROM \(sql: "notes") WHERE body = \(Self.hostile) OR id >= \(2) ORDER BY id"
                )
            }
            try await Ferry(configuration).upgrade(database.upgradeOptions())

            let rows = read.value
            #expect(rows.count == 3, "\(rows)")
            #expect(rows.first?["body"] == .text(Self.hostile))
            #expect(rows.first?["data"] == .blob(Self.bytes))
            #expect(rows.first?["weight"] == .real(0.25))
            #expect(
                rows.dropFirst().first?.values.dropFirst() == [.null, .null, .null],
                "NULL stays NULL")
            #expect(rows.last?["body"] == .text(""), "an empty text is not NULL")
            #expect(
                try await database.scalar("SELECT count(*) FROM notes") == "3",
                "no statement ran from a value")
            #expect(
                try await database.scalar("SELECT count(*) FROM notes WHERE body IS NULL") == "1")
        }
    }

    func aFailedBoundStatementRollsBackAndNeverShowsTheValues() async throws {
        try await withTestDatabase(engine) { database in
            try database.folder.write(
                "migrations/1.0.0/001_notes.sql",
                "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);")
            let first = configuration(database)
            try await Ferry(first).upgrade(database.upgradeOptions())
            try await database.load("INSERT INTO notes (id, body) VALUES (1, 'kept');")
            let before = try await database.snapshot()

            try database.folder.write(
                "migrations/1.1.0/001_more.sql", "INSERT INTO notes (id, body) VALUES (2, 'new');")
            var configuration = configuration(database)
            let secret = "s3cret-token-'quoted'"
            try configuration.migrations.register(release: "1.1.0", name: "002_clash") { db in
                try await db.execute(literal: "UPDATE notes SET body = \(secret) WHERE id = \(1)")
                // The key is taken: the engine refuses the row, and everything rolls back.
                try await db.execute(
                    literal: "INSERT INTO notes (id, body) VALUES (\(1), \(secret))")
            }
            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(database.upgradeOptions())
            }
            #expect(error.code == .migrationFailed, "\(error)")
            #expect(
                error.location?.statement?.contains("INSERT INTO notes (id, body) VALUES") == true,
                "\(error)")
            #expect(!"\(error)".contains("s3cret"), "a bound value is never printed: \(error)")
            #expect(
                try await database.snapshot() == before,
                "the update and the 1.1.0 script rolled back")
            #expect(try await database.scalar("SELECT body FROM notes WHERE id = 1") == "kept")
        }
    }

    func moreThanOneStatementIsRefusedBeforeAnythingRuns() async throws {
        try await withTestDatabase(engine) { database in
            try database.folder.write(
                "migrations/1.0.0/001_notes.sql", "CREATE TABLE notes (id integer, body text);")
            try await Ferry(configuration(database)).upgrade(database.upgradeOptions())
            let before = try await database.snapshot()
            var configuration = configuration(database)
            try configuration.migrations.register(release: "1.1.0", name: "001_two") { db in
                try await db.execute(
                    literal:
                        "INSERT INTO notes VALUES (\(1), \("a")); INSERT INTO notes VALUES (2, 'b')"
                )
            }
            let error = try await #require(throws: FerryError.self) {
                try await Ferry(configuration).upgrade(database.upgradeOptions())
            }
            #expect(error.code == .migrationFailed, "\(error)")
            #expect(try await database.snapshot() == before)

            var nul = self.configuration(database)
            try nul.migrations.register(release: "1.1.0", name: "001_nul") { db in
                try await db.execute(
                    literal: "INSERT INTO notes VALUES (\(1), \("a"))\(sql: "\0; DROP TABLE notes")"
                )
            }
            let refused = try await #require(throws: FerryError.self) {
                try await Ferry(nul).upgrade(database.upgradeOptions())
            }
            #expect(refused.code == .invalidMigrations, "\(refused)")
            #expect(refused.message.contains("NUL byte"), "\(refused)")
            #expect(try await database.snapshot() == before, "nothing before the NUL ran either")
        }
    }
}

@Suite("Bound values on SQLite") struct SQLiteBoundValueTests {
    let scenarios = BoundValueScenarios(engine: .sqlite)

    @Test func valuesAreBoundAndReadBackAsTheyWere() async throws {
        try await scenarios.valuesAreBoundAndReadBackAsTheyWere()
    }

    @Test func aFailedBoundStatementRollsBackAndNeverShowsTheValues() async throws {
        try await scenarios.aFailedBoundStatementRollsBackAndNeverShowsTheValues()
    }

    @Test func moreThanOneStatementIsRefusedBeforeAnythingRuns() async throws {
        try await scenarios.moreThanOneStatementIsRefusedBeforeAnythingRuns()
    }
}

@Suite(
    "Bound values on PostgreSQL",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresBoundValueTests {
    let scenarios = BoundValueScenarios(engine: .postgres)

    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    @Test func valuesAreBoundAndReadBackAsTheyWere() async throws {
        try await scenarios.valuesAreBoundAndReadBackAsTheyWere()
    }

    @Test func aFailedBoundStatementRollsBackAndNeverShowsTheValues() async throws {
        try await scenarios.aFailedBoundStatementRollsBackAndNeverShowsTheValues()
    }

    @Test func moreThanOneStatementIsRefusedBeforeAnythingRuns() async throws {
        try await scenarios.moreThanOneStatementIsRefusedBeforeAnythingRuns()
    }

    @Test func textFillsAColumnOfAnyTypeAsALiteralWould() async throws {
        try await withTestDatabase(.postgres) { database in
            try database.folder.write(
                "migrations/1.0.0/001_events.sql",
                "CREATE TABLE events (id uuid PRIMARY KEY, at timestamptz, done boolean, payload jsonb, n bigint);"
            )
            var configuration = Ferry.Configuration(
                appName: "test", engine: database.engine,
                migrationsDirectory: database.folder.url.appendingPathComponent("migrations"))
            configuration.backupsDirectory = database.backupsFolder
            try configuration.migrations.register(release: "1.0.0", name: "002_fill") { db in
                try await db.execute(
                    literal: """
                        INSERT INTO events VALUES (\("5f0c8a8e-7d3b-4f7e-9a43-0c8d5b1e2f11"), \("2024-03-01T12:00:00Z"),
                            \("true"), \("{\"a\": \"it's\"}"), \(Int64.max))
                        """)
            }
            try await Ferry(configuration).upgrade(database.upgradeOptions())
            #expect(try await database.scalar("SELECT payload->>'a' FROM events") == "it's")
            #expect(try await database.scalar("SELECT done::text FROM events") == "true")
            #expect(try await database.scalar("SELECT n::text FROM events") == String(Int64.max))
            #expect(
                try await database.scalar("SELECT extract(epoch FROM at)::bigint::text FROM events")
                    == "1709294400")
        }
    }
}
