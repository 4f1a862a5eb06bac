import Ferry
import FerryPostgres
import FerryTestSupport
import Foundation
import Testing

/// An import into an empty PostgreSQL table builds its primary and unique
/// keys once after the rows, as its secondary indexes and foreign keys: each
/// comes back with its own definition (`INCLUDE` columns too); a key that
/// something depends on (a view grouped by it, another table's foreign key,
/// the table's own) or whose index has storage parameters stays through the
/// load.
@Suite(
    "PostgreSQL import rebuilds the keys",
    .enabled(if: PostgresTestServer.isEnabled, PostgresTestServer.skipReason))
struct PostgresImportKeyTests {
    init() throws {
        _ = try PostgresTestServer.requireURL()
    }

    /// The application's constraints and indexes, as the catalog writes them.
    func keys(of database: TestDatabase) async throws -> String? {
        try await database.scalar(
            """
            SELECT string_agg(d, ' | ' ORDER BY d) FROM (
                SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d
                  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                   AND conrelid::regclass::text NOT LIKE 'ferry%'
                UNION ALL
                SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'ferry%') AS k
            """)
    }

    @Test func theKeysComeBackWithTheirDefinitions() async throws {
        try await withTestDatabase(.postgres) { source in
            let migrations = source.folder.url.appendingPathComponent("migrations")
            try source.folder.write(
                "migrations/0.1.0/001_tables.sql",
                """
                CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
                CREATE TABLE things (
                    id bigint PRIMARY KEY,
                    owner_id bigint NOT NULL REFERENCES owners (id),
                    parent_id bigint REFERENCES things (id),
                    code text NOT NULL,
                    CONSTRAINT things_code UNIQUE (owner_id, code)
                );
                CREATE INDEX things_by_code ON things (code);
                CREATE TABLE tags (id bigint PRIMARY KEY, label text NOT NULL);
                CREATE TABLE notes (
                    id bigint PRIMARY KEY,
                    body text NOT NULL,
                    CONSTRAINT notes_body UNIQUE (body) INCLUDE (id)
                );
                CREATE TABLE settings (
                    k text, v text, CONSTRAINT settings_key PRIMARY KEY (k) WITH (fillfactor = 70));
                CREATE VIEW tag_labels AS SELECT t.id, t.label, count(*) AS n FROM tags AS t GROUP BY t.id;
                """)
            var configuration = Ferry.Configuration(
                appName: "keys", engine: source.engine, migrationsDirectory: migrations)
            configuration.backupsDirectory = source.backupsFolder
            try await Ferry(configuration).upgrade()
            try await source.load(
                """
                INSERT INTO owners SELECT i, 'owner ' || i FROM generate_series(1, 3) AS i;
                INSERT INTO things SELECT i, 1 + i % 3, CASE WHEN i > 1 THEN i - 1 END, 'c' || i
                  FROM generate_series(1, 500) AS i;
                INSERT INTO tags SELECT i, 'tag ' || i FROM generate_series(1, 5) AS i;
                INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 40) AS i;
                INSERT INTO settings VALUES ('a', '1'), ('b', '2');
                """)
            let folder = source.folder.url.appendingPathComponent("export")
            _ = try await Ferry(configuration).export(to: folder)

            try await withTestDatabase(.postgres) { target in
                var into = configuration
                into.engine = target.engine
                into.backupsDirectory = target.backupsFolder
                let imported = try await Ferry(into).import(from: folder)
                #expect(imported.tables.map(\.inserted).reduce(0, +) == 550)
                #expect(try await keys(of: target) == keys(of: source))
                #expect(try await target.scalar("SELECT sum(n) FROM tag_labels") == "5")
                // The keys of notes, which nothing depends on, were made again after its rows.
                let duplicate = await #expect(throws: (any Error).self) {
                    try await target.load("INSERT INTO notes VALUES (7, 'again')")
                }
                #expect(duplicate != nil, "the primary key is enforced again")
                let twin = await #expect(throws: (any Error).self) {
                    try await target.load("INSERT INTO notes VALUES (99, 'note 3')")
                }
                #expect(twin != nil, "the unique key is enforced again")
            }
        }
    }
}
