import Ferry
import Foundation
import PostgresNIO

/// The application's tables as an export describes them, read from
/// PostgreSQL's catalog (the current schema): the columns that hold data
/// (generated ones left out), their declared and logical types, primary
/// and foreign keys; and the schema's SQL for reading.
enum PostgresExportSchema {
    /// The settings under which values are read and written as text that
    /// reads back exactly: instants in UTC with their offset, dates in ISO
    /// order, intervals in ISO 8601, floats in their shortest exact form.
    static let exactTextSettings = exactTextValues.map { "SET LOCAL \($0.name) = \($0.value)" }

    /// The settings of ``exactTextSettings``, each its name and its value as SQL.
    static let exactTextValues: [(name: String, value: String)] = [
        ("TimeZone", "'UTC'"), ("DateStyle", "'ISO, YMD'"), ("IntervalStyle", "'iso_8601'"),
        ("extra_float_digits", "1"), ("bytea_output", "'hex'"),
    ]

    static func tables(on connection: PostgresConnection) async throws -> [ExportTable] {
        var tables: [ExportTable] = []
        for name in try await PostgresInspection.tables(on: connection) {
            tables.append(try await table(name, on: connection))
        }
        return tables
    }

    static func table(_ name: String, on connection: PostgresConnection) async throws
        -> ExportTable
    {
        let relation = "to_regclass(format('%I.%I', current_schema(), \(SQLLiteral.quoted(name))))"
        var columns: [ExportTable.Column] = []
        for row in try await rows(
            """
            SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)::text,
                   (CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END)::text,
                   (CASE WHEN t.typcategory = 'A' THEN 'array' ELSE '' END)::text,
                   (CASE WHEN a.attnotnull THEN 'f' ELSE 't' END)::text
              FROM pg_attribute a
              JOIN pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
             WHERE a.attrelid = \(relation) AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attgenerated = ''
             ORDER BY a.attnum
            """, on: connection)
        {
            columns.append(
                ExportTable.Column(
                    name: row[0], declaredType: row[1],
                    logicalType: row[3] == "array" ? .other : logicalType(of: row[2]),
                    isNullable: row[4] == "t"))
        }
        let primaryKey = try await rows(
            """
            SELECT a.attname::text FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = \(relation) AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)
            """, on: connection
        ).map { $0[0] }
        let separator = "chr(31)"
        let foreignKeys = try await rows(
            """
            SELECT (SELECT relname FROM pg_class WHERE oid = con.confrelid)::text,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \(separator)),
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o), \(separator))
              FROM pg_constraint con
             WHERE con.contype = 'f' AND con.conrelid = \(relation)
             ORDER BY con.conname
            """, on: connection
        ).map { row in
            ExportTable.ForeignKey(
                columns: row[1].split(separator: "\u{1f}").map(String.init),
                referencedTable: row[0],
                referencedColumns: row[2].split(separator: "\u{1f}").map(String.init))
        }
        return ExportTable(
            name: name, columns: columns, primaryKey: primaryKey, foreignKeys: foreignKeys)
    }

    /// The logical type of a PostgreSQL type (a domain's base type).
    static func logicalType(of type: String) -> LogicalType {
        switch type {
        case "int2", "int4", "int8": return .integer
        case "float4", "float8": return .real
        case "numeric": return .numeric
        case "bool": return .boolean
        case "text", "varchar", "bpchar", "name", "citext": return .text
        case "bytea": return .blob
        case "date": return .date
        case "time", "timetz": return .time
        case "timestamp": return .timestamp
        case "timestamptz": return .timestampWithTimeZone
        case "interval": return .interval
        case "json", "jsonb": return .json
        case "uuid": return .uuid
        default: return .other
        }
    }

    /// Each table's `CREATE TABLE` with its constraints, its indexes, the
    /// views and triggers, as PostgreSQL's catalog functions print them.
    static func schemaSQL(on connection: PostgresConnection) async throws -> String {
        var parts = ["-- The schema of the exported PostgreSQL database, for reading."]
        for name in try await PostgresInspection.tables(on: connection) {
            let relation =
                "to_regclass(format('%I.%I', current_schema(), \(SQLLiteral.quoted(name))))"
            parts += try await rows(
                """
                SELECT 'CREATE TABLE ' || quote_ident(c.relname) || E' (\\n' ||
                       string_agg('    ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                           || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''),
                           E',\\n' ORDER BY a.attnum)
                       || coalesce((SELECT E',\\n' || string_agg('    CONSTRAINT ' || quote_ident(con.conname)
                           || ' ' || pg_get_constraintdef(con.oid), E',\\n' ORDER BY con.conname)
                           FROM pg_constraint con WHERE con.conrelid = c.oid), '')
                       || E'\\n);'
                  FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                 WHERE c.oid = \(relation)
                 GROUP BY c.oid, c.relname
                """, on: connection
            ).map { $0[0] }
            parts += try await rows(
                """
                SELECT pg_get_indexdef(i.indexrelid) || ';' FROM pg_index i
                 WHERE i.indrelid = \(relation)
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
                 ORDER BY 1
                """, on: connection
            ).map { $0[0] }
            parts += try await rows(
                """
                SELECT pg_get_triggerdef(t.oid) || ';' FROM pg_trigger t
                 WHERE t.tgrelid = \(relation) AND NOT t.tgisinternal ORDER BY t.tgname
                """, on: connection
            ).map { $0[0] }
        }
        parts += try await rows(
            """
            SELECT 'CREATE VIEW ' || quote_ident(viewname) || E' AS\\n' || definition FROM pg_views
             WHERE schemaname = current_schema() ORDER BY viewname
            """, on: connection
        ).map { $0[0] }
        return parts.joined(separator: "\n\n") + "\n"
    }

    /// Every row of a query whose columns are all text.
    static func rows(_ sql: String, on connection: PostgresConnection) async throws -> [[String]] {
        let sequence = try await connection.queryUnlessClosed(
            PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
        var rows: [[String]] = []
        for try await row in sequence {
            rows.append(row.map { cell in (try? cell.decode(String?.self)) ?? nil ?? "" })
        }
        return rows
    }
}
