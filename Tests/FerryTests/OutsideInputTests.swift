import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Numbers and files that come from outside: each is checked where it is
/// read, and refused with a usage error naming it, never a crash and never
/// silently skipped.
@Suite struct OutsideInputTests {
    @Test func numbersInTheFileOutOfRangeAreUsageErrorsNamingTheSettingAndTheRange() throws {
        let folder = try TemporaryFolder()
        let cases: [(text: String, expected: String)] = [
            ("[database]\nlock_timeout = 1e20", "[database] lock_timeout = 1e+20 in "),
            ("[database]\nlock_timeout = -1", "[database] lock_timeout = -1 in "),
            ("[database]\nlock_timeout = nan", "[database] lock_timeout = nan in "),
            ("[backups]\nkeep = 0", "[backups] keep = 0 in "),
            ("[backups]\nkeep = 2.5", "[backups] keep = 2.5 in "),
            (
                "[preflight]\nkeep_free_mb = 9223372036854775807",
                "[preflight] keep_free_mb = 9223372036854775807 in "
            ),
        ]
        for (index, item) in cases.enumerated() {
            let file = try folder.write("ferry-\(index).toml", item.text + "\n")
            let error = try #require(throws: FerryError.self, "\(item.text)") {
                try Settings.file(at: file)
            }
            #expect(error.category == .usage)
            #expect(error.message.hasPrefix(item.expected), "\(error.message)")
            #expect(error.message.contains("is out of range: it must be"), "\(error.message)")
        }
        let keep = try #require(throws: FerryError.self) {
            try Settings.file(at: try folder.write("keep.toml", "[backups]\nkeep = 0\n"))
        }
        #expect(
            keep.message.hasSuffix(
                "it must be a whole number of backups from 1 to 1000000 (the backup just made is always kept)."
            ))
        let timeout = try #require(throws: FerryError.self) {
            try Settings.file(
                at: try folder.write("timeout.toml", "[database]\nlock_timeout = 1e20\n"))
        }
        #expect(
            timeout.message.hasSuffix("it must be a number of seconds from 0 to 31536000 (a year).")
        )
        #expect(
            try Settings.file(at: try folder.write("fine.toml", "[database]\nlock_timeout = 0.5\n"))
                .lockTimeout == 0.5)
    }

    @Test func numbersInTheEnvironmentOutOfRangeAreUsageErrors() throws {
        let cases = [
            ("FERRY_LOCK_TIMEOUT", "1e20"), ("FERRY_LOCK_TIMEOUT", "9.3e15"),
            ("FERRY_LOCK_TIMEOUT", "inf"),
            ("FERRY_BACKUPS_KEEP", "0"), ("FERRY_BACKUPS_KEEP", "99999999999999999999"),
            ("FERRY_KEEP_FREE_MB", "99999999999999999999"), ("FERRY_KEEP_FREE_MB", "-3"),
        ]
        for (name, value) in cases {
            let error = try #require(throws: FerryError.self, "\(name)=\(value)") {
                try Settings.environment([name: value])
            }
            #expect(error.category == .usage)
            #expect(error.message.hasPrefix("\(name)=\(value) is out of range"), "\(error.message)")
        }
        let words = try #require(throws: FerryError.self) {
            try Settings.environment(["FERRY_LOCK_TIMEOUT": "soon"])
        }
        #expect(words.message.hasPrefix("FERRY_LOCK_TIMEOUT=soon is not a number"))
        #expect(
            try Settings.environment(["FERRY_LOCK_TIMEOUT": "31536000"]).lockTimeout == 31_536_000)
    }

    @Test func settingsMadeInCodeAreCheckedToo() throws {
        for settings in [
            Settings {
                $0.database = "app.db"
                $0.lockTimeout = 1e300
            },
            Settings {
                $0.database = "app.db"
                $0.keepBackups = 0
            },
            Settings {
                $0.database = "app.db"
                $0.keepFreeMB = Int.max
            },
        ] {
            let error = try #require(throws: FerryError.self) {
                try settings.configuration { _, _ in NoEngine() }
            }
            #expect(error.code == .invalidConfiguration)
        }
        let largest = try Settings {
            $0.database = "app.db"
            $0.lockTimeout = 31_536_000
            $0.keepFreeMB = 1_000_000_000
        }
        .configuration { _, _ in NoEngine() }
        #expect(largest.lockTimeout == .seconds(31_536_000))
        #expect(largest.keepFreeBytes == 1_000_000_000_000_000)
    }

    @Test func aMigrationNumberTooLargeToOrderIsRefusedNamingTheFile() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_first.sql", "SELECT 1;")
        try folder.write("1.0.0/99999999999999999999999_huge.sql", "SELECT 2;")
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(error.code == .invalidMigrations)
        #expect(error.category == .usage)
        #expect(
            error.message.contains(
                "1.0.0/99999999999999999999999_huge.sql has the number 99999999999999999999999"))
    }

    @Test func aFileThatIsNotAMigrationInAReleaseFolderIsRefusedNotSkipped() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_first.sql", "SELECT 1;")
        // Notes and hidden files are left alone.
        try folder.write("1.0.0/README.md", "notes")
        try folder.write("1.0.0/README", "notes")
        try folder.write("1.0.0/changes.TXT", "notes")
        try folder.write("1.0.0/.DS_Store", "\u{0}\u{1}")
        let reader = MigrationFolder(url: folder.url)
        #expect(try reader.migrations().map(\.id) == ["1.0.0/001_first"])
        #expect(reader.fingerprint(upTo: Release(1, 0, 0)) != nil)

        for name in ["002_second.SQL", "002_second.sql~", "002_second.psql"] {
            let file = try folder.write("1.0.0/\(name)", "CREATE TABLE must_exist (x);")
            let error = try #require(throws: FerryError.self, "\(name)") { try reader.migrations() }
            #expect(error.code == .invalidMigrations)
            #expect(error.category == .usage)
            #expect(error.message.hasPrefix("1.0.0/\(name) is not a migration"), "\(error.message)")
            // Start-up's quick path never takes the folder as it is: it falls back to the reading that refuses.
            #expect(reader.fingerprint(upTo: Release(1, 0, 0)) == nil)
            try FileManager.default.removeItem(at: file)
        }
    }
}
