import FerryTestSupport
import Foundation
import Testing

@testable import Ferry

/// The object-by-object comparison behind schema drift, and its setting.
@Suite struct SchemaDriftTests {
    func object(
        _ kind: SchemaObject.Kind, _ table: String?, _ name: String, _ definition: String = ""
    ) -> SchemaObject {
        SchemaObject(
            kind: kind, table: table, name: name, definition: definition, line: "\(kind) \(name)")
    }

    @Test func aWholeTableIsOneDifferenceAndFerrysTablesAreLeftOut() {
        let expected = [
            object(.table, nil, "devices"), object(.column, "devices", "id", "INTEGER"),
            object(.table, nil, "rooms"), object(.column, "rooms", "id", "INTEGER"),
            object(.index, "rooms", "rooms_name", "create index rooms_name on rooms(name)"),
        ]
        let live = [
            object(.table, nil, "devices"), object(.column, "devices", "id", "INTEGER"),
            object(.column, "devices", "notes", "TEXT"),
            object(.table, nil, "ferry_events"), object(.column, "ferry_events", "kind", "TEXT"),
            object(.table, nil, "scratchpad"), object(.column, "scratchpad", "a", ""),
            // Another tool's history, kept after an adoption: its bookkeeping, not the schema.
            object(.table, nil, "flyway_schema_history"),
            object(.index, "flyway_schema_history", "flyway_schema_history_s_idx", "create index"),
        ]
        let differences = SchemaDrift.differences(live: live, expected: expected)
        #expect(
            differences.map(\.detail) == [
                "column devices.notes is not made by any migration (added by hand?)",
                "table rooms is missing (the migrations create it)",
                "table scratchpad is not made by any migration (added by hand?)",
            ])
        #expect(differences.map(\.change) == [.unexpected, .missing, .unexpected])
        #expect(SchemaDrift.differences(live: expected, expected: expected).isEmpty)
    }

    @Test func aChangedDefinitionDiffersOnOneLine() {
        let differences = SchemaDrift.differences(
            live: [object(.view, nil, "latest", "SELECT 1\n  AS x")],
            expected: [object(.view, nil, "latest", "SELECT 2 AS x")])
        #expect(
            differences.map(\.detail) == [
                "view latest differs from what the migrations make: here 'SELECT 1 AS x', the migrations 'SELECT 2 AS x'"
            ])
    }

    @Test func theSettingComesFromTheFileTheEnvironmentAndFlags() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml", "[database]\nurl = \"app.db\"\n\n[preflight]\nschema_drift = false\n")
        let fromFile = try Settings.file(at: file)
        #expect(fromFile.schemaDrift == false)
        #expect(
            try fromFile.overridden(by: try Settings.environment(["FERRY_SCHEMA_DRIFT": "1"]))
                .schemaDrift == true)
        #expect(Settings().schemaDrift == nil, "unset: on by default")
        #expect(throws: FerryError.self) {
            try Settings.environment(["FERRY_SCHEMA_DRIFT": "maybe"])
        }
    }
}
