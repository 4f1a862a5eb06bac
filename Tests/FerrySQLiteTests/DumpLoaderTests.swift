import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerrySQLite

/// The load of an SQL backup, whose text is read and split on a thread of
/// its own while the rows go in: a dump of many of the reader's pieces
/// restores every value exactly, and a load that stops part-way (a statement
/// SQLite refuses while the reader is ahead, a cut file) fails with its
/// reason instead of waiting for ever.
@Suite struct DumpLoaderTests {
    /// About 2.7 MB of dump: statements that straddle the reader's 256 KiB
    /// pieces, with NULLs, integers, reals (infinity too), texts with quotes,
    /// line ends and non-ASCII letters, and blobs.
    static let fill = """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
        INSERT INTO sensor_history (sensor_id, taken_at, value, quality, source)
        SELECT (SELECT min(id) FROM sensors), printf('2025-01-01T%08dZ', i),
            CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN i / 7.0 WHEN 2 THEN -i
                WHEN 3 THEN 1e308 * i ELSE 0.1 * i END,
            'ok',
            CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'it''s ' || i
                WHEN 2 THEN char(10, 13, 233, 8364) || i ELSE x'00ff27' END
        FROM n;
        """

    @Test func aDumpOfManyPiecesRestoresEveryValueExactly() async throws {
        try await withExample(at: "0.5.0") { scenario in
            try scenario.execute(Self.fill)
            let original = try TableContents(path: scenario.path)
            // The full check loads the dump into a new file and compares its rows' counts.
            let dump = try await scenario.ferry.backup(format: .sql)
            #expect(dump.manifest.size > 2 << 20, "the dump is many of the reader's pieces")
            #expect(dump.manifest.rowCounts?["sensor_history"] == 42000)
            let elsewhere = scenario.folder.url.appendingPathComponent("new.db").path
            var configuration = ExampleApplication.configuration(
                database: elsewhere, migrations: scenario.migrations)
            configuration.backupsDirectory = scenario.backupsFolder

            try await Ferry(configuration).restore(dump)

            #expect(try TableContents(path: elsewhere) == original)
        }
    }

