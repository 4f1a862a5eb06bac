import Ferry
import FerryTestSupport
import Foundation
import GRDB
import Testing

/// A checkout that changed line endings or added byte-order marks changes no
/// checksum: the example's history, written from LF files, validates against
/// a CRLF checkout with marks, through the real binary.
@Suite struct LineEndingChecksumTests {
    /// Rewrites every script of a folder with CRLF line endings and a byte-order mark.
    static func convertToWindows(_ folder: URL) throws {
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "sql" {
            let text = try String(contentsOf: url, encoding: .utf8)
            let windows = "\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n")
            try Data(windows.utf8).write(to: url)
        }
    }

    @Test func aCRLFCheckoutWithMarksValidatesAgainstAHistoryWrittenFromLFFiles() async throws {
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        let database = folder.url.appendingPathComponent("app.db").path
        let common = ["--database", database, "--migrations", migrations.path]
        let upgrade = try await FerryProcess.run(["upgrade", "--create", "--no-backup"] + common)
        #expect(upgrade.status == 0, "\(upgrade)")
        let before = try DatabaseSnapshot(path: database)

        try Self.convertToWindows(migrations)
        let validate = try await FerryProcess.run(["validate"] + common)
        #expect(validate.status == 0, "\(validate)")
        let plan = try await FerryProcess.run(["plan", "--json"] + common)
        #expect(try plan.jsonLines().last?["upToDate"] as? Bool == true, "\(plan)")
        #expect(try DatabaseSnapshot(path: database) == before)

        // A new migration checked out with CRLF and a mark runs (the mark is not SQL) and records
        // the checksum of its LF text, which an LF checkout matches.
        let text =
            "CREATE TABLE annexes (id INTEGER PRIMARY KEY);\nINSERT INTO annexes (id) VALUES (1);\n"
        let file = migrations.appendingPathComponent("0.6.0/001_annexes.sql")
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(("\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n")).utf8).write(
            to: file)
        let next = try await FerryProcess.run(["upgrade", "--no-backup"] + common)
        #expect(next.status == 0, "\(next)")
        #expect(
            try scalar(
                "SELECT checksum FROM ferry_migrations WHERE id = '0.6.0/001_annexes'", in: database
            )
                == Checksum.sha256(text))
        try Data(text.utf8).write(to: file)
        #expect(try await FerryProcess.run(["validate"] + common).status == 0)

        // What the script does still counts: an edit is refused.
        try Data((text + "DELETE FROM annexes;\n").utf8).write(to: file)
        let edited = try await FerryProcess.run(["validate"] + common)
        #expect(edited.status == 3, "\(edited)")
        #expect(edited.stderr.contains("0.6.0/001_annexes"), "\(edited)")
    }

    @Test func aHistoryWrittenFromCRLFFilesByAnOlderFerryStillValidates() async throws {
        // An older Ferry recorded the SHA-256 of the bytes as they were: such rows still match.
        let folder = try TemporaryFolder()
        let migrations = try ExampleApplication.copyMigrations(to: folder.url)
        try Self.convertToWindows(migrations)
        let database = folder.url.appendingPathComponent("app.db").path
        let common = ["--database", database, "--migrations", migrations.path]
        #expect(
            try await FerryProcess.run(["upgrade", "--create", "--no-backup"] + common).status == 0)
        let first = migrations.appendingPathComponent("0.1.0/001_create_devices.sql")
        let bytes = try Data(contentsOf: first)
        let queue = try DatabaseQueue(path: database)
        try await queue.write { db in
            try db.execute(
                sql:
                    "UPDATE ferry_migrations SET checksum = ? WHERE id = '0.1.0/001_create_devices'",
                arguments: [Checksum.sha256(bytes)])
        }
        try queue.close()
        let validate = try await FerryProcess.run(["validate"] + common)
        #expect(validate.status == 0, "\(validate)")
    }
}
