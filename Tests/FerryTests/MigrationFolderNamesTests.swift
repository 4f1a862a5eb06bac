import FerryTestSupport
import Foundation
import Testing

@testable import Ferry

/// Start-up keeps the names it read of a migrations folder while the
/// folders' stamps stay the same: every change to a name must still be seen,
/// by a listing kept from before the change and by one made just after it.
@Suite struct MigrationFolderNamesTests {
    let folder: TemporaryFolder
    let url: URL

    init() throws {
        folder = try TemporaryFolder()
        url = folder.url.appendingPathComponent("migrations")
        try folder.write("migrations/1.0.0/001_items.sql", "CREATE TABLE items (id INTEGER);")
        try folder.write("migrations/1.1.0/001_notes.sql", "CREATE TABLE notes (id INTEGER);")
    }

    /// Waits until the folders are older than the margin: as on a machine
    /// where the release was installed a while ago, their listing is kept.
    func age() async throws {
        try await Task.sleep(for: MigrationFolderNames.trustMargin + .milliseconds(300))
    }

    func fingerprint(upTo release: Release) throws -> HistoryFingerprint? {
        try #require(MigrationFolderNames.read(url, layout: nil)).fingerprint(upTo: release)
    }

    @Test func aFileAddedToAKeptReleaseFolderIsSeen() async throws {
        try await age()
        #expect(
            try fingerprint(upTo: Release(1, 1, 0))
                == HistoryFingerprint(ids: ["1.0.0/001_items", "1.1.0/001_notes"]))

        try folder.write("migrations/1.0.0/002_tags.sql", "CREATE TABLE tags (id INTEGER);")
        #expect(
            try fingerprint(upTo: Release(1, 1, 0))
                == HistoryFingerprint(ids: ["1.0.0/001_items", "1.0.0/002_tags", "1.1.0/001_notes"])
        )
        #expect(
            try fingerprint(upTo: Release(1, 0, 0))
                == HistoryFingerprint(ids: ["1.0.0/001_items", "1.0.0/002_tags"]))
    }

    @Test func aReleaseFolderAddedBesideKeptOnesIsSeen() async throws {
        try await age()
        #expect(try MigrationFolderNames.read(url, layout: nil)?.releases.count == 2)

        try folder.write("migrations/2.0.0/001_more.sql", "CREATE TABLE more (id INTEGER);")
        let names = try #require(MigrationFolderNames.read(url, layout: nil))
        #expect(names.releases == [Release(1, 0, 0), Release(1, 1, 0), Release(2, 0, 0)])
        #expect(names.fingerprint(upTo: Release(2, 0, 0))?.count == 3)
    }

    @Test func aRenamedFileAndANameThatDoesNotFitAreSeenInAKeptFolder() async throws {
        try await age()
        #expect(try fingerprint(upTo: Release(1, 1, 0))?.count == 2)

        try FileManager.default.moveItem(
            at: url.appendingPathComponent("1.1.0/001_notes.sql"),
            to: url.appendingPathComponent("1.1.0/001_remarks.sql"))
        #expect(
            try fingerprint(upTo: Release(1, 1, 0))
                == HistoryFingerprint(ids: ["1.0.0/001_items", "1.1.0/001_remarks"]))

        try folder.write("migrations/1.1.0/002_shout.SQL", "SELECT 1;")
        #expect(try fingerprint(upTo: Release(1, 1, 0)) == nil, "read() says what is wrong")
    }

    @Test func aFolderChangedJustBeforeItWasListedIsListedAgainAtOnce() throws {
        // Not aged: a change in the same tick of the file system's clock could keep the stamp.
        #expect(try fingerprint(upTo: Release(1, 1, 0))?.count == 2)
        try folder.write("migrations/1.1.0/002_tags.sql", "CREATE TABLE tags (id INTEGER);")
        #expect(try fingerprint(upTo: Release(1, 1, 0))?.count == 3)
    }

    @Test func anotherToolsFolderHasNoNames() throws {
        try folder.write("flyway/V1__items.sql", "CREATE TABLE items (id INTEGER);")
        #expect(
            MigrationFolderNames.read(folder.url.appendingPathComponent("flyway"), layout: nil)
                == nil)
        #expect(
            MigrationFolderNames.read(folder.url.appendingPathComponent("missing"), layout: nil)
                == nil)
    }
}
