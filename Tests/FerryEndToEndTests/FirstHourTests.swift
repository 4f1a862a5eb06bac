import FerryTestSupport
import Foundation
import Testing

/// What a new user trips on in the first hour: a mistyped command, a bare
/// `ferry`, a release folder spelled another way, running in a subfolder of
/// the project.
@Suite struct FirstHourTests {
    @Test func aMistypedCommandIsAUsageErrorThatNamesTheNearestCommand() async throws {
        let typo = try await FerryProcess.run(["upgarde"])
        #expect(typo.status == 2)
        #expect(
            typo.stderr.contains("'upgarde' is not a ferry command. Did you mean 'upgrade'?"),
            "\(typo)")

        let prefix = try await FerryProcess.run(["stat"])
        #expect(prefix.status == 2)
        #expect(prefix.stderr.contains("Did you mean 'status'?"), "\(prefix)")

        let nothingNear = try await FerryProcess.run(["xyzzy"])
        #expect(nothingNear.status == 2)
        #expect(!nothingNear.stderr.contains("Did you mean"), "\(nothingNear)")

        let json = try await FerryProcess.run(["upgarde", "--json"])
        #expect(json.status == 2)
        let result = try #require(try json.jsonLines().last)
        #expect(result["ok"] as? Bool == false)
        #expect((result["error"] as? [String: Any])?["category"] as? String == "usage")
    }

    @Test func aBareFerryAndHelpForNoSuchCommandExitTwo() async throws {
        let bare = try await FerryProcess.run([])
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("No command given"), "\(bare)")

        let help = try await FerryProcess.run(["help", "nosuch"])
        #expect(help.status == 2)
        #expect(help.stderr.contains("'nosuch' is not a ferry command"), "\(help)")

        let realHelp = try await FerryProcess.run(["help", "upgrade"])
        #expect(realHelp.status == 0)
        #expect(realHelp.stdout.contains("--lock-timeout"))
    }

    @Test(arguments: [("v0.4.0", "0.4.0"), ("0.4", "0.4.0"), ("0.04.0", "0.4.0")])
    func aReleaseFolderSpelledAnotherWayIsRefusedWithItsName(folder: String, name: String)
        async throws
    {
        let project = try TemporaryFolder()
        try project.write(
            "migrations/\(folder)/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        let database = project.url.appendingPathComponent("app.db").path
        let arguments = [
            "--database", database, "--migrations",
            project.url.appendingPathComponent("migrations").path,
        ]

        for command in ["plan", "upgrade"] {
            let output = try await FerryProcess.run([command] + arguments)
            #expect(output.status == 2, "\(output)")
            #expect(output.stderr.contains("is not named as a release"), "\(output)")
            #expect(output.stderr.contains("Rename the folder to \(name)"), "\(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func ferryTomlIsFoundInAFolderAboveAndItsAbsenceNamesWhereFerryLooked() async throws {
        let project = try TemporaryFolder()
        let database = project.url.appendingPathComponent("data/app.db")
        try await ExampleApplication.makeDatabase(at: "0.2.0", path: database.path)
        try project.write(
            "ferry.toml",
            """
            [app]
            name = "sensorhub"
            [database]
            url = "data/app.db"
            migrations = "\(ExampleApplication.migrations.path)"
            """)
        let subfolder = project.url.appendingPathComponent("deep/inside")
        try FileManager.default.createDirectory(at: subfolder, withIntermediateDirectories: true)

        let status = try await FerryProcess.run(["status"], in: subfolder)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("Database release: 0.2.0"), "\(status)")

        let elsewhere = try TemporaryFolder()
        let lost = try await FerryProcess.run(["status"], in: elsewhere.url)
        #expect(lost.status == 2)
        #expect(
            lost.stderr.contains(
                "no ferry.toml was found (looked in \(elsewhere.url.standardizedFileURL.path)"),
            "\(lost)")
    }

    @Test func completionsOfferPathsAndTheAllowedValues() async throws {
        let bash = try await FerryProcess.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        #expect(bash.stdout.contains("'!*.@(toml)'"), "--config completes .toml files")
        #expect(
            bash.stdout.contains("'upgrade'$'\\n''migration'"),
            "--transaction-mode completes its values")
        #expect(bash.stdout.contains("'full'$'\\n''quick'"), "--backup-check completes its values")
    }
}

/// A mistyped path is refused, not made into a new database: the tool
/// creates one only with `--create`, `FERRY_CREATE=1` or `[database] create`.
@Suite struct CreateDatabaseTests {
    @Test func aMissingDatabaseIsRefusedWithItsPathAndNothingIsCreated() async throws {
        let folder = try TemporaryFolder()
        let typo = folder.url.appendingPathComponent("x/deep/dir/app.db").path
        let arguments = ["--database", typo, "--migrations", ExampleApplication.migrations.path]

        let upgrade = try await FerryProcess.run(["upgrade"] + arguments)
        #expect(upgrade.status == 3, "\(upgrade)")
        #expect(upgrade.stderr.contains("The database \(typo) does not exist"), "\(upgrade)")
        #expect(
            upgrade.stderr.contains(
                "in \(folder.url.path)/x/deep/dir, which does not exist either"), "\(upgrade)")
        #expect(upgrade.stderr.contains("--create"), "\(upgrade)")
        #expect(upgrade.lines.last == "[END UPGRADE ERROR]")
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("x").path))

        let check = try await FerryProcess.run(["check"] + arguments)
        #expect(check.status == 3, "\(check)")
        #expect(check.stdout.contains("may not create it"), "\(check)")
        let checkCreating = try await FerryProcess.run(["check", "--create"] + arguments)
        #expect(checkCreating.status == 0, "\(checkCreating)")

        let rehearsal = try await FerryProcess.run(["upgrade", "--rehearse"] + arguments)
        #expect(rehearsal.status == 3, "\(rehearsal)")
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("x").path))
    }

    @Test func theFlagTheEnvironmentOrTheFileCreatesIt() async throws {
        let folder = try TemporaryFolder()
        let migrations = ["--migrations", ExampleApplication.migrations.path]
        func database(_ name: String) -> String {
            folder.url.appendingPathComponent("\(name)/app.db").path
        }

        let flag = try await FerryProcess.run(
            ["upgrade", "--create", "--database", database("flag")] + migrations)
        #expect(flag.status == 0, "\(flag)")
        let environment = try await FerryProcess.run(
            ["upgrade", "--database", database("environment")] + migrations,
            environment: ["FERRY_CREATE": "1"])
        #expect(environment.status == 0, "\(environment)")
        try folder.write(
            "ferry.toml",
            """
            [database]
            url = "file/app.db"
            migrations = "\(ExampleApplication.migrations.path)"
            create = true
            """)
        let file = try await FerryProcess.run(["upgrade"], in: folder.url)
        #expect(file.status == 0, "\(file)")
        for name in ["flag", "environment", "file"] {
            #expect(
                try scalar("SELECT release FROM ferry_state", in: database(name))
                    == ExampleApplication.newestRelease)
        }
        // The environment can say no to what the file allows.
        try FileManager.default.removeItem(atPath: folder.url.appendingPathComponent("file").path)
        let refused = try await FerryProcess.run(
            ["upgrade"], in: folder.url, environment: ["FERRY_CREATE": "0"])
        #expect(refused.status == 3, "\(refused)")
    }
}
