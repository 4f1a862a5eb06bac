import Ferry
import FerryTestSupport
import Foundation
import Testing

@Suite struct HistoryFingerprintTests {
    @Test func theSameIdsInAnyOrderGiveTheSameFingerprint() {
        let ids = (1...1000).map { String(format: "1.0.0/%05d_create_t%05d", $0, $0) }
        #expect(HistoryFingerprint(ids: ids) == HistoryFingerprint(ids: ids.shuffled()))
        #expect(HistoryFingerprint(ids: ids).count == 1000)
    }

    @Test func anyAddedRemovedOrRenamedIdChangesIt() {
        let ids = (1...1000).map { String(format: "1.0.0/%05d_create_t%05d", $0, $0) }
        let fingerprint = HistoryFingerprint(ids: ids)
        #expect(HistoryFingerprint(ids: ids + ["1.0.0/01001_more"]) != fingerprint)
        #expect(HistoryFingerprint(ids: ids.dropLast()) != fingerprint)
        var renamed = ids
        renamed[500] = "1.0.0/00501_create_t00502"
        #expect(HistoryFingerprint(ids: renamed) != fingerprint)
        var swapped = ids
        swapped[0] = "1.0.1/00001_create_t00001"
        #expect(HistoryFingerprint(ids: swapped) != fingerprint)
        #expect(
            HistoryFingerprint(ids: ["1.0.0/a", "1.0.0/a"]) != HistoryFingerprint(ids: ["1.0.0/a"]))
    }

    @Test func itsTextReadsBack() throws {
        let fingerprint = HistoryFingerprint(ids: ["1.0.0/001_a", "1.1.0/001_b"])
        let text = fingerprint.description
        #expect(text.hasPrefix("2-"))
        #expect(HistoryFingerprint(text) == fingerprint)
        #expect(HistoryFingerprint("not a fingerprint") == nil)
        #expect(HistoryFingerprint() == HistoryFingerprint(ids: []))
    }

    @Test func hooksAndBaselinesInTheHistoryAreLeftOut() {
        let history: [(id: String, kind: String)] = [
            ("1.0.0/001_a", "sql"), ("1.0.0/baseline", "baseline"), ("2.0.0/hooks/fill", "hook"),
            ("2.0.0/002_b", "swift"),
        ]
        #expect(
            HistoryFingerprint(history: history)
                == HistoryFingerprint(ids: ["2.0.0/002_b", "1.0.0/001_a"]))
    }

    @Test func theFolderListingGivesTheFingerprintOfItsUpScripts() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_a.sql", "SELECT 1;")
        try folder.write("1.0.0/001_a.down.sql", "SELECT 1;")
        try folder.write("1.0.0/001_a.verify.sql", "SELECT 1;")
        try folder.write("1.0.0/baseline.sql", "SELECT 1;")
        try folder.write("1.0.0/README.md", "not a migration")
        try folder.write("1.0.0/.hidden.sql", "SELECT 1;")
        try folder.write("1.1.0/002_b.sql", "SELECT 1;")
        try folder.write("2.0.0/001_later.sql", "SELECT 1;")
        try folder.write("hooks/any.sql", "SELECT 0;")
        let reader = MigrationFolder(url: folder.url)
        let ids = try reader.migrations().map(\.id)
        #expect(ids == ["1.0.0/001_a", "1.1.0/002_b", "2.0.0/001_later"])
        #expect(try #require(reader.migrationIDs()).ids.map(\.id).sorted() == ids)
        #expect(
            reader.fingerprint(upTo: Release(1, 1, 0)) == HistoryFingerprint(ids: ids.dropLast()))
        #expect(reader.fingerprint(upTo: Release(2, 0, 0)) == HistoryFingerprint(ids: ids))

        try folder.write("2.0.0/not a migration.sql", "SELECT 1;")
        #expect(
            reader.fingerprint(upTo: Release(1, 1, 0)) == nil,
            "a bad name in any release takes the full path")
    }
}
