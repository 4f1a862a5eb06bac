import Ferry
import FerryPostgres
import FerrySQLite
import FerryTestSupport
import Foundation
import Testing

/// The tool's engines open each location by its scheme, parse it once, and
/// a third engine is a kind added to the list, with no change to the core.
@Suite struct DatabaseEnginesTests {
    let engines = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])

    @Test func aLocationGoesToTheEngineOfItsScheme() throws {
        let settings = Settings()
        for (location, path) in [
            ("data/app.db", "data/app.db"), ("sqlite:data/app.db", "data/app.db"),
            ("SQLITE:///srv/app.db", "/srv/app.db"), ("  app.db ", "app.db"),
            ("mysql:app.db", "mysql:app.db"),
        ] {
            let engine = try #require(
                try engines.engine(for: location, settings: settings) as? SQLiteEngine)
            #expect(engine.path == path, "\(location)")
        }
        let postgres = try engines.engine(
            for: "postgresql://ferry:s3cret@db.local:5432/app", settings: settings)
        #expect(postgres.engineName == "postgresql")
        #expect(!postgres.displayName.contains("s3cret"))
    }

    @Test func anUnknownSchemeOrAnEmptyLocationIsRefusedWithTheFormsEveryEngineOpens() throws {
        let unknown = try #require(throws: FerryError.self) {
            try engines.kind(for: "MySQL://db/app")
        }
        #expect(unknown.message == "Unknown database scheme 'MySQL'.")
        #expect(unknown.advice == "Give a SQLite path, sqlite:PATH, or postgres://user@host/db.")
        #expect(unknown.category == .usage)
        let empty = try #require(throws: FerryError.self) { try engines.kind(for: " ") }
        #expect(empty.message == "The database location is empty.")
        #expect(empty.advice == unknown.advice)
    }

    @Test func aPathInFerryTomlIsRelativeToItsFolder() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "conf/ferry.toml", "[database]\nurl = \"sqlite:data/app.db\"\npg_bin = \"bin\"\n")
        let base = folder.url.appendingPathComponent("conf").standardizedFileURL.path
        let configuration = try Settings.file(at: file, engines: engines).configuration(
            engines: engines)
        let engine = try #require(configuration.engine as? SQLiteEngine)
        #expect(engine.path == base + "/data/app.db")
        let postgres = try Settings.file(at: file, engines: engines)
            .overridden(by: Settings { $0.database = "postgres://db/app" })
            .configuration(engines: engines)
        #expect((postgres.engine as? PostgresEngine)?.toolsFolder?.path == base + "/bin")
    }

    @Test func aThirdEngineIsAKindAddedToTheList() throws {
        // A PostgreSQL-compatible engine of its own scheme, made here with the PostgreSQL engine.
        let compatible = DatabaseEngineKind(
            name: "compatible", schemes: ["cockroachdb"],
            locationForms: ["cockroachdb://user@host/db"]
        ) { location, settings in
            try PostgresEngine(url: "postgres://" + location.dropFirst("cockroachdb://".count))
        }
        let three = DatabaseEngines(engines.kinds + [compatible])
        #expect(try three.kind(for: "cockroachdb://root@db:26257/app").name == "compatible")
        #expect(
            try three.engine(for: "cockroachdb://root@db:26257/app", settings: Settings())
                is PostgresEngine)
        let error = try #require(throws: FerryError.self) { try three.kind(for: "mysql://db/app") }
        #expect(
            error.advice
                == "Give a SQLite path, sqlite:PATH, postgres://user@host/db, or cockroachdb://user@host/db."
        )
    }

    @Test func aThirdEngineDeclaresItsOwnSettings() throws {
        // An option the core has never heard of, read like every other setting.
        let cluster = EngineSetting(
            table: "database", key: "cluster", environmentVariable: "FERRY_CLUSTER")
        let compatible = DatabaseEngineKind(
            name: "compatible", schemes: ["cockroachdb"],
            locationForms: ["cockroachdb://user@host/db"],
            settings: [cluster]
        ) { location, settings in
            let name = settings.engineOptions[cluster.key] ?? "none"
            return try PostgresEngine(
                url: "postgres://" + location.dropFirst("cockroachdb://".count) + "_" + name)
        }
        let three = DatabaseEngines(engines.kinds + [compatible])
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml", "[database]\nurl = \"cockroachdb://root@db/app\"\ncluster = \"east\"\n")
        let fromFile = try Settings.file(at: file, engines: three)
        #expect(fromFile.engineOptions == ["cluster": "east"])
        let engine = try fromFile.overridden(
            by: try Settings.environment(["FERRY_CLUSTER": "west"], engines: three)
        )
        .configuration(engines: three).engine
        #expect(
            (engine as? PostgresEngine)?.location.database == "app_west",
            "the environment beats the file")
        #expect(throws: FerryError.self, "the tool's engines alone do not know the key") {
            try Settings.file(at: file, engines: engines)
        }
    }
}
