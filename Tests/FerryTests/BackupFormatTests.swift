import Foundation
import Testing

@testable import Ferry

/// The backup format's names: `native` and `sql`, with `sqlite` (its name
/// before PostgreSQL had backups) still read, from manifests and flags.
struct BackupFormatTests {
    @Test func theOldNameSqliteIsReadAsNative() throws {
        #expect(BackupFormat(name: "sqlite") == .native)
        #expect(BackupFormat(name: "native") == .native)
        #expect(BackupFormat(name: "sql") == .sql)
        #expect(BackupFormat(name: "tar") == nil)
    }

    @Test func aManifestWrittenBeforeTheRenameStillDecodes() throws {
        let manifest = BackupManifest(
            producer: "ferry 0.1.0", app: "sensorhub", kind: .manual, format: .native,
            engine: "sqlite",
            database: "app.db", release: "0.3.0", upgradeTo: nil, appliedMigrations: [],
            file: "a.sqlite", size: 1,
            sha256: "00", rowCounts: ["devices": 3],
            created: Date(timeIntervalSince1970: 1_700_000_000),
            verified: nil, note: nil)
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let written = String(decoding: try encoder.encode(manifest), as: UTF8.self)
        #expect(written.contains(#""format" : "native""#))
        let old = written.replacingOccurrences(
            of: #""format" : "native""#, with: #""format" : "sqlite""#)

        let decoded = try JSONDecoder.withTimestamps().decode(
            BackupManifest.self, from: Data(old.utf8))

        #expect(decoded == manifest)
        let wrong = written.replacingOccurrences(
            of: #""format" : "native""#, with: #""format" : "tar""#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder.withTimestamps().decode(BackupManifest.self, from: Data(wrong.utf8))
        }
    }
}
