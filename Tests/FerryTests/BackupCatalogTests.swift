import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The catalog on real files: manifests it must not trust, names it must
/// not reuse, files outside it that retention must never delete.
@Suite struct BackupCatalogTests {
    let folder: TemporaryFolder
    let catalog: BackupCatalog

    init() throws {
        folder = try TemporaryFolder()
        catalog = BackupCatalog(
            folder: folder.url.appendingPathComponent("data/backups"), engineName: "sqlite")
        try FileManager.default.createDirectory(
            at: catalog.folder, withIntermediateDirectories: true)
    }

    /// A backup file and its manifest, made `minutesAgo` minutes ago.
    @discardableResult
    func makeBackup(
        _ name: String, minutesAgo: Double, kind: BackupKind = .manual, file: String? = nil,
        engine: String = "sqlite"
    ) throws -> URL {
        let data = Data("backup \(name)".utf8)
        let fileName = file ?? name + ".sqlite"
        if file == nil { try data.write(to: catalog.folder.appendingPathComponent(fileName)) }
        let created = Date().addingTimeInterval(-minutesAgo * 60)
        let manifest = BackupManifest(
            producer: "test", app: "app", kind: kind, format: .native, engine: engine,
            database: "app.db",
            release: "1.0.0", upgradeTo: nil, appliedMigrations: [], file: fileName,
            size: Int64(data.count),
            sha256: Checksum.sha256(data), rowCounts: nil, created: created, verified: created,
            note: nil)
        return try catalog.writeManifest(manifest, name: name)
    }

    @Test func aManifestNamingAFileOutsideTheCatalogIsUnusableAndRetentionNeverDeletesIt() throws {
        let victim = try folder.write("victim.txt", "precious")
        let linked = try folder.write("linked.txt", "also precious")
        try makeBackup("old", minutesAgo: 30)
        try makeBackup("older", minutesAgo: 40)
        try makeBackup("escape", minutesAgo: 50, file: "../../victim.txt")
        try FileManager.default.createSymbolicLink(
            atPath: catalog.folder.appendingPathComponent("link.sqlite").path,
            withDestinationPath: linked.path)
        try makeBackup("link", minutesAgo: 60, file: "link.sqlite")
        try makeBackup("newest", minutesAgo: 1)
        // The newest entry of all, cut short: it must not count as the one backup kept.
        let cut = try makeBackup("cut", minutesAgo: 0)
        try Data("{\"kind\" : ".utf8).write(to: cut)

        let listing = try catalog.listing()
        #expect(listing.backups.map(\.name) == ["newest.sqlite", "old.sqlite", "older.sqlite"])
        #expect(listing.unusable.map(\.name) == ["cut", "escape", "link"])
        #expect(
            listing.unusable[1].reason.contains(
                "'../../victim.txt', which is not a plain file name in the catalog"))
        #expect(listing.unusable[2].reason.contains("link.sqlite is a link"))

