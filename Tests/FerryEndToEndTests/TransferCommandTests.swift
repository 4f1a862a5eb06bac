import Ferry
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ferry transfer` as an operator runs it, on the example application at
/// 0.5.0 with its sample data (sensor 1's history moved to sensor 2), on
/// every engine, with the faults made from outside: a wrong confirmation
/// typed on a real terminal, `kill -9` inside the transaction, another
/// process that inserts rows between the preview and the commit, a moved
/// row edited before an undo.
@Suite("Transfer command") struct TransferCommandTests {
    /// The example at 0.5.0 with a `ferry.toml` that declares the sensor
    /// history, and the arguments that point the tool at it.
    struct Transfer {
        let scenario: ExampleScenario

        var database: TestDatabase { scenario.database }

        var config: URL { scenario.folder.url.appendingPathComponent("transfer.toml") }

        /// The common arguments.
        var common: [String] {
            [
                "--config", config.path, "--database", scenario.path, "--migrations",
                scenario.migrations.path,
            ] + database.backupArguments
        }

        /// `ferry transfer "sensor history" --from 1 --to 2` and `extra`.
        func arguments(_ extra: [String] = []) -> [String] {
            ["transfer", "sensor history", "--from", "1", "--to", "2"] + extra + common
        }

        static func make(_ scenario: ExampleScenario) throws -> Transfer {
            let transfer = Transfer(scenario: scenario)
            try """
            [app]
            name = "sensorhub"

            [[transfer]]
            name = "sensor history"
            table = "sensor_history"
            owner = "sensor_id"
            references = "sensors(id)"
            order = "taken_at"
            unique = ["sensor_id", "taken_at"]
            """.write(to: transfer.config, atomically: true, encoding: .utf8)
            return transfer
        }

        /// How many history rows a sensor owns.
        func rows(of sensor: Int) async throws -> Int {
            Int(
                try await database.scalar(
                    "SELECT count(*) FROM sensor_history WHERE sensor_id = \(sensor)") ?? "") ?? -1
        }

        /// The application's rows and schema (Ferry's own tables left out).
        func application() async throws -> [String: [String]] {
            let snapshot = try await scenario.snapshot()
            var rows = snapshot.rows.filter { !$0.key.hasPrefix("ferry_") }
            rows["schema"] = snapshot.schema.filter { !$0.contains("ferry_") }
            return rows
        }

        /// The pre-transfer backups in the catalog.
        var backups: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: database.backupsFolder.path))
                ?? []).filter { $0.contains("pre-transfer") && !$0.hasSuffix(".json") }
        }

        /// Makes one of sensor 1's rows the same row as one of sensor 2's (same `taken_at`).
        func makeOneConflict() async throws {
            try await database.load(
                """
                UPDATE sensor_history SET taken_at = (SELECT min(taken_at) FROM sensor_history WHERE sensor_id = 2)
                 WHERE id = (SELECT min(id) FROM sensor_history WHERE sensor_id = 1);
                """)
        }
    }

    func withTransfer(_ engine: TestEngine, _ body: (Transfer) async throws -> Void)
        async throws
    {
        try await withExample(at: "0.5.0", on: engine) { scenario in
            try await body(try Transfer.make(scenario))
        }
    }

    /// The JSON result of a run.
    func result(_ output: FerryProcess.Output) throws -> [String: Any] {
        try #require(try output.jsonLines().last, "\(output)")
    }

    /// The preview's count is what moves: the source is left without its
    /// rows, the target has them, and the history records the transfer.
    @Test(arguments: TestEngine.underTest)
    func thePreviewCountsWhatMoves(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let (source, target) = (try await transfer.rows(of: 1), try await transfer.rows(of: 2))
            #expect(source > 10)
            let previewed = try await FerryProcess.run(transfer.arguments(["--preview", "--json"]))
            #expect(previewed.status == 0, "\(previewed)")
            let preview = try #require(try result(previewed)["preview"] as? [String: Any])
            #expect(preview["rows"] as? Int == source, "\(previewed)")
            #expect(preview["conflicts"] as? Int == 0, "\(previewed)")
            #expect((preview["firstRows"] as? [Any])?.count == Ferry.transferPreviewRows)
            #expect((preview["alsoChanges"] as? [String])?.first == "a pre-transfer backup")

            let run = try await FerryProcess.run(transfer.arguments(["--yes", "--json"]))
            #expect(run.status == 0, "\(run)")
            let report = try #require(try result(run)["transfer"] as? [String: Any])
            #expect(report["outcome"] as? String == "transferred", "\(run)")
            #expect((report["transfer"] as? [String: Any])?["rows"] as? Int == source, "\(run)")
            #expect(try await transfer.rows(of: 1) == 0)
            #expect(try await transfer.rows(of: 2) == target + source)
            #expect(transfer.backups.count == 1, "\(transfer.backups)")
            let history = try await FerryProcess.run(["history", "--json"] + transfer.common)
            let events = try #require(try result(history)["events"] as? [[String: Any]])
            #expect(events.contains { $0["kind"] as? String == "transfer" }, "\(history)")
            // Ferry's transfer tables are its own: no schema drift, and every check passes.
            let verify = try await FerryProcess.run(["verify"] + transfer.common)
            #expect(verify.status == 0, "\(verify)")
            #expect(!verify.stdout.contains("ferry_transfer"), "\(verify)")
            #expect(!verify.stderr.contains("ferry_transfer"), "\(verify)")
        }
    }

    /// With `--no-backup` the preview does not promise a backup, and none is taken.
    @Test(arguments: TestEngine.underTest)
    func withoutABackupThePreviewDoesNotPromiseOne(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let previewed = try await FerryProcess.run(
                transfer.arguments(["--preview", "--no-backup", "--json"]))
            let preview = try #require(try result(previewed)["preview"] as? [String: Any])
            let also = try #require(preview["alsoChanges"] as? [String], "\(previewed)")
            #expect(!also.contains { $0.contains("backup") }, "\(also)")
            #expect(also.contains("the transfer recorded in Ferry's history"), "\(also)")

            let run = try await FerryProcess.run(transfer.arguments(["--yes", "--no-backup"]))
            #expect(run.status == 0, "\(run)")
            #expect(!run.stdout.contains("backup"), "\(run)")
            #expect(transfer.backups.isEmpty, "\(transfer.backups)")
        }
    }

    /// Without a `[[transfer]]`, the definition found from the foreign key
    /// takes its order from the index on (sensor_id, taken_at): the preview
    /// shows the time span and the earliest and latest rows by that time.
    @Test(arguments: TestEngine.underTest)
    func aFoundDefinitionIsOrderedByTheOwnersIndex(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            try "[app]\nname = \"sensorhub\"\n".write(
                to: transfer.config, atomically: true, encoding: .utf8)
            let arguments =
                ["transfer", "sensor_history.sensor_id", "--from", "1", "--to", "2", "--preview"]
                + transfer.common
            let previewed = try await FerryProcess.run(arguments + ["--json"])
            #expect(previewed.status == 0, "\(previewed)")
            let preview = try #require(try result(previewed)["preview"] as? [String: Any])
            let definition = try #require(preview["definition"] as? [String: Any])
            #expect(definition["order"] as? String == "taken_at", "\(previewed)")
            let span = try await transfer.database.scalar(
                "SELECT min(taken_at) || ' … ' || max(taken_at) FROM sensor_history WHERE sensor_id = 1"
            )
            #expect(
                "\(preview["firstAt"] as? String ?? "") … \(preview["lastAt"] as? String ?? "")"
                    == span, "\(previewed)")
            let shown = try await FerryProcess.run(arguments)
            #expect(shown.stdout.contains("span (taken_at): \(span ?? "")"), "\(shown)")
            #expect(
                shown.stdout.contains("in the order of the index on (sensor_id, taken_at)"),
                "\(shown)")
        }
    }

    /// The preview's first and last rows are the source's earliest and
    /// latest by the declared order (then by key), in that order, whatever
    /// order the engine reads them in.
    @Test(arguments: TestEngine.underTest)
    func thePreviewShowsTheFirstAndLastRowsInOrder(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            // The source's rows out of key order: the row with the smallest key is among the
            // latest, tied with the latest by its time.
            try await transfer.database.load(
                """
                UPDATE sensor_history
                   SET taken_at = (SELECT max(taken_at) FROM sensor_history WHERE sensor_id = 1)
                 WHERE id = (SELECT min(id) FROM sensor_history WHERE sensor_id = 1);
                """)
            func keys(_ direction: String) async throws -> [String] {
                var keys: [String] = []
                for offset in 0..<Ferry.transferPreviewRows {
                    keys.append(
                        try await transfer.database.scalar(
                            "SELECT CAST(id AS TEXT) FROM sensor_history WHERE sensor_id = 1 "
                                + "ORDER BY taken_at \(direction), id \(direction) LIMIT 1 OFFSET \(offset)"
                        ) ?? "")
                }
                return keys
            }
            let (first, last) = (try await keys("ASC"), Array(try await keys("DESC").reversed()))
            let previewed = try await FerryProcess.run(transfer.arguments(["--preview", "--json"]))
            #expect(previewed.status == 0, "\(previewed)")
            let preview = try #require(try result(previewed)["preview"] as? [String: Any])
            let columns = try #require(preview["columns"] as? [String], "\(previewed)")
            let key = try #require(columns.firstIndex(of: "id"), "\(previewed)")
            func shown(_ name: String) -> [String]? {
                (preview[name] as? [[Any]])?.map { $0[key] as? String ?? "" }
            }
            #expect(shown("firstRows") == first, "\(previewed)")
            #expect(shown("lastRows") == last, "\(previewed)")
        }
    }

    /// Anything but `YES I AM SURE` typed on a terminal (a real one, made
    /// by `script`) changes nothing and exits 3; so does a script without `--yes`.
    @Test(arguments: TestEngine.underTest)
    func aWrongConfirmationChangesNothing(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let before = try await transfer.application()
            let typed = try await Self.runOnATerminal(transfer.arguments(), typing: "yes")
            #expect(typed.status == 3, "\(typed)")
            #expect(typed.stdout.contains("Type 'YES I AM SURE'"), "\(typed)")
            #expect(typed.stdout.contains("Not confirmed."), "\(typed)")
            let script = try await FerryProcess.run(transfer.arguments())
            #expect(script.status == 3, "\(script)")
            #expect(try await transfer.application() == before)
            #expect(transfer.backups.isEmpty, "\(transfer.backups)")

            let confirmed = try await Self.runOnATerminal(
                transfer.arguments(), typing: "YES I AM SURE")
            #expect(confirmed.status == 0, "\(confirmed)")
            #expect(try await transfer.rows(of: 1) == 0)
        }
    }

    /// Under each policy, a conflict (a row of the source with the target's

    /// A condition that closes the parenthesis it is pasted into (`1=1) OR
    /// (1=1`) would free the transfer from its source entity: it is refused
    /// before any row is read, and no row of any sensor moves; a condition
    /// ending in a `--` comment still closes its parenthesis.
    @Test(arguments: TestEngine.underTest)
    func aConditionThatLeavesItsParenthesisIsRefused(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let before = try await transfer.application()
            for condition in ["1=1) OR (1=1", "1=1) OR (1=1 --"] {
                let refused = try await FerryProcess.run(
                    transfer.arguments(["--where", condition, "--on-conflict", "skip", "--yes"]))
                #expect(refused.status == 2, "\(refused)")
                #expect(
                    refused.stderr.contains("closes a parenthesis it did not open"), "\(refused)")
                #expect(refused.stderr.contains("Nothing was changed."), "\(refused)")
            }
            #expect(try await transfer.application() == before)
            #expect(transfer.backups.isEmpty, "\(transfer.backups)")

            let source = try await transfer.rows(of: 1)
            let commented = try await FerryProcess.run(
                transfer.arguments(["--where", "1 = 1 -- every row of sensor 1", "--yes"]))
            #expect(commented.status == 0, "\(commented)")
            #expect(try await transfer.rows(of: 1) == 0)
            #expect(try await transfer.rows(of: 2) >= source)
        }
    }
    /// `taken_at`) refuses with nothing changed, stays with the source, or
    /// replaces the target's row.
    @Test(arguments: TestEngine.underTest, TransferConflictPolicy.allCases)
    func eachConflictPolicy(engine: TestEngine, policy: TransferConflictPolicy) async throws {
        try await withTransfer(engine) { transfer in
            try await transfer.makeOneConflict()
            let (source, target) = (try await transfer.rows(of: 1), try await transfer.rows(of: 2))
            let before = try await transfer.application()
            let run = try await FerryProcess.run(
                transfer.arguments(["--on-conflict", policy.rawValue, "--yes", "--json"]))
            switch policy {
            case .refuse:
                #expect(run.status == 3, "\(run)")
                let error = try #require(try result(run)["error"] as? [String: Any])
                #expect(error["code"] as? String == "transferRefused", "\(run)")
                #expect((error["changes"] as? String)?.hasPrefix("Nothing was changed") == true)
                #expect(try await transfer.application() == before)
                #expect(transfer.backups.isEmpty)
            case .skip:
                #expect(run.status == 0, "\(run)")
                #expect(try await transfer.rows(of: 1) == 1)
                #expect(try await transfer.rows(of: 2) == target + source - 1)
            case .replace:
                #expect(run.status == 0, "\(run)")
                let report = try #require(try result(run)["transfer"] as? [String: Any])
                #expect((report["transfer"] as? [String: Any])?["replaced"] as? Int == 1, "\(run)")
                #expect(try await transfer.rows(of: 1) == 0)
                #expect(try await transfer.rows(of: 2) == target + source - 1)
            }
        }
    }

    /// The check before the commit reads only the tables a transfer can
    /// break, and those include every table that references a deleted row:
    /// replacing a target's row that another table points at is refused,
    /// with nothing changed.
    @Test(arguments: TestEngine.underTest)
    func replacingARowThatAnotherTableReferencesIsRefused(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            try await transfer.makeOneConflict()
            try await transfer.database.load(
                """
                CREATE TABLE history_notes (
                    id integer PRIMARY KEY,
                    history_id bigint NOT NULL REFERENCES sensor_history (id),
                    note text NOT NULL
                );
                INSERT INTO history_notes (id, history_id, note)
                SELECT 1, id, 'checked by hand' FROM sensor_history WHERE sensor_id = 2
                 AND taken_at = (SELECT min(taken_at) FROM sensor_history WHERE sensor_id = 2)
                 ORDER BY id LIMIT 1;
                """)
            let before = try await transfer.application()
            let run = try await FerryProcess.run(
                transfer.arguments(["--on-conflict", "replace", "--yes", "--json"]))
            #expect(run.status != 0, "\(run)")
            let error = try #require(try result(run)["error"] as? [String: Any], "\(run)")
            #expect((error["changes"] as? String)?.hasPrefix("Nothing was changed") == true)
            // Said of the transfer, not of a migration.
            #expect(!"\(error)".lowercased().contains("migration"), "\(error)")
            if engine == .sqlite {
                #expect(
                    (error["message"] as? String)?.hasPrefix(
                        "The transfer would leave 1 foreign key violation") == true, "\(error)")
                #expect((error["message"] as? String)?.contains("history_notes") == true)
                #expect((error["advice"] as? String)?.contains("policy replace") == true)
            }
            #expect(try await transfer.application() == before)
            let list = try await FerryProcess.run(
                ["transfer", "--list", "--json"] + transfer.common)
            #expect((try result(list)["transfers"] as? [Any])?.isEmpty == true, "\(list)")
        }
    }

    /// A table whose foreign key holds the owner column of the moved rows
    /// (a composite key) would be left pointing at nothing: the transfer is
    /// refused with nothing changed, on SQLite too, where the transaction
    /// checks only the tables a transfer can break (found in review).
    @Test(arguments: TestEngine.underTest)
    func aCompositeReferenceToTheMovedRowsIsChecked(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            try await transfer.database.load(
                """
                CREATE UNIQUE INDEX sensor_history_owner_id ON sensor_history (sensor_id, id);
                CREATE TABLE History_Marks (
                    id integer PRIMARY KEY,
                    sensor_id bigint NOT NULL,
                    history_id bigint NOT NULL,
                    FOREIGN KEY (sensor_id, history_id) REFERENCES SENSOR_HISTORY (sensor_id, id)
                );
                INSERT INTO History_Marks (id, sensor_id, history_id)
                SELECT 1, sensor_id, id FROM sensor_history WHERE sensor_id = 1 ORDER BY id LIMIT 1;
                """)
            let before = try await transfer.application()
            let run = try await FerryProcess.run(transfer.arguments(["--yes", "--json"]))
            #expect(run.status != 0, "\(run)")
            #expect(try result(run)["error"] is [String: Any], "\(run)")
            #expect(try await transfer.application() == before)
            #expect(try await transfer.rows(of: 1) > 0)
        }
    }

    /// `kill -9` inside the transaction (after the rows moved, and just
    /// before the commit) leaves every row where it was; run again, the
    /// transfer finishes.
    @Test(arguments: TestEngine.underTest, ["transfer.moved", "transfer.beforeCommit"])
    func aKilledTransferLeavesEveryRowWhereItWas(engine: TestEngine, point: String) async throws {
        try await withTransfer(engine) { transfer in
            let before = try await transfer.application()
            let source = try await transfer.rows(of: 1)
            let killed = try await FerryProcess.run(
                transfer.arguments(["--yes"]), environment: [CrashPoint.variable: point])
            #expect(killed.status == SIGKILL, "\(killed)")
            // Ferry looks first: it rolls SQLite's journal back.
            let status = try await FerryProcess.run(["status"] + transfer.common)
            #expect(status.status == 0, "\(status)")
            #expect(try await transfer.application() == before)
            let list = try await FerryProcess.run(
                ["transfer", "--list", "--json"] + transfer.common)
            #expect((try result(list)["transfers"] as? [Any])?.isEmpty == true, "\(list)")

            let rerun = try await FerryProcess.run(transfer.arguments(["--yes"]))
            #expect(rerun.status == 0, "\(rerun)")
            #expect(try await transfer.rows(of: 1) == 0)
            #expect(source > 0)
        }
    }

    /// The same transfer run again says it was done, and changes nothing.
    @Test(arguments: TestEngine.underTest)
    func aRerunIsANoOp(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let first = try await FerryProcess.run(transfer.arguments(["--yes"]))
            #expect(first.status == 0, "\(first)")
            let after = try await transfer.application()
            let backups = transfer.backups

            let again = try await FerryProcess.run(transfer.arguments(["--yes", "--json"]))
            #expect(again.status == 0, "\(again)")
            let report = try #require(try result(again)["transfer"] as? [String: Any])
            #expect(report["outcome"] as? String == "already-done", "\(again)")
            #expect(try await transfer.application() == after)
            #expect(transfer.backups == backups)
            let text = try await FerryProcess.run(transfer.arguments(["--yes"]))
            #expect(text.stdout.contains("did this already"), "\(text)")
        }
    }

    /// An undo gives every moved row back to its source, exactly; once a
    /// moved row changed, an undo is refused with the row named, and changes nothing.
    @Test(arguments: TestEngine.underTest)
    func undoRestoresTheOwnersAndIsRefusedOnceARowChanged(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let before = try await transfer.application()
            #expect(try await FerryProcess.run(transfer.arguments(["--yes"])).status == 0)
            let undo = try await FerryProcess.run(
                ["transfer", "--undo", "1", "--yes", "--json"] + transfer.common)
            #expect(undo.status == 0, "\(undo)")
            #expect(try await transfer.application() == before)
            // The history names the backup taken before the undo, not the transfer's.
            let undone = try #require(try result(undo)["transfer"] as? [String: Any], "\(undo)")
            let undoBackup = try #require(undone["backup"] as? String, "\(undo)")
            #expect(
                try await transfer.database.scalar(
                    "SELECT backup FROM ferry_events WHERE kind = 'transfer-undo'") == undoBackup)
            let list = try await FerryProcess.run(
                ["transfer", "--list", "--json"] + transfer.common)
            let records = try #require(try result(list)["transfers"] as? [[String: Any]])
            #expect(records.count == 1 && records[0]["undoneAt"] is String, "\(list)")

            let moved = try #require(
                try await transfer.database.scalar(
                    "SELECT max(id) FROM sensor_history WHERE sensor_id = 1"))
            #expect(try await FerryProcess.run(transfer.arguments(["--yes"])).status == 0)
            try await transfer.database.load(
                "UPDATE sensor_history SET value = 1234.5 WHERE id = \(moved);")
            let changed = try await transfer.application()
            let refused = try await FerryProcess.run(
                ["transfer", "--undo", "2", "--yes", "--json"] + transfer.common)
            #expect(refused.status == 3, "\(refused)")
            let error = try #require(try result(refused)["error"] as? [String: Any])
            #expect(error["code"] as? String == "transferRefused", "\(refused)")
            #expect((error["message"] as? String)?.contains("changed since") == true, "\(refused)")
            #expect((error["message"] as? String)?.contains("id \(moved)") == true, "\(refused)")
            #expect(try await transfer.application() == changed)
        }
    }

    /// Another process inserts a row for the source after the preview (the
    /// transfer stopped there): the count no longer matches, the transfer
    /// refuses and rolls back, and every row is where it was.
    @Test(arguments: TestEngine.underTest)
    func rowsInsertedAfterThePreviewRefuseTheTransfer(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let running = try FerryProcess.start(
                transfer.arguments(["--yes", "--json"]),
                environment: [CrashPoint.stopVariable: "transfer.previewed"])
            #expect(await running.waitUntilStopped(), "it did not stop after the preview")
            try await transfer.database.load(
                "INSERT INTO sensor_history (sensor_id, taken_at, value) VALUES (1, '2031-01-01T00:00:00Z', 1.5);"
            )
            let inserted = try await transfer.application()
            running.kill(SIGCONT)
            let output = await running.finish()
            #expect(output.status == 3, "\(output)")
            let error = try #require(try result(output)["error"] as? [String: Any])
            #expect(error["code"] as? String == "transferRefused", "\(output)")
            #expect((error["message"] as? String)?.contains("since the preview") == true)
            #expect(try await transfer.application() == inserted)
        }
    }

    /// Runs the tool on a pseudo-terminal (`script`), typing a line.
    static func runOnATerminal(_ arguments: [String], typing line: String) async throws
        -> FerryProcess.Output
    {
        let quoted = ([FerryProcess.binary.path] + arguments).map {
            "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", quoted.joined(separator: " "), "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("FERRY_")
        }
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        let data = try await Task.detached { try output.fileHandleForReading.readToEnd() }.value
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        return FerryProcess.Output(
            status: process.terminationStatus,
            stdout: String(decoding: data ?? Data(), as: UTF8.self), stderr: "")
    }
}

