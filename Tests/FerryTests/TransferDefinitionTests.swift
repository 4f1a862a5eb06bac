import Ferry
import FerryTestSupport
import Foundation
import Testing

/// What `ferry transfer` may move, read from `ferry.toml` or found from the
/// foreign keys; a malformed `[[transfer]]` is a configuration error, never a crash.
@Suite struct TransferDefinitionTests {
    @Test func aTransferIsReadFromTheFile() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml",
            """
            [database]
            url = "app.db"

            [[transfer]]
            name = "sensor history"
            table = "sensor_history"
            owner = "sensor_id"
            references = " sensors ( id ) "
            order = "taken_at"
            unique = ["sensor_id", "taken_at"]
            """)
        let transfers = try #require(try Settings.file(at: file).transfers)
        #expect(
            transfers == [
                TransferDefinition(
                    name: "sensor history", table: "sensor_history", owner: "sensor_id",
                    entityTable: "sensors", entityKey: "id", order: "taken_at",
                    unique: ["sensor_id", "taken_at"])
            ])
    }

    @Test(arguments: [
        ("references = \"sensors\"", "is not written table(key)"),
        ("references = \"sensors(a, b)\"", "one key column"),
        ("references = \"sensors(id)\"\nunique = \"sensor_id\"", "unique must be a list"),
        ("references = 3", "must be a string"),
        ("", "must have name, table, owner and references"),
    ])
    func aMalformedTransferIsAConfigurationError(extra: String, expected: String) throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            "ferry.toml",
            """
            [database]
            url = "app.db"

            [[transfer]]
            name = "sensor history"
            table = "sensor_history"
            owner = "sensor_id"
            \(extra)
            """)
        let error = try #require(throws: FerryError.self) { try Settings.file(at: file) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.message.contains("[[transfer]] number 1"), "\(error.message)")
    }

    @Test func foreignKeysOfOneColumnAreTheCandidates() {
        func table(
            _ name: String, key: [String] = ["id"], _ foreignKeys: [ExportTable.ForeignKey] = []
        ) -> ExportTable {
            ExportTable(name: name, columns: [], primaryKey: key, foreignKeys: foreignKeys)
        }
        let tables = [
            table("sensors"),
            table(
                "sensor_history",
                [
                    ExportTable.ForeignKey(
                        columns: ["sensor_id"], referencedTable: "sensors", referencedColumns: []),
                    // Two columns, and a reference to itself: no candidate.
                    ExportTable.ForeignKey(
                        columns: ["a", "b"], referencedTable: "sensors",
                        referencedColumns: ["x", "y"]),
                    ExportTable.ForeignKey(
                        columns: ["parent"], referencedTable: "sensor_history",
                        referencedColumns: ["id"]),
                ]),
        ]
        let found = TransferDefinition.discovered(in: tables)
        #expect(found.map(\.name) == ["sensor_history.sensor_id"])
        #expect(found.first?.references == "sensors(id)")
        #expect(found.first?.origin == .foreignKey)
        #expect(found.first?.foundBy.contains("foreign key sensor_history(sensor_id)") == true)
    }

    /// A found definition's order is the second column of the first index
    /// that starts with the owner, when that column orders (a number, a
    /// text, a time); an index ends at its first expression.
    @Test func aFoundDefinitionTakesItsOrderFromTheOwnersIndex() {
        func column(_ name: String, _ type: LogicalType) -> ExportTable.Column {
            ExportTable.Column(name: name, declaredType: "", logicalType: type, isNullable: false)
        }
        let sensors = ExportTable(
            name: "sensors", columns: [column("id", .integer)], primaryKey: ["id"], foreignKeys: [])
        let history = ExportTable(
            name: "history",
            columns: [
                column("id", .integer), column("sensor_id", .integer),
                column("is_read", .boolean), column("taken_at", .timestamp),
            ],
            primaryKey: ["id"],
            foreignKeys: [
                ExportTable.ForeignKey(
                    columns: ["sensor_id"], referencedTable: "sensors", referencedColumns: [])
            ])
        func order(_ rows: [[HistoryValue]]) -> String? {
            TransferDefinition.discovered(
                in: [sensors, history],
                indexes: ["history": TransferDefinition.indexColumns(fromRows: rows)]
            ).first?.order
        }
        #expect(order([]) == nil)
        #expect(order([[.text("a_by_time"), .text("taken_at")]]) == nil)
        #expect(
            order([
                [.text("a_by_read"), .text("sensor_id")], [.text("a_by_read"), .text("is_read")],
                [.text("b_by_time"), .text("sensor_id")], [.text("b_by_time"), .text("taken_at")],
            ]) == "taken_at")
        // An expression (a NULL column) ends the index: (sensor_id, lower(x), taken_at) has no order.
        #expect(
            order([
                [.text("c"), .text("sensor_id")], [.text("c"), .null],
                [.text("c"), .text("taken_at")],
            ]) == nil)
        #expect(
            TransferDefinition.discovered(
                in: [sensors, history], indexes: ["history": [["sensor_id", "taken_at"]]]
            ).first?.foundBy.contains("in the order of the index on (sensor_id, taken_at)") == true)
    }
}
