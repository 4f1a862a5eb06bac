import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// Every command's `--json` output checked against docs/JSON.md, through the
/// built binary: the commands come from `ferry --help` and the shapes from the
/// page, so that a new command or key without documentation fails here.
@Suite("JSON shape of every command") struct JSONShapeTests {
    /// One run of the tool and the exit code it must end with.
    struct Run: CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        var folder = "."

        var description: String { "ferry " + arguments.joined(separator: " ") }
    }

    /// Runs per command, in this order (each may rely on the ones before):
    /// a success and at least one failure each. A usage error is added to
    /// every command by the test.
    static func runs(in folder: URL) throws -> [(command: String, runs: [Run])] {
        try FileManager.default.copyItem(
            at: ExampleApplication.migrations, to: folder.appendingPathComponent("m"))
        // A release whose migration fails, for failures that happen while working.
        let bad = folder.appendingPathComponent("bad")
        try FileManager.default.copyItem(at: ExampleApplication.migrations, to: bad)
        try FileManager.default.createDirectory(
            at: bad.appendingPathComponent("0.6.0"), withIntermediateDirectories: true)
        try "CREATE TABLE broken (;\n".write(
            to: bad.appendingPathComponent("0.6.0/001_broken.sql"), atomically: true,
            encoding: .utf8)
        // An applied migration edited afterwards: plan and check refuse, and still report what they found.
        let edited = folder.appendingPathComponent("edited")
        try FileManager.default.copyItem(at: ExampleApplication.migrations, to: edited)
        let first = edited.appendingPathComponent("0.1.0/001_create_devices.sql")
        try (try String(contentsOf: first, encoding: .utf8) + "\n-- edited after it was applied\n")
            .write(to: first, atomically: true, encoding: .utf8)
        // A folder where the database should be: refused before anything opens it.
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("folder.db"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("i"), withIntermediateDirectories: true)
        // A folder of its own for `new`, which adds files that the other runs must not see.
        try FileManager.default.copyItem(
            at: ExampleApplication.migrations, to: folder.appendingPathComponent("n"))
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("incomplete/data"), withIntermediateDirectories: true)
        // A database another tool made: the example's first release, and GRDB's history of it.
        try Self.makeForeignDatabase(at: folder.appendingPathComponent("g.db"))
        // A database no tool managed, with the schema of that release: for `baseline`.
        try Self.makeForeignDatabase(at: folder.appendingPathComponent("u.db"), history: false)

        func run(
            _ arguments: [String], database: String = "a.db", migrations: String = "m",
            _ status: Int32
        ) -> Run {
            Run(
                arguments: arguments + [
                    "--database", database, "--migrations", migrations, "--json",
                ], status: status)
        }
        return [
            (
                "init",
                [
                    Run(arguments: ["init", "--json"], status: 0, folder: "i"),
                    // Its ferry.toml exists now.
                    Run(arguments: ["init", "--json"], status: 2, folder: "i"),
                ]
            ),
            (
                "upgrade",
                [
                    run(["upgrade", "--create"], 0),
                    run(["upgrade"], migrations: "bad", 1),
                    run(["upgrade", "--to", "not-a-release"], 2),
                    run(["upgrade", "--lock-timeout"], 2),
                    run(["upgrade", "--rehearse"], migrations: "bad", 1),
                    run(["upgrade", "--rehearse"], 0),
                    Run(
                        arguments: [
                            "upgrade", "--databases", "a.db", "--migrations", "m", "--json",
                        ],
                        status: 0),
                    Run(
                        arguments: [
                            "upgrade", "--databases", "a.db", "--migrations", "bad", "--json",
                        ], status: 1),
                ]
            ),
            (
                "status",
                [
                    run(["status"], 0), run(["status"], database: "folder.db", 2),
                    Run(
                        arguments: [
                            "status", "--databases", "a.db", "--migrations", "m", "--json",
                        ],
                        status: 0),
                ]
            ),
            (
                "plan",
                [
                    run(["plan"], migrations: "bad", 0), run(["plan", "--to", "9.9.9"], 2),
                    run(["plan"], migrations: "edited", 3),
                ]
            ),
            (
                "check",
                [
                    run(["check"], 0), run(["check"], database: "folder.db", 2),
                    run(["check"], migrations: "edited", 3),
                ]
            ),
            ("verify", [run(["verify"], 0), run(["verify"], database: "missing.db", 1)]),
            ("validate", [run(["validate"], 0), run(["validate"], database: "folder.db", 2)]),
            ("history", [run(["history"], 0), run(["history"], database: "folder.db", 2)]),
            ("backup", [run(["backup"], 0), run(["backup"], database: "folder.db", 2)]),
            ("backups", [run(["backups"], 0), run(["backups", "--backups", "a.db"], 1)]),
            (
                "downgrade",
                [
                    run(["downgrade", "--to", "0.4.0", "--yes"], 0),
                    run(["downgrade", "--to", "9.9.9", "--yes"], 2),
                ]
            ),
            (
                "restore",
                [
                    run(["restore", "--latest", "--yes"], 0),
                    run(["restore", "no-such-backup", "--yes"], 3),
                ]
            ),
            ("test-paths", [run(["test-paths"], 0), run(["test-paths"], migrations: "bad", 1)]),
            (
                "new",
                [
                    run(["new", "add_rooms", "--down"], migrations: "n", 0),
                    run(["new", "add rooms!"], migrations: "n", 2),
                    run(["new", "add_rooms", "--release", "0.1.0"], migrations: "n", 2),
                ]
            ),
            // A server that stays up has no end to wait for: its refusals are run here, and its
            // started line by FerryServerTests.
            (
                "serve",
                [
                    run(["serve", "--listen", "0.0.0.0:40406"], 2),
                    run(["serve", "--listen", "not-an-address"], 2),
                ]
            ),
            // The second export finds its folder not empty.
            ("export", [run(["export", "x"], 0), run(["export", "x"], 3)]),
            (
                "import",
                [
                    run(["import", "x", "--yes"], database: "b.db", 0),
                    run(["import", "x", "--dry-run"], database: "b.db", 0),
                    // A folder without a manifest: an incomplete export.
                    run(["import", "incomplete", "--yes"], database: "b.db", 3),
                    run(["import", "no-such-folder", "--yes"], database: "b.db", 2),
                ]
            ),
            (
                "transfer",
                [
                    run(["transfer", "--list"], 0),
                    // The example's tables hold no sensor here.
                    run(["transfer", "sensor_history.sensor_id", "--from", "1", "--to", "2"], 2),
                ]
            ),
            (
                "adopt",
                [
                    run(["adopt", "--dry-run"], database: "g.db", 0),
                    run(["adopt", "--from", "grdb"], database: "g.db", 0),
                    // Ferry manages it now.
                    run(["adopt"], database: "g.db", 3),
                    run(["adopt", "--from", "nosuchtool"], database: "g.db", 2),
                ]
            ),
            (
                "baseline",
                [
                    run(["baseline", "--release", "0.1.0", "--dry-run"], database: "u.db", 0),
                    run(["baseline", "--release", "0.2.0"], database: "u.db", 3),
                    run(["baseline", "--release", "0.1.0"], database: "u.db", 0),
                    run(["baseline", "--release", "9.9.9"], database: "u.db", 2),
                ]
            ),
        ]
    }

    /// A SQLite database with the example's release 0.1.0 and, with
    /// `history`, GRDB's history of it, for `adopt`.
    static func makeForeignDatabase(at url: URL, history: Bool = true) throws {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        let release = ExampleApplication.migrations.appendingPathComponent("0.1.0")
        let files = try FileManager.default.contentsOfDirectory(atPath: release.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        try queue.write { db in
            for file in files {
                try db.execute(
                    sql: try String(
                        contentsOf: release.appendingPathComponent(file), encoding: .utf8))
            }
            guard history else { return }
            try db.execute(
                sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for file in files {
                try db.execute(
                    sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)",
                    arguments: [String(file.dropLast(".sql".count))])
            }
        }
    }

    @Test func everyCommandWritesTheDocumentedShape() async throws {
        let shapes = try DocumentedShapes.read()
        let help = try await FerryProcess.run(["--help"])
        let commands = DocumentedShapes.commands(inHelp: help.stdout)
        #expect(commands.count >= 13, "\(help)")
        let folder = try TemporaryFolder()
        let plan = try Self.runs(in: folder.url)
        for command in commands {
            #expect(shapes.results[command] != nil, "docs/JSON.md has no section for '\(command)'")
            #expect(
                plan.contains { $0.command == command },
                "this test runs no scenario of '\(command)'")
        }
        for (command, runs) in plan {
            #expect(commands.contains(command), "'\(command)' is not in ferry --help")
            let usage = Run(arguments: [command, "--no-such-option", "--json"], status: 2)
            for run in runs + [usage] {
                let output = try await FerryProcess.run(
                    run.arguments, in: folder.url.appendingPathComponent(run.folder))
                #expect(output.status == run.status, "\(run): \(output)")
                try shapes.check(output, of: command, run: run)
            }
        }
    }

    @Test func anUpgradeWithBadArgumentsEndsWithTheErrorMarkerAndChangesNothing() async throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("app.db").path
        try await ExampleApplication.makeDatabase(at: "0.4.0", path: path)
        let before = try DatabaseSnapshot(path: path)
        let common = ["--database", path, "--migrations", ExampleApplication.migrations.path]
        for wrong in [
            ["--no-such-flag"], ["--to", "not-a-release"], ["--lock-timeout"],
            ["--transaction-mode", "sometimes"],
        ] {
            let text = try await FerryProcess.run(["upgrade"] + common + wrong)
            #expect(text.status == 2, "\(wrong): \(text)")
            #expect(text.lines.last == "[END UPGRADE ERROR]", "\(wrong): \(text)")
            let json = try await FerryProcess.run(
                ["upgrade"] + common + wrong, environment: ["FERRY_JSON": "1"])
            #expect(json.status == 2, "\(wrong): \(json)")
            let result = try #require(try json.jsonLines().last, "\(wrong): \(json)")
            #expect(
                result["command"] as? String == "upgrade" && result["ok"] as? Bool == false,
                "\(json)")
            #expect(
                (result["error"] as? [String: Any])?["category"] as? String == "usage", "\(json)")
            #expect(
                json.stderr.split(separator: "\n").last == "[END UPGRADE ERROR]",
                "\(wrong): \(json)")
        }
        #expect(
            try DatabaseSnapshot(path: path) == before, "a refused upgrade changed the database")
    }

    @Test func anInterruptedUpgradeEndsWithAnErrorResultAndTheMarker() async throws {
        let upgrade = try await ConcurrencyTests.SlowUpgrade(from: "0.5.0", rows: 30_000_000)
        let before = try DatabaseSnapshot(path: upgrade.path)
        let upgrader = try FerryProcess.start(upgrade.arguments + ["--json", "--no-backup"])
        #expect(await upgrader.waitForOutput(containing: "\"migrationStarted\""))
        upgrader.kill(SIGTERM)
        let output = await upgrader.finish()
        #expect(output.status == 128 + SIGTERM, "\(output)")
        let lines = try output.jsonLines()
        #expect(
            lines.dropLast().allSatisfy { $0["event"] is String && $0["at"] is String }, "\(output)"
        )
        let result = try #require(lines.last)
        #expect(
            result["command"] as? String == "upgrade" && result["ok"] as? Bool == false, "\(output)"
        )
        #expect(
            (result["error"] as? [String: Any])?["code"] as? String == "interrupted", "\(output)")
        #expect(output.stderr.split(separator: "\n").last == "[END UPGRADE ERROR]", "\(output)")
        // Opened for writing first: the killed process's hot journal is rolled back by the next writer, as Ferry's is.
        #expect(try scalar("SELECT release FROM ferry_state", in: upgrade.path) == "0.5.0")
        #expect(try integrityCheck(upgrade.path) == "ok")
        #expect(
            try DatabaseSnapshot(path: upgrade.path) == before,
            "the interrupted upgrade changed the database")
    }

    @Test func aBackupShowsOneInstantInItsManifestTheResultAndTheListing() async throws {
        let folder = try TemporaryFolder()
        let arguments = [
            "--database", "a.db", "--migrations", ExampleApplication.migrations.path, "--json",
        ]
        #expect(
            try await FerryProcess.run(["upgrade", "--create"] + arguments, in: folder.url).status
                == 0)
        for _ in 0..<5 {
            let made = try await FerryProcess.run(["backup"] + arguments, in: folder.url)
            #expect(made.status == 0, "\(made)")
            let result = try #require(try made.jsonLines().last)
            let name = try #require(result["backup"] as? String, "\(made)")
            let created = try #require(
                (result["manifest"] as? [String: Any])?["created"] as? String, "\(made)")
            let listing = try await FerryProcess.run(["backups"] + arguments, in: folder.url)
            let listed = try #require(
                (try listing.jsonLines().last?["backups"] as? [[String: Any]])?.first {
                    $0["backup"] as? String == name
                },
                "\(listing)")
            let manifestFile = folder.url.appendingPathComponent("backups").appendingPathComponent(
                (name as NSString).deletingPathExtension + ".json")
            let onDisk = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: manifestFile))
                    as? [String: Any], "\(manifestFile.path)")
            #expect(created.count == 24 && created.hasSuffix("Z"), "milliseconds, UTC: \(created)")
            #expect(listed["created"] as? String == created, "\(listing)")
            #expect(onDisk["created"] as? String == created)
            #expect(listed["verified"] as? String == onDisk["verified"] as? String)
        }
    }
}