extension TransferCommandTests {
    /// On a terminal without arguments, menus choose the kind of history,
    /// the source and the target (with their row counts), then the preview
    /// and the confirmation follow.
    @Test(arguments: TestEngine.underTest)
    func theWalkThroughChoosesFromMenus(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let source = try await transfer.rows(of: 1)
            let output = try await Self.runOnATerminal(
                ["transfer"] + transfer.common, typing: "1\n1\n2\nYES I AM SURE")
            #expect(output.status == 0, "\(output)")
            #expect(output.stdout.contains("Which kind of history?"), "\(output)")
            #expect(output.stdout.contains("1  (\(source) rows)"), "\(output)")
            #expect(output.stdout.contains("rows: \(source) of \(source) matching"), "\(output)")
            #expect(try await transfer.rows(of: 1) == 0)
        }
    }

    /// `--delete-empty-source` deletes the source once nothing references
    /// it, and keeps it (saying so) while some of its rows stay.
    @Test(arguments: TestEngine.underTest)
    func anEmptiedSourceIsDeletedOnlyWhenNothingReferencesIt(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let sensor1 = "SELECT count(*) FROM sensors WHERE id = 1"
            let part = try await FerryProcess.run(
                transfer.arguments([
                    "--where",
                    "taken_at < (SELECT max(taken_at) FROM sensor_history WHERE sensor_id = 1)",
                    "--delete-empty-source", "--yes",
                ]))
            #expect(part.status == 0, "\(part)")
            #expect(part.stdout.contains("sensors 1 kept: still referenced"), "\(part)")
            #expect(try await transfer.rows(of: 1) == 1)
            #expect(try await transfer.database.scalar(sensor1) == "1")

            let rest = try await FerryProcess.run(
                [
                    "transfer", "sensor history", "--from", "1", "--to", "3",
                    "--delete-empty-source", "--yes",
                ]
                    + transfer.common)
            #expect(rest.status == 0, "\(rest)")
            #expect(rest.stdout.contains("the source was deleted"), "\(rest)")
            #expect(try await transfer.database.scalar(sensor1) == "0")
        }
    }
}

