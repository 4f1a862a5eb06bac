import FerryTestSupport
import Foundation

/// Other tools' history tables, written as each tool writes them: the DDL
/// and the rows copied from each tool's own source or documentation (named
/// at each), for the engine the tool runs on.
enum HistoryTable {
    /// A migration the tool applied.
    struct Applied {
        /// The version the tool records.
        var version: String
        /// Its name in the folder.
        var name: String
        /// Its file, relative to the migrations folder.
        var file: String
        /// Whether the tool recorded it as failed (Flyway, SQLx) or left it dirty (golang-migrate).
        var failed = false
    }

    /// Flyway's CRC32 of the fixture's scripts (`java.util.zip.CRC32` over
    /// the lines without their ends, as Flyway's `ChecksumCalculator` feeds
    /// them), computed apart from Ferry with Python's `zlib.crc32`.
    static let flywayChecksums: [String: Int32] = [
        LayoutFixture.devices: 76_865_564, LayoutFixture.rooms: 1_054_557_454,
    ]

    /// The script that creates the tool's table and records `applied`.
    static func script(_ tool: String, engine: TestEngine, applied: [Applied], folder: URL)
        throws -> String
    {
        let sqlite = engine == .sqlite
        let bool = { (value: Bool) in sqlite ? (value ? "1" : "0") : (value ? "true" : "false") }
        switch tool {
        case "flyway":
            // Flyway 10's createMetaDataTable.sql for SQLite and for PostgreSQL.
            var script =
                sqlite
                ? """
                CREATE TABLE "flyway_schema_history" (
                    "installed_rank" INT NOT NULL PRIMARY KEY,
                    "version" VARCHAR(50),
                    "description" VARCHAR(200) NOT NULL,
                    "type" VARCHAR(20) NOT NULL,
                    "script" VARCHAR(1000) NOT NULL,
                    "checksum" INT,
                    "installed_by" VARCHAR(100) NOT NULL,
                    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
                    "execution_time" INT NOT NULL,
                    "success" BOOLEAN NOT NULL
                );
                CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");

                """
                : """
                CREATE TABLE "flyway_schema_history" (
                    "installed_rank" INT NOT NULL,
                    "version" VARCHAR(50),
                    "description" VARCHAR(200) NOT NULL,
                    "type" VARCHAR(20) NOT NULL,
                    "script" VARCHAR(1000) NOT NULL,
                    "checksum" INTEGER,
                    "installed_by" VARCHAR(100) NOT NULL,
                    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
                    "execution_time" INTEGER NOT NULL,
                    "success" BOOLEAN NOT NULL
                );
                ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
                CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");

                """
            for (rank, migration) in applied.enumerated() {
                let text = try String(
                    contentsOf: folder.appendingPathComponent(migration.file), encoding: .utf8)
                let checksum = flywayChecksums[text].map(String.init) ?? "NULL"
                let description = migration.name.components(separatedBy: "__").last ?? ""
                script += """
                    INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success)
                    VALUES (\(rank + 1), '\(migration.version)', '\(description)', 'SQL', '\(migration.file)', \(checksum), 'ann', '2024-03-0\(rank + 1) 10:00:00', 12, \(bool(!migration.failed)));

                    """
            }
            return script
        case "golang-migrate":
            // database/sqlite3 and database/postgres of golang-migrate v4: one row, the current version.
            var script =
                sqlite
                ? "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);\n"
                    + "CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);\n"
                : "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);\n"
            if let last = applied.last {
                script +=
                    "INSERT INTO schema_migrations (version, dirty) VALUES (\(last.version), \(bool(last.failed)));\n"
            }
            return script
        case "dbmate":
            // dbmate's sqlite and postgres drivers: one row per applied migration.
            return
                "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) primary key);\n"
                + applied.map {
                    "INSERT INTO schema_migrations (version) VALUES ('\($0.version)');\n"
                }
                .joined()
        case "diesel":
            // diesel_migrations' CREATE_MIGRATIONS_TABLE.
            return """
                CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
                       version VARCHAR(50) PRIMARY KEY NOT NULL,
                       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
                );

                """
                    + applied.map {
                        "INSERT INTO __diesel_schema_migrations (version) VALUES ('\($0.version)');\n"
                    }.joined()
        case "sqlx":
            // sqlx-sqlite's and sqlx-postgres' ensure_migrations_table; the checksum is the
            // SHA-384 of the file's bytes, computed here with openssl.
            var script = """
                CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                    version BIGINT PRIMARY KEY,
                    description TEXT NOT NULL,
                    installed_on \(sqlite ? "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP" : "TIMESTAMPTZ NOT NULL DEFAULT now()"),
                    success BOOLEAN NOT NULL,
                    checksum \(sqlite ? "BLOB" : "BYTEA") NOT NULL,
                    execution_time BIGINT NOT NULL
                );

                """
            for migration in applied {
                let hex = try sha384(of: folder.appendingPathComponent(migration.file))
                let checksum = sqlite ? "X'\(hex)'" : "decode('\(hex)', 'hex')"
                let description = migration.name.drop { $0 != "_" }.dropFirst()
                    .replacingOccurrences(of: "_", with: " ")
                script += """
                    INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                    VALUES (\(migration.version), '\(description)', \(bool(!migration.failed)), \(checksum), 1234567);

                    """
            }
            return script
        case "goose":
            // goose v3's sqlite3 and postgres dialects; goose writes a row of version 0 first.
            var script =
                sqlite
                ? """
                CREATE TABLE goose_db_version (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    version_id INTEGER NOT NULL,
                    is_applied INTEGER NOT NULL,
                    tstamp TIMESTAMP DEFAULT (datetime('now'))
                );

                """
                : """
                CREATE TABLE goose_db_version (
                    id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
                    version_id bigint NOT NULL,
                    is_applied boolean NOT NULL,
                    tstamp timestamp NOT NULL DEFAULT now()
                );

                """
            script +=
                "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, \(bool(true)));\n"
            for migration in applied {
                script +=
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (\(migration.version), \(bool(true)));\n"
            }
            // A migration applied and rolled back: goose's newest row of a version says it is not applied.
            script +=
                "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, \(bool(true)));\n"
                + "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, \(bool(false)));\n"
            return script
        case "grdb":
            // GRDB's DatabaseMigrator: grdb_migrations, one identifier per applied migration.
            return "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);\n"
                + applied.map {
                    "INSERT INTO grdb_migrations (identifier) VALUES ('\($0.name)');\n"
                }
                .joined()
        default:
            fatalError("no table for \(tool)")
        }
    }

    /// The SHA-384 of a file, by openssl.
    static func sha384(of file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha384", "-r", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init)
            ?? ""
    }
}