        let deleted = try catalog.applyRetention(keep: 1, keepManual: 1, protecting: [])
        #expect(deleted.map(\.name) == ["old.sqlite", "older.sqlite"])
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious")
        #expect(try String(contentsOf: linked, encoding: .utf8) == "also precious")
        #expect(
            try catalog.listing().unusable.map(\.name) == ["cut", "escape", "link"],
            "unusable entries are left for a person")
        #expect(
            FileManager.default.fileExists(
                atPath: catalog.folder.appendingPathComponent("cut.sqlite").path))

        let refusal = try #require(throws: FerryError.self) { try catalog.backup(named: "escape") }
        #expect(refusal.code == .backupCorrupt)
        #expect(refusal.category == .refused)
        #expect(refusal.message.contains("The backup escape cannot be restored"))
    }

    @Test func aDamagedManifestIsListedAsDamagedAndRefusedByName() throws {
        let good = try makeBackup("good", minutesAgo: 10)
        let truncated = try makeBackup("truncated", minutesAgo: 5)
        let text = try Data(contentsOf: truncated)
        try text.prefix(text.count / 2).write(to: truncated)
        let mistyped = try makeBackup("mistyped", minutesAgo: 20)
        let json = try String(contentsOf: mistyped, encoding: .utf8)
        try json.replacingOccurrences(of: "\"size\" : ", with: "\"size\" : \"many\", \"x\" : ")
            .write(to: mistyped, atomically: false, encoding: .utf8)

        let listing = try catalog.listing()
        #expect(listing.backups.map(\.name) == ["good.sqlite"])
        let reasons = Dictionary(
            uniqueKeysWithValues: listing.unusable.map { ($0.name, $0.reason) })
        #expect(
            reasons["truncated"]
                == "its manifest is damaged: it is not valid JSON (cut short, changed, or with more after it)"
        )
        #expect(
            reasons["mistyped"] == "its manifest is damaged: the field 'size' has the wrong type")
        // The readable fields of the mistyped manifest still say what it was.
        #expect(listing.unusable.first { $0.name == "mistyped" }?.kind == .manual)

        for name in ["truncated", "truncated.json", "truncated.sqlite"] {
            let refusal = try #require(throws: FerryError.self) { try catalog.backup(named: name) }
            #expect(refusal.code == .backupCorrupt, "\(name)")
            #expect(
                refusal.message.contains(
                    "it is not valid JSON (cut short, changed, or with more after it)"))
        }
        #expect(FileManager.default.fileExists(atPath: good.path))
    }

    @Test func manifestsOfAnotherFormatOrEngineOrWithoutTheirFileAreUnusable() throws {
        let newer = try makeBackup("newer-format", minutesAgo: 1)
        try String(contentsOf: newer, encoding: .utf8)
            .replacingOccurrences(of: "\"formatVersion\" : 1", with: "\"formatVersion\" : 7")
            .write(to: newer, atomically: false, encoding: .utf8)
        try makeBackup("server", minutesAgo: 2, engine: "postgresql")
        try makeBackup("gone", minutesAgo: 3)
        try FileManager.default.removeItem(at: catalog.folder.appendingPathComponent("gone.sqlite"))

        // A FIFO named like a manifest would hang a read: it is not read.
        #expect(mkfifo(catalog.folder.appendingPathComponent("pipe.json").path, 0o600) == 0)

        let reasons = Dictionary(
            uniqueKeysWithValues: try catalog.listing().unusable.map { ($0.name, $0.reason) })
        #expect(reasons["pipe"] == "its manifest pipe.json is not a regular file")
        #expect(
            reasons["newer-format"]?.contains("format 7, which this program does not read") == true)
        #expect(reasons["newer-format"]?.contains("a newer release of Ferry") == true)
        #expect(
            reasons["server"]
                == "it is a backup of a postgresql database, and this database is sqlite")
        #expect(reasons["gone"] == "its file gone.sqlite is missing")
        #expect(try catalog.list().isEmpty)
    }

    @Test func aBackupIsFoundByItsNameWithOrWithoutItsExtension() throws {
        try makeBackup("app-1.0.0-manual-2026-12-01T10-00-00Z", minutesAgo: 1)
        for name in [
            "app-1.0.0-manual-2026-12-01T10-00-00Z.sqlite", "app-1.0.0-manual-2026-12-01T10-00-00Z",
            "app-1.0.0-manual-2026-12-01T10-00-00Z.json",
            "/elsewhere/app-1.0.0-manual-2026-12-01T10-00-00Z.sqlite",
        ] {
            #expect(
                try catalog.backup(named: name).name
                    == "app-1.0.0-manual-2026-12-01T10-00-00Z.sqlite", "\(name)")
        }
        let missing = try #require(throws: FerryError.self) {
            try catalog.backup(named: "app-1.0.0-manual")
        }
        #expect(missing.code == .backupNotFound)
    }

    @Test func backupsPlacedUnderOneNameNeverOverwriteEachOther() throws {
        let work = catalog.folder.appendingPathComponent(".work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // A file of a backup whose manifest was never written still takes its name.
        try Data("orphan".utf8).write(
            to: catalog.folder.appendingPathComponent("app-same-3.sqlite"))
        var placed: [Backup] = []
        for number in 1...3 {
            let temporary = work.appendingPathComponent("copy-\(number)")
            let data = Data("copy \(number)".utf8)
            try data.write(to: temporary)
            let manifest = BackupManifest(
                producer: "test", app: "app", kind: .manual, format: .native, engine: "sqlite",
                database: "app.db",
                release: "1.0.0", upgradeTo: nil, appliedMigrations: [], file: "ignored",
                size: Int64(data.count),
                sha256: Checksum.sha256(data), rowCounts: nil, created: Date(), verified: Date(),
                note: nil)
            placed.append(
                try catalog.place(
                    temporary, as: "app-same", fileExtension: "sqlite", manifest: manifest))
        }
        #expect(
            placed.map(\.name) == ["app-same.sqlite", "app-same-2.sqlite", "app-same-4.sqlite"])
        for (index, backup) in placed.enumerated() {
            #expect(try String(contentsOf: backup.file, encoding: .utf8) == "copy \(index + 1)")
        }
        #expect(
            try String(
                contentsOf: catalog.folder.appendingPathComponent("app-same-3.sqlite"),
                encoding: .utf8) == "orphan")
        #expect(Set(try catalog.list().map(\.name)) == Set(placed.map(\.name)))
        let next = catalog.newName(
            app: "app", kind: .manual, release: "1.0.0", upgradeTo: nil,
            at: Date(timeIntervalSince1970: 0),
            fileExtension: "sqlite")
        #expect(next == "app-1.0.0-manual-1970-01-01T00-00-00Z")
    }
}
