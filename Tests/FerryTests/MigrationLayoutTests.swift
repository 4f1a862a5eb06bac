import Ferry
import FerryTestSupport
import Foundation
import Testing

/// Each foreign layout read from a folder laid out as its tool documents,
/// with the tool's ordering traps, and detected from its files.
@Suite struct MigrationLayoutTests {
    /// Reads a folder in a layout, with every migration in release 1.0.0.
    func read(_ folder: TemporaryFolder, _ layout: MigrationLayout) throws -> [Migration] {
        try ForeignMigrationFolder(
            url: folder.url, layout: layout, programRelease: Release(1, 0, 0)
        ).read().migrations
    }

    @Test func flywayComparesVersionPartsAsNumbersAndRunsRepeatablesLast() throws {
        let folder = try TemporaryFolder()
        try folder.write("V1.10__ten.sql", "SELECT 10;")
        try folder.write("V1.9__nine.sql", "SELECT 9;")
        try folder.write("V1__one.sql", "SELECT 1;")
        try folder.write("sub/V1_2__two.sql", "SELECT 2;")
        try folder.write("U1.9__nine.sql", "SELECT -9;")
        try folder.write("R__b_view.sql", "SELECT 'b';")
        try folder.write("R__a_view.sql", "SELECT 'a';")
        try folder.write("V1.10__ten.sql.conf", "# built alone\nexecuteInTransaction=false\n")
        try folder.write("README.md", "notes")
        try folder.write("afterClean.sql", "SELECT 0;")
        let migrations = try read(folder, .flyway)
        #expect(
            migrations.map(\.name) == [
                "V1__one", "V1_2__two", "V1.9__nine", "V1.10__ten", "R__a_view", "R__b_view",
            ])
        #expect(migrations[2].down?.text == "SELECT -9;")
        #expect(migrations[3].transaction == .none)
        #expect(migrations[4].isRepeatable && !migrations[0].isRepeatable)
        if case .sql(let script) = migrations[1].body {
            #expect(script.file == "sub/V1_2__two.sql")
        }
        #expect(migrations.map(\.release.description) == Array(repeating: "1.0.0", count: 6))
        // A callback that `flyway migrate` runs is refused, not left unrun.
        try folder.write("sub/afterMigrate__grants.sql", "GRANT SELECT ON t TO reader;")
        #expect {
            try read(folder, .flyway)
        } throws: { error in
            (error as? FerryError)?.message.contains(
                "sub/afterMigrate__grants.sql: a Flyway callback")
                == true
        }
    }

    @Test func flywayRefusesTwoFilesOfOneVersionWithTrailingZerosIgnored() throws {
        let folder = try TemporaryFolder()
        try folder.write("V1__one.sql", "SELECT 1;")
        try folder.write("V1.0__same.sql", "SELECT 1;")
        #expect {
            try read(folder, .flyway)
        } throws: { error in
            let error = try #require(error as? FerryError)
            return error.code == .invalidMigrations && error.message.contains("version 1")
        }
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("V1.0__same.sql"))
        try folder.write("V1.a__letters.sql", "SELECT 1;")
        #expect(throws: FerryError.self) { try read(folder, .flyway) }
        // A placeholder is a value Flyway would put in: running the text as it is would differ.
        try FileManager.default.removeItem(
            at: folder.url.appendingPathComponent("V1.a__letters.sql"))
        try folder.write("V2__grant.sql", "GRANT SELECT ON t TO ${flyway:user};")
        #expect {
            try read(folder, .flyway)
        } throws: { error in
            (error as? FerryError)?.message.contains("${flyway:user}") == true
        }
    }

    @Test func golangMigrateOrdersNumbersOfDifferentWidths() throws {
        let folder = try TemporaryFolder()
        try folder.write("0010_ten.up.sql", "SELECT 10;")
        try folder.write("0010_ten.down.sql", "SELECT -10;")
        try folder.write("2_two.up.sql", "SELECT 2;")
        try folder.write("000001_one.up.sql", "SELECT 1;")
        try folder.write("notes.txt", "not read")
        let migrations = try read(folder, .golangMigrate)
        #expect(migrations.map(\.name) == ["000001_one", "2_two", "0010_ten"])
        #expect(migrations[2].down?.text == "SELECT -10;")
        #expect(migrations[0].down == nil)
    }

    /// golang-migrate runs each file as it is, so its users often wrap one in
    /// `BEGIN;` … `COMMIT;`: Ferry runs the rest inside its own transaction,
    /// where those two statements would end it, and compares the file as read.
    @Test func golangMigrateRunsAFileWrappedInItsOwnTransactionInsideFerrys() throws {
        let folder = try TemporaryFolder()
        let wrapped = "-- adds t\nBEGIN;\nCREATE TABLE t (x);\nCOMMIT;\n"
        try folder.write("1_wrapped.up.sql", wrapped)
        try folder.write("1_wrapped.down.sql", "BEGIN;\nDROP TABLE t;\nEND;\n")
        try folder.write("2_partly.up.sql", "BEGIN;\nCREATE TABLE u (x);\nCOMMIT;\nSELECT 1;\n")
        let migrations = try read(folder, .golangMigrate)
        guard case .sql(let up) = migrations[0].body, case .sql(let partly) = migrations[1].body
        else {
            Issue.record("SQL migrations expected")
            return
        }
        #expect(up.text == "-- adds t\n\nCREATE TABLE t (x);\n\n")
        #expect(migrations[0].down?.text == "\nDROP TABLE t;\n\n")
        #expect(migrations[0].transaction == .shared)
        #expect(migrations[0].checksum == SQLScript(text: wrapped).checksum)
        // Not wrapped whole: left as written, and Ferry refuses its COMMIT when it runs.
        #expect(partly.text.contains("COMMIT;"))
    }

    @Test func dieselReadsFoldersWithMetadata() throws {
        let folder = try TemporaryFolder()
        try folder.write("2024-01-10-000000_ten/up.sql", "SELECT 10;")
        try folder.write("2024-01-10-000000_ten/down.sql", "SELECT -10;")
        try folder.write("2024-01-10-000000_ten/metadata.toml", "run_in_transaction = false\n")
        try folder.write("2024-01-02-000000_two/up.sql", "SELECT 2;")
        try folder.write("00000000000000_diesel_initial_setup/up.sql", "SELECT 0;")
        try folder.write("not_a_migration/readme.md", "left alone")
        let migrations = try read(folder, .diesel)
        #expect(
            migrations.map(\.name) == [
                "00000000000000_diesel_initial_setup", "2024-01-02-000000_two",
                "2024-01-10-000000_ten",
            ])
        #expect(migrations[2].transaction == .none && migrations[2].down?.text == "SELECT -10;")
    }

    @Test func sqlxReadsSimpleAndReversibleMigrationsAndNoTransaction() throws {
        let folder = try TemporaryFolder()
        try folder.write("1_one.sql", "SELECT 1;")
        try folder.write("10_ten.up.sql", "-- no-transaction\nSELECT 10;")
        try folder.write("10_ten.down.sql", "SELECT -10;")
        try folder.write("9_nine.sql", "SELECT 9;")
        try folder.write("schema.sql.bak", "left alone")
        let migrations = try read(folder, .sqlx)
        #expect(migrations.map(\.name) == ["1_one", "9_nine", "10_ten"])
        #expect(migrations[2].transaction == .none && migrations[2].down?.text == "SELECT -10;")
        try folder.write("x_bad.sql", "SELECT 1;")
        #expect(throws: FerryError.self) { try read(folder, .sqlx) }
    }

    @Test func gooseSplitsUpAndDownAndKeepsStatementBlocks() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "00002_function.sql",
            """
            -- +goose Up
            -- +goose StatementBegin
            CREATE FUNCTION f() RETURNS int AS $$
            BEGIN
              PERFORM 1;
              RETURN 1;
            END;
            $$ LANGUAGE plpgsql;
            -- +goose StatementEnd

            -- +goose Down
            DROP FUNCTION f();
            """)
        try folder.write(
            "00001_create.sql", "-- +goose NO TRANSACTION\n-- +GOOSE UP\nCREATE TABLE t (id int);\n"
        )
        let migrations = try read(folder, .goose)
        #expect(migrations.map(\.name) == ["00001_create", "00002_function"])
        #expect(migrations[0].transaction == .none && migrations[0].down == nil)
        let function = migrations[1]
        guard case .sql(let up) = function.body else {
            Issue.record("not SQL")
            return
        }
        #expect(up.text.contains("PERFORM 1;\n  RETURN 1;") && !up.text.contains("DROP FUNCTION"))
        #expect(function.down?.text.contains("DROP FUNCTION f();") == true)
        // The down script keeps the file's line numbers, for messages.
        #expect(function.down.map { $0.line(at: $0.text.range(of: "DROP")!.lowerBound) } == 12)
        try folder.write("00003_bad.sql", "-- +goose Up\n-- +goose ENVSUB ON\nSELECT 1;\n")
        #expect(throws: FerryError.self) { try read(folder, .goose) }
    }

    @Test func partsOfAFileKeepItsLineEndsAsData() throws {
        // A line end inside a string literal is data: the up part keeps the file's bytes.
        let folder = try TemporaryFolder()
        try folder.write(
            "00001_note.sql",
            "-- +goose Up\r\nINSERT INTO t VALUES ('a\r\nb');\r\n-- +goose Down\r\nDELETE FROM t;\r\n"
        )
        let goose = try #require(try read(folder, .goose).first)
        guard case .sql(let up) = goose.body else { return }
        #expect(up.text == "-- +goose Up\r\nINSERT INTO t VALUES ('a\r\nb');\r\n")
        #expect(goose.down?.text == "\r\n\r\n\r\n-- +goose Down\r\nDELETE FROM t;\r\n")
        let sqitch = try TemporaryFolder()
        try sqitch.write("sqitch.plan", "%project=app\r\n\r\nnote 2024-01-01T00:00:00Z A <a@b>\r\n")
        try sqitch.write(
            "deploy/note.sql", "BEGIN;\r\nINSERT INTO t VALUES ('a\r\nb');\r\nCOMMIT;\r\n")
        let change = try #require(try read(sqitch, .sqitch).first)
        guard case .sql(let deploy) = change.body else { return }
        #expect(deploy.text == "\r\nINSERT INTO t VALUES ('a\r\nb');\r\n\r\n")
    }

    @Test func dbmateSortsByFileNameAndRequiresBothParts() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "20240102000000_two.sql",
            "-- migrate:up transaction:false\nCREATE INDEX i ON t (id);\n\n-- migrate:down\nDROP INDEX i;\n"
        )
        try folder.write(
            "20240101000000_one.sql", "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\n")
        let migrations = try read(folder, .dbmate)
        #expect(migrations.map(\.name) == ["20240101000000_one", "20240102000000_two"])
        #expect(migrations[0].down == nil, "an empty down part reverts nothing")
        #expect(migrations[1].transaction == .none && migrations[1].down != nil)
        try folder.write("20240103000000_three.sql", "-- migrate:up\nSELECT 1;\n")
        #expect(throws: FerryError.self) { try read(folder, .dbmate) }
    }

    @Test func sqitchFollowsThePlanWithTagsAsReleasesAndReworks() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "sqitch.plan",
            """
            %syntax-version=1.0.0
            %project=app

            users 2024-01-01T00:00:00Z A <a@example.com> # users
            @v1.0 2024-01-01T00:00:01Z A <a@example.com> # one
            flips [users] 2024-01-02T00:00:00Z A <a@example.com> # flips
            users [users@v1.0] 2024-01-02T00:00:00Z A <a@example.com> # rework
            @v1.1.0 2024-01-03T00:00:00Z A <a@example.com> # two
            later 2024-01-04T00:00:00Z A <a@example.com>

            """)
        for (name, text) in [
            ("users@v1.0", "CREATE TABLE users (id int);"),
            ("users", "ALTER TABLE users ADD x int;"),
            ("flips", "CREATE TABLE flips (id int);"), ("later", "SELECT 1;"),
        ] {
            try folder.write("deploy/\(name).sql", "-- Deploy\n\nBEGIN;\n\n\(text)\n\nCOMMIT;\n")
            try folder.write("revert/\(name).sql", "BEGIN;\nSELECT 0;\nCOMMIT;\n")
        }
        try folder.write("verify/flips.sql", "BEGIN;\nSELECT id FROM flips WHERE 0;\nROLLBACK;\n")
        let (releases, migrations) = try ForeignMigrationFolder(
            url: folder.url, layout: .sqitch, programRelease: Release(1, 2, 0)
        ).read()
        #expect(
            migrations.map(\.id) == ["1.0.0/users", "1.1.0/flips", "1.1.0/users", "1.2.0/later"])
        #expect(releases.map(\.description) == ["1.0.0", "1.1.0", "1.2.0"])
        guard case .sql(let first) = migrations[0].body else { return }
        #expect(first.text.contains("CREATE TABLE users") && !first.text.contains("BEGIN"))
        #expect(!first.text.contains("COMMIT") && migrations[0].transaction == .shared)
        #expect(migrations[1].verify?.text.contains("ROLLBACK") == false)
        // A sqitch.conf that moves the scripts elsewhere is not followed, and says so.
        try folder.write("sqitch.conf", "[core]\n\tengine = pg\n\t# top_dir = .\n\ttop_dir = db\n")
        #expect(throws: FerryError.self) {
            try ForeignMigrationFolder(
                url: folder.url, layout: .sqitch, programRelease: Release(1, 2, 0)
            ).read()
        }
    }

    @Test func releaseBoundariesAssignMigrationsAndRefuseAnUnknownOne() throws {
        let folder = try TemporaryFolder()
        for number in 1...4 { try folder.write("\(number)_m\(number).up.sql", "SELECT \(number);") }
        let read = try ForeignMigrationFolder(
            url: folder.url, layout: .golangMigrate,
            boundaries: [
                ReleaseBoundary(release: Release(2, 0, 0), through: "3"),
                ReleaseBoundary(release: Release(1, 0, 0), through: "1_m1"),
            ], programRelease: Release(3, 0, 0)
        ).read()
        #expect(
            read.migrations.map(\.id) == ["1.0.0/1_m1", "2.0.0/2_m2", "2.0.0/3_m3", "3.0.0/4_m4"])
        #expect(throws: FerryError.self) {
            try ForeignMigrationFolder(
                url: folder.url, layout: .golangMigrate,
                boundaries: [ReleaseBoundary(release: Release(1, 0, 0), through: "99")],
                programRelease: Release(3, 0, 0)
            ).read()
        }
        // Without a release to put them in, the migrations are refused with what to set.
        #expect {
            try ForeignMigrationFolder(url: folder.url, layout: .golangMigrate).read()
        } throws: { error in
            (error as? FerryError)?.advice?.contains("[app] release") == true
        }
    }

    /// `[[release]] pattern` reads each migration's release out of its file
    /// name; a file without one is in the release of the one before it.
    @Test func aPatternReadsTheReleasesOutOfTheFileNames() throws {
        let folder = try TemporaryFolder()
        for (number, name) in [
            (1, "r1.0.0_devices"), (2, "sensors"), (3, "r1.2.0_history"), (4, "index"),
        ] {
            try folder.write("\(number)_\(name).up.sql", "SELECT \(number);")
        }
        let settings = try folder.write(
            "ferry.toml",
            """
            [[release]]
            pattern = '_r(?<release>\\d+\\.\\d+\\.\\d+)_'
            """)
        let pattern = try #require(try Settings.file(at: settings).releasePatterns?.first)
        let read = try ForeignMigrationFolder(
            url: folder.url, layout: .golangMigrate, programRelease: Release(2, 0, 0),
            pattern: pattern
        ).read()
        #expect(
            read.migrations.map(\.id) == [
                "1.0.0/1_r1.0.0_devices", "1.0.0/2_sensors", "1.2.0/3_r1.2.0_history",
                "1.2.0/4_index",
            ])
        #expect(read.releases == [Release(1, 0, 0), Release(1, 2, 0)])

        // A release that goes back, and a first file without one, are refused naming the file.
        try folder.write("5_r1.1.0_late.up.sql", "SELECT 5;")
        #expect {
            try ForeignMigrationFolder(
                url: folder.url, layout: .golangMigrate, pattern: pattern
            ).read()
        } throws: { error in
            (error as? FerryError)?.message.contains("5_r1.1.0_late.up.sql") == true
        }
        try folder.write("0_first.up.sql", "SELECT 0;")
        #expect {
            try ForeignMigrationFolder(
                url: folder.url, layout: .golangMigrate, pattern: pattern
            ).read()
        } throws: { error in
            (error as? FerryError)?.message.contains("0_first.up.sql") == true
        }
        #expect(throws: FerryError.self) { try ReleasePattern("no group") }
        #expect(throws: FerryError.self) { try ReleasePattern("(unclosed") }
        #expect(throws: FerryError.self) {
            _ = try ReleasePattern("_r(\\w+)_").release(in: "1_rabc_x.sql")
        }
    }

    @Test func detectsTheLayoutOnlyWhenTheFilesFitOne() throws {
        let flyway = try TemporaryFolder()
        try flyway.write("V1__one.sql", "SELECT 1;")
        #expect(try MigrationLayout.detect(in: flyway.url) == .flyway)
        let goose = try TemporaryFolder()
        try goose.write("00001_one.sql", "-- +goose Up\nSELECT 1;\n")
        #expect(try MigrationLayout.detect(in: goose.url) == .goose)
        let dbmate = try TemporaryFolder()
        try dbmate.write("20240101000000_one.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n")
        #expect(try MigrationLayout.detect(in: dbmate.url) == .dbmate)
        let diesel = try TemporaryFolder()
        try diesel.write("2024-01-01-000000_one/up.sql", "SELECT 1;")
        #expect(try MigrationLayout.detect(in: diesel.url) == .diesel)
        let sqlx = try TemporaryFolder()
        try sqlx.write("1_one.sql", "SELECT 1;")
        #expect(try MigrationLayout.detect(in: sqlx.url) == .sqlx)
        let sqitch = try TemporaryFolder()
        try sqitch.write("sqitch.plan", "%project=app\n")
        try sqitch.write("deploy/one.sql", "SELECT 1;")
        #expect(try MigrationLayout.detect(in: sqitch.url) == .sqitch)
        let native = try TemporaryFolder()
        try native.write("0.1.0/001_one.sql", "SELECT 1;")
        #expect(try MigrationLayout.detect(in: native.url) == .ferry)
        #expect(try MigrationLayout.detect(in: native.url.appendingPathComponent("none")) == .ferry)
        // golang-migrate's names are SQLx's too: the user must say which.
        let ambiguous = try TemporaryFolder()
        try ambiguous.write("1_one.up.sql", "SELECT 1;")
        #expect {
            try MigrationLayout.detect(in: ambiguous.url)
        } throws: { error in
            let error = try #require(error as? FerryError)
            return error.code == .invalidConfiguration
                && error.message.contains("golang-migrate, sqlx")
        }
    }

    @Test(arguments: MigrationLayout.allCases)
    func newNumbersAfterTheExistingMigrations(layout: MigrationLayout) throws {
        let folder = try TemporaryFolder()
        switch layout {
        case .ferry: try folder.write("0.1.0/009_one.sql", "SELECT 1;")
        case .flyway: try folder.write("V1.10__one.sql", "SELECT 1;")
        case .golangMigrate: try folder.write("000009_one.up.sql", "SELECT 1;")
        case .diesel: try folder.write("2024-01-01-000000_one/up.sql", "SELECT 1;")
        case .sqlx: try folder.write("20240101000000_one.sql", "SELECT 1;")
        case .goose: try folder.write("00009_one.sql", "-- +goose Up\nSELECT 1;\n")
        case .dbmate:
            try folder.write(
                "20240101000000_one.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n")
        case .sqitch:
            try folder.write(
                "sqitch.plan", "%project=app\n\none 2024-01-01T00:00:00Z A <a@b> # one\n")
            try folder.write("deploy/one.sql", "BEGIN;\nSELECT 1;\nCOMMIT;\n")
        }
        let hasVerify = layout == .ferry || layout == .sqitch
        let files = try NewMigration.files(
            named: "two", in: folder.url, layout: layout, release: nil, down: layout != .dbmate,
            verify: hasVerify)
        try NewMigration.write(files)
        let names = files.map { $0.url.path.dropFirst(folder.url.path.count + 1) }
        switch layout {
        case .ferry:
            #expect(
                names == [
                    "0.1.0/010_two.sql", "0.1.0/010_two.down.sql", "0.1.0/010_two.verify.sql",
                ])
        case .flyway: #expect(names == ["V2__two.sql", "U2__two.sql"])
        case .golangMigrate: #expect(names == ["000010_two.up.sql", "000010_two.down.sql"])
        case .goose: #expect(names == ["00010_two.sql"])
        case .sqitch:
            #expect(names == ["sqitch.plan", "deploy/two.sql", "revert/two.sql", "verify/two.sql"])
        default: #expect(names.allSatisfy { $0.contains("_two") })
        }
        // The folder read again has the new migration last, with its down script.
        let migrations: [Migration]
        if layout == .ferry {
            migrations = try MigrationFolder(url: folder.url).migrations()
        } else {
            migrations = try read(folder, layout)
        }
        #expect(migrations.count == 2)
        #expect(migrations.last?.name.hasSuffix("two") == true, "\(migrations.map(\.name))")
        // dbmate's down part and Sqitch's templates hold no statement until they are written: a
        // downgrade restores the backup rather than run them.
        if layout != .dbmate && layout != .sqitch { #expect(migrations.last?.down != nil) }
        if layout == .ferry { #expect(migrations.last?.verify != nil) }
        if !hasVerify {
            #expect(throws: FerryError.self) {
                try NewMigration.files(
                    named: "three", in: folder.url, layout: layout, release: nil, down: false,
                    verify: true)
            }
        }
    }

    /// Files no tool would write: each layout reads them or refuses them with
    /// a ``FerryError``, and never crashes.
    @Test(arguments: MigrationLayout.allCases.filter { $0 != .ferry })
    func oddFilesAreReadOrRefusedNeverACrash(layout: MigrationLayout) throws {
        let odd: [(String, [UInt8])] = [
            ("", []), ("-- +goose Up\n-- +goose StatementBegin\n", []),
            ("-- migrate:down\n-- migrate:up\n", []), ("\r\r\n\n", []),
            ("", [0xFF, 0xFE, 0x00, 0x41]), ("BEGIN;\nCOMMIT;", []), ("BEGIN;", []),
        ]
        let names = [
            "1_a.sql", "1_a.up.sql", "1_a.down.sql", "V1__a.sql", "U1__a.sql", "R__a.sql",
            "V__a.sql", "V1.__a.sql", "V99999999999999999999999999.1__a.sql", "0_a.sql",
            "99999999999999999999_a.sql", "_a.sql", "1_a/up.sql", "1_a/metadata.toml",
            "sqitch.plan", "deploy/a.sql", "V1__a.sql.conf",
        ]
        for (text, bytes) in odd {
            let folder = try TemporaryFolder()
            for name in names {
                let url = folder.url.appendingPathComponent(name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(bytes.isEmpty ? Array(text.utf8) : bytes).write(to: url)
            }
            do {
                _ = try read(folder, layout)
            } catch is FerryError {
                // Refused, saying why: as it should be.
            }
            _ = try? MigrationLayout.detect(in: folder.url)
            _ = try? NewMigration.files(
                named: "b", in: folder.url, layout: layout, release: nil, down: true, verify: false)
        }
    }

    @Test func checksumsIgnoreLineEndingsAndAByteOrderMark() {
        let unix = SQLScript(text: "CREATE TABLE t (id int);\nSELECT 1;\n")
        let windows = SQLScript(text: "\u{FEFF}CREATE TABLE t (id int);\r\nSELECT 1;\r\n")
        let oldMac = SQLScript(text: "CREATE TABLE t (id int);\rSELECT 1;\r")
        #expect(windows.checksum == unix.checksum && oldMac.checksum == unix.checksum)
        #expect(unix.legacyChecksum == unix.checksum)
        #expect(
            windows.legacyChecksum
                == Checksum.sha256("\u{FEFF}CREATE TABLE t (id int);\r\nSELECT 1;\r\n"))
        #expect(!windows.text.hasPrefix("\u{FEFF}"), "the mark is not run as SQL")
        #expect(SQLScript(text: "SELECT 2;\n").checksum != unix.checksum)
    }
}