extension TransferCommandTests {
    /// Another process gives the target a row with the `taken_at` of one of
    /// the source's rows after the preview (which found no conflict): under
    /// policy refuse the transfer refuses and rolls back.
    @Test(arguments: TestEngine.underTest)
    func aConflictMadeAfterThePreviewRefusesTheTransfer(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let running = try FerryProcess.start(
                transfer.arguments(["--yes", "--json"]),
                environment: [CrashPoint.stopVariable: "transfer.previewed"])
            #expect(await running.waitUntilStopped(), "it did not stop after the preview")
            try await transfer.database.load(
                """
                INSERT INTO sensor_history (sensor_id, taken_at, value)
                SELECT 2, max(taken_at), 1.5 FROM sensor_history WHERE sensor_id = 1;
                """)
            let inserted = try await transfer.application()
            running.kill(SIGCONT)
            let output = await running.finish()
            #expect(output.status == 3, "\(output)")
            let error = try #require(try result(output)["error"] as? [String: Any])
            #expect(error["code"] as? String == "transferRefused", "\(output)")
            #expect(
                (error["message"] as? String)?.contains("was given since the preview") == true,
                "\(output)")
            #expect(try await transfer.application() == inserted)
        }
    }
}

extension TransferCommandTests {
    /// `kill -9` of an undo just before its commit leaves the rows with the
    /// target and the transfer not undone; the undo run again finishes.
    @Test(arguments: TestEngine.underTest)
    func aKilledUndoLeavesTheTransferAsItWas(engine: TestEngine) async throws {
        try await withTransfer(engine) { transfer in
            let before = try await transfer.application()
            #expect(try await FerryProcess.run(transfer.arguments(["--yes"])).status == 0)
            let moved = try await transfer.application()
            let undo = ["transfer", "--undo", "1", "--yes"] + transfer.common
            let killed = try await FerryProcess.run(
                undo, environment: [CrashPoint.variable: "transfer.undo.beforeCommit"])
            #expect(killed.status == SIGKILL, "\(killed)")
            #expect(try await FerryProcess.run(["status"] + transfer.common).status == 0)
            #expect(try await transfer.application() == moved)

            let again = try await FerryProcess.run(undo)
            #expect(again.status == 0, "\(again)")
            #expect(try await transfer.application() == before)
        }
    }
}
