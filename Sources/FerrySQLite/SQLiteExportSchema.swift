import Ferry
import Foundation
import GRDB

/// The application's tables as an export describes them, read from SQLite's
/// catalog: the columns that hold data (generated ones left out), their
/// declared types and logical types, primary and foreign keys.
enum SQLiteExportSchema {
    static func tables(_ db: Database) throws -> [ExportTable] {
        // Plain tables only: virtual tables' rows belong to their modules, shadow tables to them.
        let plain = Set(
            try String.fetchAll(
                db,
                sql: "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"))
        return try SQLiteInspection.tables(db).filter(plain.contains).map { name in
            try table(name, in: db)
        }
    }

    static func table(_ name: String, in db: Database) throws -> ExportTable {
        var columns: [ExportTable.Column] = []
        var keyed: [(position: Int, name: String)] = []
        for row in try Row.fetchAll(
            db, sql: "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?)",
            arguments: [name])
        {
            guard (row["hidden"] as Int) == 0 else { continue }
            let column: String = row["name"]
            let declared: String = row["type"] ?? ""
            columns.append(
                ExportTable.Column(
                    name: column, declaredType: declared, logicalType: logicalType(of: declared),
                    isNullable: (row["notnull"] as Int) == 0))
            let position: Int = row["pk"]
            if position > 0 { keyed.append((position, column)) }
        }
        var keys: [Int: ExportTable.ForeignKey] = [:]
        for row in try Row.fetchAll(
            db,
            sql:
                "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            arguments: [name])
        {
            let id: Int = row["id"]
            var key =
                keys[id]
                ?? ExportTable.ForeignKey(
                    columns: [], referencedTable: row["table"], referencedColumns: [])
            key.columns.append(row["from"])
            if let to: String = row["to"] { key.referencedColumns.append(to) }
            keys[id] = key
        }
        return ExportTable(
            name: name, columns: columns,
            primaryKey: keyed.sorted { $0.position < $1.position }.map(\.name),
            foreignKeys: keys.keys.sorted().compactMap { keys[$0] })
    }

    /// The logical type of a declared type, by SQLite's affinity rules
    /// (section 3.1 of "Datatypes In SQLite"), with NUMERIC's common names
    /// (BOOLEAN, DATE, DATETIME, …) told apart.
    static func logicalType(of declared: String) -> LogicalType {
        let type = declared.uppercased()
        if type.contains("INT") { return .integer }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") {
            return .text
        }
        if type.isEmpty { return .any }
        if type.contains("BLOB") { return .blob }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") { return .real }
        if type.contains("BOOL") { return .boolean }
        if type.contains("DATETIME") || type.contains("TIMESTAMP") { return .timestamp }
        if type.contains("DATE") { return .date }
        if type.contains("TIME") { return .time }
        if type.contains("JSON") { return .json }
        if type.contains("UUID") { return .uuid }
        return .numeric
    }

    /// The schema's SQL as SQLite keeps it, Ferry's own tables left out.
    static func schemaSQL(_ db: Database) throws -> String {
        let own = HistoryStore.ownTables
        let statements = try Row.fetchAll(
            db,
            sql: """
                SELECT tbl_name, sql FROM sqlite_schema
                WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid
                """
        ).filter { !own.contains($0["tbl_name"] as String) }.map { ($0["sql"] as String) + ";\n" }
        return "-- The schema of the exported SQLite database, for reading.\n"
            + statements.joined(separator: "\n")
    }
}