    @Test func aLoadThatStopsPartWayFailsWithItsReason() async throws {
        try await withExample(at: "0.5.0") { scenario in
            var scenario = scenario
            scenario.check = .quick
            try scenario.execute(Self.fill)
            let dump = try Data(contentsOf: try await scenario.ferry.backup(format: .sql).file)
            let engine = SQLiteEngine(path: scenario.path)

            // Refused in the first piece, while the reader has the next ones ready.
            let refused = scenario.folder.url.appendingPathComponent("refused.sql")
            try (Data("INSERT INTO nowhere VALUES (1);\n".utf8) + dump).write(to: refused)
            let error = try await #require(throws: FerryError.self) {
                try await engine.checkNewBackup(at: refused, format: .sql, level: .full)
            }
            #expect(error.code == .backupCorrupt, "\(error)")
            #expect(error.engineMessage?.contains("nowhere") == true, "\(error)")

            // Cut in the middle of an INSERT, pieces after the first.
            let cut = scenario.folder.url.appendingPathComponent("cut.sql")
            try dump.prefix(dump.count / 2).write(to: cut)
            let truncated = try await #require(throws: FerryError.self) {
                try await engine.checkNewBackup(at: cut, format: .sql, level: .full)
            }
            #expect(truncated.code == .backupCorrupt, "\(truncated)")
            #expect(truncated.message.contains("ends in the middle of a statement"), "\(truncated)")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: scenario.folder.url.path)
                    .allSatisfy { !$0.contains("loading") }, "no loaded copy is left behind")
        }
    }

    /// Loads `dump` (written as `dump.sql` in `folder`) into a new file
    /// there, as the engine does, and returns its connection.
    static func load(_ dump: String, in folder: TemporaryFolder, buildingPlainIndexes: Bool = true)
        throws -> DatabaseQueue
    {
        try folder.write("dump.sql", dump)
        // The load's own transaction is left to the connection when it fails, as the engine's.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let queue = try DatabaseQueue(
            path: folder.url.appendingPathComponent("loaded-\(UUID().uuidString).db").path,
            configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try SQLiteDumpLoader.load(
                folder.url.appendingPathComponent("dump.sql"), into: db,
                reportingTo: ProgressListener(sink: nil), buildingPlainIndexes: buildingPlainIndexes
            )
        }
        return queue
    }

    /// Without building plain indexes (a new backup's check), a plain
    /// definition is compiled, not built, and still refused where it names a
    /// column that is not there; an index that can refuse a row is built.
    @Test func plainIndexesAreCompiledNotBuiltAndStillRefusedWhenWrong() throws {
        let folder = try TemporaryFolder()
        let schema = """
            CREATE TABLE u (id INTEGER PRIMARY KEY, k INTEGER);
            INSERT INTO u (k) VALUES (1), (2), (3);
            CREATE UNIQUE INDEX u_unique ON u (k);

            """
        func load(_ dump: String) throws -> [String] {
            let queue = try Self.load(dump, in: folder, buildingPlainIndexes: false)
            return try queue.read { db in
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
            }
        }
        #expect(try load(schema + "CREATE INDEX u_k ON u (k);\n") == ["u_unique"])
        let error = try #require(throws: FerryError.self) {
            try load(schema + "CREATE INDEX u_k ON u (nosuch);\n")
        }
        #expect(error.engineMessage?.contains("no such column: nosuch") == true, "\(error)")
    }

    /// A dump is loaded before its checksum is known (a restore compares it
    /// beside the load): a statement that would write another file
    /// (`ATTACH`, `VACUUM INTO`, behind a comment too) fails, and so does one
    /// that ends the load's transaction (outside one, SQLite would run
    /// both); no other file is made.
    @Test(arguments: [
        ("/* x */ ATTACH DATABASE 'OUTSIDE' AS o;\nCREATE TABLE o.t (x);\n", "too many attached"),
        ("VACUUM INTO 'OUTSIDE';\n", "VACUUM"),
        (
            "-- x\nROLLBACK;\nATTACH DATABASE 'OUTSIDE' AS o;\nCREATE TABLE o.t (x);\n",
            "ends the load"
        ),
        ("/* x */ COMMIT;\nVACUUM INTO 'OUTSIDE';\n", "ends the load"),
    ])
    func aStatementThatWritesAnotherFileFails(statement: String, reason: String) throws {
        let folder = try TemporaryFolder()
        let outside = folder.url.appendingPathComponent("outside.db")
        let dump =
            "CREATE TABLE u (id INTEGER PRIMARY KEY);\nINSERT INTO u VALUES (1);\n"
            + statement.replacingOccurrences(of: "OUTSIDE", with: outside.path)
        let error = try #require(throws: FerryError.self) { try Self.load(dump, in: folder) }
        #expect(error.code == .backupCorrupt, "\(error)")
        let said = error.message + " " + (error.engineMessage ?? "")
        #expect(said.contains(reason), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: outside.path))
    }

    /// The full check of an SQL backup loads the dump while it is written:
    /// the loader reads what is in the file, waits at its end for more, and
    /// stops at the writer's end; a writer that fails half-way fails the load
    /// with its own error.
    @Test(arguments: [false, true])
    func aDumpIsLoadedFromTheFileWhileItIsWritten(writerFails: Bool) async throws {
        try await withExample(at: "0.5.0") { scenario in
            var scenario = scenario
            scenario.check = .quick
            try scenario.execute(Self.fill)
            let original = try TableContents(path: scenario.path)
            let dump = try Data(contentsOf: try await scenario.ferry.backup(format: .sql).file)
            let file = scenario.folder.url.appendingPathComponent("growing.sql")
            #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
            let growing = GrowingFile()
            let cutAt = writerFails ? dump.count / 2 : dump.count
            let writer = Thread {
                guard let handle = try? FileHandle(forWritingTo: file) else {
                    return growing.finish(CocoaError(.fileWriteUnknown))
                }
                var offset = 0
                while offset < cutAt {
                    let piece = dump[offset..<min(offset + 100_000, cutAt)]
                    try? handle.write(contentsOf: piece)
                    growing.grew(by: piece.count)
                    offset += piece.count
                    usleep(1000)
                }
                try? handle.close()
                growing.finish(writerFails ? CocoaError(.fileWriteOutOfSpace) : nil)
            }
            writer.start()
            let loaded = scenario.folder.url.appendingPathComponent("loaded.db").path
            // As the engine opens it: a failed load leaves its transaction for the close to undo.
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            let queue = try DatabaseQueue(path: loaded, configuration: configuration)
            let listener = ProgressListener.current
            let load = Result {
                try queue.writeWithoutTransaction { db in
                    try SQLiteDumpLoader.load(
                        file, into: db, reportingTo: listener, following: growing)
                }
            }
            try queue.close()
            if writerFails {
                #expect(throws: CocoaError.self) { try load.get() }
            } else {
                #expect(try load.get() == false, "no statement names writable_schema")
                #expect(try TableContents(path: loaded) == original)
            }
        }
    }
}
