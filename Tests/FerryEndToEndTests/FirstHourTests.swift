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
        #expect(typo.stderr.contains("'upgarde' is not a ferry command. Did you mean 'upgrade'?"), "\(typo)")

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
    func aReleaseFolderSpelledAnotherWayIsRefusedWithItsName(folder: String, name: String) async throws {
        let project = try TemporaryFolder()
        try project.write("migrations/\(folder)/001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);")
        let database = project.url.appendingPathComponent("app.db").path
        let arguments = ["--database", database, "--migrations", project.url.appendingPathComponent("migrations").path]

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
        #expect(lost.stderr.contains("no ferry.toml was found (looked in \(elsewhere.url.standardizedFileURL.path)"), "\(lost)")
    }

    @Test func completionsOfferPathsAndTheAllowedValues() async throws {
        let bash = try await FerryProcess.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        #expect(bash.stdout.contains("'!*.@(toml)'"), "--config completes .toml files")
        #expect(bash.stdout.contains("'upgrade'$'\\n''migration'"), "--transaction-mode completes its values")
        #expect(bash.stdout.contains("'full'$'\\n''quick'"), "--backup-check completes its values")
    }
}
