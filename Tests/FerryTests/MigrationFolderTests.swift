import Ferry
import FerryTestSupport
import Foundation
import Testing

@Suite struct MigrationFolderTests {
    @Test func readsReleasesInSemanticOrderAndFilesByNumber() throws {
        let folder = try TemporaryFolder()
        try folder.write("0.10.0/001_ten.sql", "SELECT 10;")
        try folder.write("0.9.0/010_later.sql", "SELECT 2;")
        try folder.write("0.9.0/002_earlier.sql", "SELECT 1;")
        try folder.write("0.9.0/002_earlier.down.sql", "SELECT -1;")
        try folder.write("0.9.0/002_earlier.verify.sql", "SELECT 1;")
        try folder.write("0.9.0/README.md", "not a migration")
        try folder.write("0.11.0/.keep", "")
        try folder.write("hooks/any.sql", "SELECT 0;")
        let reader = MigrationFolder(url: folder.url)
        let migrations = try reader.migrations()
        #expect(migrations.map(\.id) == ["0.9.0/002_earlier", "0.9.0/010_later", "0.10.0/001_ten"])
        #expect(try reader.releases().map(\.description) == ["0.9.0", "0.10.0", "0.11.0"])
        let earlier = migrations[0]
        #expect(earlier.down?.text == "SELECT -1;")
        #expect(earlier.verify?.file == "0.9.0/002_earlier.verify.sql")
        #expect(earlier.checksum == Checksum.sha256("SELECT 1;"))
        #expect(earlier.isTransactional)
    }