/// The shapes docs/JSON.md documents, read from its tables.
struct DocumentedShapes {
    /// A documented key: its type (`string`, `integer`, `number`, `boolean`,
    /// `timestamp`, `array`, `object`), and whether it may be null.
    struct Key {
        let name: String
        let type: String
        let isNullable: Bool
    }

    /// Per command, its result tables (the second one of `upgrade` is `--rehearse`'s).
    var results: [String: [[Key]]] = [:]
    var errorKeys: [Key] = []
    var eventKeys: [Key] = []
    /// Per event name, its own keys.
    var events: [String: [String]] = [:]

    static let page = ExampleApplication.repositoryRoot.appendingPathComponent("docs/JSON.md")

    static func read() throws -> DocumentedShapes {
        var shapes = DocumentedShapes()
        var section = ""
        var tableIndex = -1
        var inTable = false
        for line in try String(contentsOf: page, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        {
            if line.hasPrefix("#") {
                section = line.trimmingCharacters(in: CharacterSet(charactersIn: "# "))
                tableIndex = -1
                continue
            }
            guard line.hasPrefix("|") else {
                inTable = false
                continue
            }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`") else {
                if !inTable {
                    tableIndex += 1
                    inTable = true
                }
                continue
            }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let key = Key(
                name: name, type: cells[1].replacingOccurrences(of: " or null", with: ""),
                isNullable: cells[1].hasSuffix(" or null"))
            if section == "The error object" {
                shapes.errorKeys.append(key)
            } else if section == "Events" && tableIndex == 0 {
                shapes.eventKeys.append(key)
            } else if section == "Events" {
                // `backupCompleted` | `backup`, `bytes`, `seconds`: each item's first word is its key.
                shapes.events[name] = cells[1].split(separator: ",").compactMap { item in
                    item.split(separator: "`").first {
                        !$0.trimmingCharacters(in: .whitespaces).isEmpty
                    }
                    .map { String($0).trimmingCharacters(in: .whitespaces) }
                }
            } else if section.hasPrefix("`") {
                let command = section.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                var tables = shapes.results[command] ?? []
                while tables.count <= tableIndex { tables.append([]) }
                tables[tableIndex].append(key)
                shapes.results[command] = tables
            }
        }
        return shapes
    }

    /// The commands `ferry --help` lists.
    static func commands(inHelp help: String) -> [String] {
        let lines = help.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n") ?? []
        return lines.compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let name = line.dropFirst(2).prefix { $0 != " " }
            guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0 == "-" }) else {
                return nil
            }
            return String(name)
        }
    }

    /// Checks every line of a run's output against the documented shapes.
    func check(_ output: FerryProcess.Output, of command: String, run: JSONShapeTests.Run) throws {
        let lines = output.lines
        try #require(!lines.isEmpty, "\(run) printed nothing on standard output: \(output)")
        var values: [JSONValue] = []
        for line in lines {
            let value = try #require(
                try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)),
                "\(run): not JSON: \(line)")
            values.append(value)
        }
        for event in values.dropLast() {
            let object = try #require(
                event.object, "\(run): an event line is not an object: \(event)")
            let name = object["event"]?.string ?? "?"
            expect(object, has: eventKeys, "\(run): event \(name)")
            #expect(events[name] != nil, "\(run): event '\(name)' is not documented")
            for key in events[name] ?? [] {
                #expect(
                    object[key] != nil,
                    "\(run): event \(name) has no '\(key)': \(object.keys.sorted())")
            }
        }
        let result = try #require(values.last?.object, "\(run): the last line is not an object")
        #expect(
            result["command"]?.string == command,
            "\(run): command \(String(describing: result["command"]))")
        guard case .bool(let ok)? = result["ok"] else {
            Issue.record("\(run): no boolean ok: \(output)")
            return
        }
        #expect(ok == (output.status == 0), "\(run): ok \(ok) with exit \(output.status)")
        let error = try #require(result["error"], "\(run): no error key")
        if ok {
            #expect(error == .null, "\(run): ok with an error")
        } else {
            let object = try #require(error.object, "\(run): ok false without an error object")
            expect(object, has: errorKeys, "\(run): error")
            // Every refusal and failure says what was changed (usually nothing).
            #expect(
                object["changes"]?.string?.isEmpty == false,
                "\(run): an error that does not say what was changed")
            let category = ["usage": Int32(2), "refused": 3, "failed": 1][
                object["category"]?.string ?? ""]
            #expect(
                category == output.status,
                "\(run): category \(String(describing: object["category"])), exit \(output.status)")
        }
        // A result beyond the envelope (every success, and the refusals that report their checks) is documented whole.
        let envelope: Set = ["command", "ok", "error"]
        if ok || !Set(result.keys).subtracting(envelope).isEmpty {
            let tables = results[command] ?? []
            // A run over many databases has the one result of `--databases`, whatever the command.
            let fleet = result["fleet"] != nil ? results["--databases"]?.first : nil
            let table =
                fleet ?? (result["rehearsal"] != nil ? tables.dropFirst().first : tables.first)
            if let keys = table {
                expect(result, has: keys, "\(run): result")
                let undocumented = Set(result.keys).subtracting(envelope).subtracting(
                    keys.map(\.name))
                #expect(
                    undocumented.isEmpty,
                    "\(run): keys not in docs/JSON.md: \(undocumented.sorted())")
            } else {
                Issue.record("\(run): docs/JSON.md has no result table for '\(command)'")
            }
        }
        if command == "upgrade" {
            let marker = output.status == 0 ? "[END UPGRADE SUCCESS]" : "[END UPGRADE ERROR]"
            #expect(
                output.stderr.split(separator: "\n").last.map(String.init) == marker,
                "\(run): \(output)")
        }
    }

    private func expect(_ object: [String: JSONValue], has keys: [Key], _ context: String) {
        for key in keys {
            guard let value = object[key.name] else {
                Issue.record(
                    "\(context) has no '\(key.name)' (documented as \(key.type)): \(object.keys.sorted())"
                )
                continue
            }
            if value == .null {
                #expect(
                    key.isNullable, "\(context): '\(key.name)' is null, documented as \(key.type)")
            } else {
                #expect(
                    value.matches(key.type),
                    "\(context): '\(key.name)' is \(value), documented as \(key.type)")
            }
        }
    }
}

/// A JSON value read strictly: a boolean is not a number, an integer is not a string.
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    var string: String? { if case .string(let value) = self { value } else { nil } }

    /// Whether the value has a documented type.
    func matches(_ type: String) -> Bool {
        switch (type, self) {
        case ("string", .string), ("boolean", .bool), ("integer", .integer), ("number", .integer),
            ("number", .number),
            ("array", .array), ("object", .object):
            return true
        case ("timestamp", .string(let text)):
            return text.count == 24 && text.hasSuffix("Z") && Timestamp.date(from: text) != nil
        default:
            return false
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let value): "an array of \(value.count)"
        case .object(let value): "an object \(value.keys.sorted())"
        }
    }
}
