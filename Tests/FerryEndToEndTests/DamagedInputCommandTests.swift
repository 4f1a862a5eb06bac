import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Inputs that are not what they should be: a damaged live database, a
/// FIFO given as the database, a backup, its manifest, an export part and an
/// export manifest damaged at every byte position class (``FileDamage``),
/// migration folders holding what is not a migration. Each is refused with
/// a message that points at the real cause, and the data is re-read to
/// prove nothing changed. The probes over every damage print a
/// `damage-probe:` line that `scripts/reliability.sh` reads into RELIABILITY.md.
@Suite struct DamagedInputCommandTests {
    @Test func backingUpADamagedDatabaseSaysTheLiveDatabaseIsDamaged() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path)
        // Flip bytes in the middle of sensor_history's root page, from outside.
        let rootText = try scalar(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sensor_history'", in: path)
        let pageText = try scalar("PRAGMA page_size", in: path)
        let rootPage = try #require(rootText.flatMap { Int($0) })
        let pageSize = try #require(pageText.flatMap { Int($0) })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((rootPage - 1) * pageSize + 12))
        try handle.write(contentsOf: Data(repeating: 0xEE, count: 64))
        try handle.close()
        #expect((try? integrityCheck(path)) != "ok", "the database is damaged")
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))

        let output = try await FerryProcess.run(["backup", "--database", path])

        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("The live database \(path) is damaged"), "\(output)")
        #expect(!output.stderr.contains("Use another backup"), "\(output)")
        #expect(output.stderr.contains("Nothing was changed"), "\(output)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: path)) == damaged,
            "the live database was only read")
        let catalog = folder.url.appendingPathComponent("backups").path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: catalog)) ?? []
        #expect(files.filter { !$0.hasPrefix(".") }.isEmpty, "no backup was kept: \(files)")
    }

    /// Waits for a run to end, killing it if it is still running after `limit`.
    func finishWithin(_ limit: Duration, _ running: FerryProcess.Running) async throws
        -> (output: FerryProcess.Output, hung: Bool)
    {
        let deadline = ContinuousClock.now + limit
        while running.process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let hung = running.process.isRunning
        if hung { running.kill(SIGKILL) }
        return (await running.finish(), hung)
    }

    @Test func aFIFOAsAMigrationScriptIsRefusedAtOnce() async throws {
        let folder = try TemporaryFolder()
        try folder.write("migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER);")
        let fifo = folder.url.appendingPathComponent("migrations/1.0.0/002_tags.sql").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let path = folder.url.appendingPathComponent("app.db").path

        for command in ["validate", "status", "upgrade"] {
            let running = try FerryProcess.start(
                [command, "--database", path, "--migrations", "migrations"], in: folder.url)
            let (output, hung) = try await finishWithin(.seconds(30), running)
            #expect(!hung, "\(command) hung on the FIFO")
            #expect(output.status != 0, "\(command): \(output)")
            #expect(
                output.stderr.contains("Cannot read 1.0.0/002_tags.sql: it is not a regular file"),
                "\(command): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing was created")
    }

    @Test func aFIFOAsTheDatabaseIsRefusedAtOnce() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        #expect(mkfifo(path, 0o600) == 0)

        for command in ["status", "upgrade", "backup"] {
            let running = try FerryProcess.start(
                [command, "--database", path, "--migrations", ExampleApplication.migrations.path],
                in: folder.url)
            let (output, hung) = try await finishWithin(.seconds(30), running)
            #expect(!hung, "\(command) hung on the FIFO")
            #expect(output.status == 2, "\(command): \(output)")
            #expect(
                output.stderr.contains("\(path) is a FIFO (named pipe), not a database file"),
                "\(command): \(output)")
        }
    }

    /// Every damage of a native backup and of an SQL one (whose load may
    /// fail before its checksum is known: the checksum still says why).
    @Test(arguments: ["backup file", "backup manifest"], ["native", "sql"])
    func aDamagedBackupIsRefusedWhereverTheDamageIs(file kind: String, format: String)
        async throws
    {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path)
        let made = try await FerryProcess.run([
            "backup", "--format", format, "--database", path, "--json",
        ])
        #expect(made.status == 0, "\(made)")
        let backup = URL(
            fileURLWithPath: try #require(try made.jsonLines().last?["path"] as? String))
        // Changed since, so that a restore would change it.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM sensor_history WHERE id % 2 = 0")
        }
        try queue.close()
        let manifest = backup.deletingPathExtension().appendingPathExtension("json")
        let expected =
            kind == "backup file" ? "does not match its manifest" : "its manifest is damaged"

        var failed: [String] = []
        for damage in FileDamage.allCases {
            let copy = try TemporaryFolder()
            let catalog = copy.url.appendingPathComponent("backups")
            try FileManager.default.copyItem(at: backup.deletingLastPathComponent(), to: catalog)
            try damage.apply(
                to: catalog.appendingPathComponent(
                    (kind == "backup file" ? backup : manifest).lastPathComponent))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let files = try FileManager.default.contentsOfDirectory(atPath: catalog.path).sorted()

            let output = try await FerryProcess.run([
                "restore", backup.lastPathComponent, "--yes", "--database", path, "--backups",
                catalog.path,
            ])

            let isRefused =
                output.status == 3 && output.stderr.contains(expected)
                && output.stderr.contains("Nothing was changed.")
            let isUnchanged =
                try Data(contentsOf: URL(fileURLWithPath: path)) == before
                && (try FileManager.default.contentsOfDirectory(atPath: catalog.path).sorted())
                    == files
            #expect(isRefused, "\(kind), \(damage): \(output)")
            #expect(isUnchanged, "\(kind), \(damage): the database or the catalog changed")
            if !isRefused || !isUnchanged { failed.append(damage.rawValue) }
        }
        #expect(try integrityCheck(path) == "ok")
        // Read by scripts/reliability.sh into RELIABILITY.md.
        print(
            "damage-probe: \(kind) (\(format)) | \(FileDamage.allCases.count) damages | \(failed.count) failed \(failed)"
        )
    }

    @Test(arguments: ["export part", "export manifest"])
    func aDamagedExportIsRefusedWhereverTheDamageIs(file kind: String) async throws {
        let folder = try TemporaryFolder()
        let export = try await exportedExample(in: folder)
        let damagedFile =
            kind == "export part" ? "data/sensor_history/0001.jsonl" : ExportManifest.fileName
        let expected =
            kind == "export part"
            ? ["does not match its SHA-256 in the manifest", "the manifest says"]
            : ["is not an export manifest that Ferry can read", "does not match its digest"]

        var failed: [String] = []
        for damage in FileDamage.allCases {
            let copy = try TemporaryFolder()
            let damaged = copy.url.appendingPathComponent("export")
            try FileManager.default.copyItem(at: export, to: damaged)
            try damage.apply(to: damaged.appendingPathComponent(damagedFile))
            let target = copy.url.appendingPathComponent("new.db").path

            let output = try await FerryProcess.run([
                "import", damaged.path, "--yes", "--database", target, "--migrations",
                ExampleApplication.migrations.path,
            ])

            let isRefused =
                output.status == 3 && expected.contains { output.stderr.contains($0) }
                && output.stderr.contains("Nothing was changed")
                && !output.stderr.contains("DecodingError")
            let isUnchanged = !FileManager.default.fileExists(atPath: target)
            #expect(isRefused, "\(kind), \(damage): \(output)")
            #expect(isUnchanged, "\(kind), \(damage): a database was left at \(target)")
            if !isRefused || !isUnchanged { failed.append(damage.rawValue) }
        }
        print(
            "damage-probe: \(kind) | \(FileDamage.allCases.count) damages | \(failed.count) failed \(failed)"
        )
    }

    /// A migrations folder holding something that is not a migration.
    struct OddMigration: Sendable, CustomTestStringConvertible {
        let name: String
        /// Puts the odd thing into the copy of the migrations folder.
        let make: @Sendable (URL) throws -> Void
        /// What the refusal says.
        let says: String

        var testDescription: String { name }

        static func file(_ name: String, _ bytes: [UInt8], says: String) -> OddMigration {
            OddMigration(
                name: name,
                make: { migrations in
                    let release = migrations.appendingPathComponent("0.6.0")
                    try FileManager.default.createDirectory(
                        at: release, withIntermediateDirectories: true)
                    try Data(bytes).write(to: release.appendingPathComponent("001_odd.sql"))
                }, says: says)
        }

        static func entry(
            _ name: String, _ path: String, says: String,
            _ make: @escaping @Sendable (URL) throws -> Void
        ) -> OddMigration {
            OddMigration(
                name: name,
                make: { migrations in
                    let url = migrations.appendingPathComponent(path)
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try make(url)
                }, says: says)
        }

        static let all: [OddMigration] = [
            file(
                "invalid UTF-8",
                Array("INSERT INTO rooms (name) VALUES ('".utf8) + [0xFF, 0xFE] + Array("');".utf8),
                says: "0.6.0/001_odd.sql is not UTF-8 text."),
            file(
                "a NUL byte",
                Array("CREATE TABLE odd (a TEXT);".utf8) + [0] + Array("DROP TABLE devices;".utf8),
                says: "The script holds a NUL byte"),
            entry(
                "a folder named as a script", "0.6.0/001_odd.sql",
                says: "0.6.0/001_odd.sql is a folder where a migration script is expected."
            ) { url in
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            },
            entry(
                "a link to nothing", "0.6.0/001_odd.sql",
                says:
                    "Cannot read 0.6.0/001_odd.sql: it is a symbolic link to /nonexistent/odd.sql, which does not exist."
            ) { url in
                try FileManager.default.createSymbolicLink(
                    atPath: url.path, withDestinationPath: "/nonexistent/odd.sql")
            },
            entry(
                "a link to a folder", "0.6.0/001_odd.sql",
                says:
                    "Cannot read 0.6.0/001_odd.sql: it is a folder (through a symbolic link), not a file."
            ) { url in
                try FileManager.default.createSymbolicLink(
                    atPath: url.path, withDestinationPath: "/tmp")
            },
            entry(
                "a release folder not named by a version", "0.6.0 beta/001_odd.sql",
                says: "0.6.0 beta is not a release folder"
            ) { url in
                try Data("SELECT 1;".utf8).write(to: url)
            },
            entry(
                "a file name with a newline", "0.6.0/001_a\nb.sql",
                says: "is not named like a migration"
            ) { url in
                try Data("SELECT 1;".utf8).write(to: url)
            },
            entry(
                "a file name with spaces and accents", "0.6.0/001_ünï cödé.sql",
                says: "is not named like a migration"
            ) { url in
                try Data("SELECT 1;".utf8).write(to: url)
            },
        ]
    }

    @Test(arguments: OddMigration.all)
    func anOddMigrationsFolderIsRefusedBeforeAnythingChanges(odd: OddMigration) async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path, migrations: migrations)
        try odd.make(migrations)
        let before = try DatabaseSnapshot(path: path)

        let output = try await FerryProcess.run([
            "upgrade", "--database", path, "--migrations", migrations.path,
        ])

        #expect(output.status == 2, "\(output)")
        #expect(output.stderr.contains(odd.says), "\(output)")
        #expect(output.stderr.contains("Nothing was changed"), "\(output)")
        #expect(output.lines.last == "[END UPGRADE ERROR]", "\(output)")
        #expect(try DatabaseSnapshot(path: path).hasSameContent(as: before))
        // A NUL byte is found when the script runs, after the pre-upgrade backup (which is kept).
        guard odd.name != "a NUL byte" else { return }
        let backups = folder.url.appendingPathComponent("backups").path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []
        #expect(files.filter { !$0.hasPrefix(".") }.isEmpty, "no backup was taken: \(files)")
    }

    @Test func aFileThatIsNotADatabaseIsRefusedAndKept() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        let text = Data(String(repeating: "not a database, a text file. ", count: 40).utf8)
        try text.write(to: URL(fileURLWithPath: path))

        for command in ["status", "upgrade", "backup", "export"] {
            let output = try await FerryProcess.run(
                [command]
                    + (command == "export" ? [folder.url.appendingPathComponent("x").path] : [])
                    + ["--database", path, "--migrations", ExampleApplication.migrations.path])
            #expect(output.status != 0, "\(command): \(output)")
            #expect(output.stderr.contains("file is not a database"), "\(command): \(output)")
            #expect(output.stderr.contains("Nothing was changed"), "\(command): \(output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == text, "\(command)")
        }
    }

    @Test func anExportWithoutItsManifestIsNotImported() async throws {
        let folder = try TemporaryFolder()
        let export = try await exportedExample(in: folder)
        try FileManager.default.removeItem(
            at: export.appendingPathComponent(ExportManifest.fileName))
        let target = folder.url.appendingPathComponent("new.db").path

        let output = try await FerryProcess.run([
            "import", export.path, "--yes", "--database", target, "--migrations",
            ExampleApplication.migrations.path,
        ])

        #expect(output.status != 0, "\(output)")
        #expect(output.stderr.contains(ExportManifest.fileName), "\(output)")
        #expect(output.stderr.contains("Nothing was changed"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Exports the example at 0.5.0 (made in `folder`) to `folder/export` with the tool.
    func exportedExample(in folder: TemporaryFolder) async throws -> URL {
        let path = folder.url.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.5.0", path: path)
        let export = folder.url.appendingPathComponent("export")
        let made = try await FerryProcess.run([
            "export", export.path, "--database", path, "--migrations",
            ExampleApplication.migrations.path,
        ])
        #expect(made.status == 0, "\(made)")
        return export
    }
}