    @Test func readsTheNoTransactionOption() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "1.0.0/001_index.sql",
            "-- Build the index alone.\n-- ferry:no-transaction\nCREATE INDEX i ON t(x);\n-- ferry:ignored-here\n"
        )
        let migration = try #require(try MigrationFolder(url: folder.url).migrations().first)
        #expect(!migration.isTransactional)
        #expect(migration.kind == .sqlWithoutTransaction)
    }

    @Test func readsTheOwnTransactionOptionAndRefusesBoth() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "1.0.0/001_enum.sql", "-- ferry:own-transaction\nALTER TYPE mood ADD VALUE 'great';\n")
        let migration = try #require(try MigrationFolder(url: folder.url).migrations().first)
        #expect(migration.transaction == .own)
        #expect(migration.isTransactional)
        #expect(migration.kind == .sql)
        try folder.write(
            "1.0.0/001_enum.sql", "-- ferry:own-transaction\n-- ferry:no-transaction\nSELECT 1;")
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(error.message.contains("sets both"))
    }

    @Test func refusesAnUnknownOption() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_index.sql", "-- ferry:no-transactoin\nSELECT 1;")
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(error.code == .invalidMigrations)
        #expect(error.message.contains("ferry:no-transactoin"))
        #expect(error.category == .usage)
    }

    @Test(arguments: [
        ("1.0.0/create.sql", "not named like a migration"),
        ("1.0.0/001_a b.sql", "not named like a migration"),
        ("1.0.0/001_x.down.sql", "has no up script"),
        ("1.0.0/001_x.verify.sql", "has no up script"),
        ("latest/001_x.sql", "is not a release folder"),
    ])
    func refusesMalformedLayouts(path: String, expected: String) throws {
        let folder = try TemporaryFolder()
        try folder.write(path, "SELECT 1;")
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(error.message.contains(expected))
    }

    @Test func refusesTwoMigrationsWithOneNumber() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_a.sql", "SELECT 1;")
        try folder.write("1.0.0/1_b.sql", "SELECT 1;")
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        // Named in the order they sort, whatever order the folder lists them in.
        #expect(error.message == "1.0.0/001_a.sql and 1.0.0/1_b.sql have the same number 1.")
    }

    @Test func refusesAMissingFolderWithAdvice() throws {
        let error = try #require(throws: FerryError.self) {
            try MigrationFolder(url: URL(fileURLWithPath: "/nonexistent/migrations")).migrations()
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.advice?.contains("Configuration.migrationsDirectory") == true)
    }

    @Test func mergesSwiftMigrationsInOrder() throws {
        let folder = try TemporaryFolder()
        try folder.write("1.0.0/001_a.sql", "SELECT 1;")
        try folder.write("1.0.0/003_c.sql", "SELECT 3;")
        var registry = MigrationRegistry()
        try registry.register(release: "1.0.0", name: "002_b") { _ in }
        try registry.register(release: "0.5.0", name: "001_early", checksum: "v1") { _ in }
        let catalog = try MigrationCatalog(folder: folder.url, registry: registry)
        #expect(
            catalog.migrations.map(\.id) == [
                "0.5.0/001_early", "1.0.0/001_a", "1.0.0/002_b", "1.0.0/003_c",
            ])
        #expect(catalog.migrations[0].hasComparableChecksum)
        #expect(!catalog.migrations[2].hasComparableChecksum)
        #expect(throws: FerryError.self) {
            try registry.register(release: "1.0.0", name: "002_b") { _ in }
        }
        #expect(throws: FerryError.self) {
            try registry.register(release: "one", name: "004_d") { _ in }
        }
    }

    /// Scripts in several releases, read by their bytes' names: each migration keeps its own
    /// scripts, in the order they run, and what is wrong is said of the first migration it
    /// concerns.
    @Test func manyScriptsKeepTheirOrderAndTheFirstFaultIsSaid() throws {
        let folder = try TemporaryFolder()
        let releases = ["1.0.0", "1.1.0", "2.0.0"]
        for release in releases {
            for number in 1...150 {
                let stem = String(format: "%03d_step", number)
                try folder.write("\(release)/\(stem).sql", "SELECT '\(release) \(number)';")
                if number % 7 == 0 {
                    try folder.write(
                        "\(release)/\(stem).down.sql", "SELECT 'down \(release) \(number)';")
                }
                if number % 11 == 0 {
                    try folder.write(
                        "\(release)/\(stem).verify.sql", "SELECT 'verify \(release) \(number)';")
                }
            }
        }
        let migrations = try MigrationFolder(url: folder.url).migrations()
        #expect(migrations.count == 450)
        for (index, migration) in migrations.enumerated() {
            let release = releases[index / 150]
            let number = index % 150 + 1
            #expect(migration.id == String(format: "\(release)/%03d_step", number))
            #expect(migration.checksum == Checksum.sha256("SELECT '\(release) \(number)';"))
            #expect(
                migration.down?.text
                    == (number % 7 == 0 ? "SELECT 'down \(release) \(number)';" : nil))
            #expect(
                migration.verify?.text
                    == (number % 11 == 0 ? "SELECT 'verify \(release) \(number)';" : nil))
        }

        // A script that is not UTF-8 late in the last release, an unknown option earlier: the
        // option is said; once it is mended, the script.
        try folder.write("2.0.0/140_step.sql", "-- ferry:no-transactoin\nSELECT 1;")
        try Data([0x53, 0xff, 0xfe]).write(
            to: folder.url.appendingPathComponent("2.0.0/149_step.sql"))
        let option = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(option.message.contains("2.0.0/140_step.sql sets the unknown option"))
        try folder.write("2.0.0/140_step.sql", "SELECT 1;")
        let encoding = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(encoding.message == "2.0.0/149_step.sql is not UTF-8 text.")
        // A down script that cannot be read (a folder in its place is refused as such; a FIFO is
        // not a regular file), in the first release, comes before both.
        try FileManager.default.removeItem(
            at: folder.url.appendingPathComponent("1.0.0/007_step.down.sql"))
        #expect(
            mkfifo(folder.url.appendingPathComponent("1.0.0/007_step.down.sql").path, 0o644) == 0)
        let unreadable = try #require(throws: FerryError.self) {
            try MigrationFolder(url: folder.url).migrations()
        }
        #expect(unreadable.message.hasPrefix("Cannot read 1.0.0/007_step.down.sql: "))
    }
}
