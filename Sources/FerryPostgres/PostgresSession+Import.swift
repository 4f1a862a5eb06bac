import Ferry
import Foundation
import PostgresNIO

extension PostgresSession: ImportingSession {
    func exportTables() async throws -> [ExportTable] {
        do {
            return try await PostgresExportSchema.tables(on: connection)
        } catch let error as FerryError {
            throw error
        } catch {
            throw importFailure(error, "read the tables of")
        }
    }

    /// `COPY` into a temporary table of the export's columns, then one
    /// `INSERT … SELECT … ON CONFLICT DO NOTHING` into the table, in the
    /// session's open transaction: the rows stream to the server in
    /// bounded memory, and a key already there is counted and listed
    /// instead of failing the load. The table's own triggers are disabled
    /// for the load (the rows hold what they made when first written);
    /// its foreign keys are not.
    func load(_ table: ExportTable, from source: ExportRowSource) async throws -> TableLoad {
        let target = SQLIdentifier.quoted(table.name)
        let scratchName = "ferry_import_" + UUID().uuidString.prefix(8).lowercased()
        let scratch = SQLIdentifier.quoted(scratchName)
        let columns = table.columns.map { SQLIdentifier.quoted($0.name) }
        let list = columns.joined(separator: ", ")
        do {
            for setting in PostgresExportSchema.exactTextSettings { try await run(setting) }
            try await run(
                "CREATE TEMPORARY TABLE \(scratch) ON COMMIT DROP AS SELECT \(list) FROM \(target) WITH NO DATA"
            )
            try await run("ALTER TABLE \(target) DISABLE TRIGGER USER")
            // PostgresNIO puts the names in double quotes itself, without doubling those inside.
            try await connection.copyFrom(
                table: scratchName,
                columns: table.columns.map { $0.name.replacingOccurrences(of: "\"", with: "\"\"") },
                logger: PostgresConnector.logger
            ) { writer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(1 << 20 + 4096)
                while let values = try source.next() {
                    Self.appendCopyLine(values, to: &buffer)
                    if buffer.readableBytes >= 1 << 20 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            var conflictKeys: [String] = []
            if !table.primaryKey.isEmpty {
                let key = table.primaryKey.map(SQLIdentifier.quoted)
                let shown = table.primaryKey.map(SQLLiteral.quoted)
                let pairs = zip(shown, key).map {
                    "\($0) || '=' || coalesce(i.\($1)::text, 'NULL')"
                }
                conflictKeys = try await PostgresExportSchema.rows(
                    """
                    SELECT \(pairs.joined(separator: " || ', ' || ")) FROM \(scratch) i
                     WHERE EXISTS (SELECT 1 FROM \(target) e
                                    WHERE (\(key.map { "e.\($0)" }.joined(separator: ", ")))
                                        = (\(key.map { "i.\($0)" }.joined(separator: ", "))))
                     LIMIT \(TableLoad.keysListed)
                    """, on: connection
                ).map { $0[0] }
            }
            let inserted =
                try await PostgresExportSchema.rows(
                    """
                    WITH inserted AS (
                        INSERT INTO \(target) (\(list)) OVERRIDING SYSTEM VALUE
                        SELECT \(list) FROM \(scratch) ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT count(*)::text FROM inserted
                    """, on: connection
                ).first.flatMap { Int($0[0]) } ?? 0
            try await run("ALTER TABLE \(target) ENABLE TRIGGER USER")
            try await run("DROP TABLE \(scratch)")
            let rows = source.rowsRead
            return TableLoad(
                rows: rows, inserted: inserted, conflicts: rows - inserted,
                conflictKeys: conflictKeys)
        } catch let error as FerryError {
            throw error
        } catch {
            throw importFailure(error, "load \(table.name) (row \(source.rowsRead)) into")
        }
    }

    func integers(_ sql: String) async throws -> [Int64] {
        do {
            return try await PostgresExportSchema.rows(
                "SELECT ferry_value::text FROM (\(sql)) AS ferry_query(ferry_value)", on: connection
            ).compactMap { Int64($0[0]) }
        } catch let error as FerryError {
            throw error
        } catch {
            throw importFailure(error, "read the keys of")
        }
    }

    /// Sets every sequence that fills a column of the table (`serial`,
    /// identity) to the column's largest value.
    func advanceSequences(of table: ExportTable) async throws {
        let relation = "format('%I.%I', current_schema(), \(SQLLiteral.quoted(table.name)))"
        do {
            let sequences = try await PostgresExportSchema.rows(
                """
                SELECT a.attname::text, pg_get_serial_sequence(\(relation), a.attname)::text
                  FROM pg_attribute a
                 WHERE a.attrelid = to_regclass(\(relation)) AND a.attnum > 0 AND NOT a.attisdropped
                   AND pg_get_serial_sequence(\(relation), a.attname) IS NOT NULL
                """, on: connection)
            for sequence in sequences {
                try await run(
                    """
                    SELECT setval(\(SQLLiteral.quoted(sequence[1]))::regclass, m)
                      FROM (SELECT max(\(SQLIdentifier.quoted(sequence[0])))::bigint AS m
                              FROM \(SQLIdentifier.quoted(table.name))) x
                     WHERE m IS NOT NULL
                    """)
            }
        } catch let error as FerryError {
            throw error
        } catch {
            throw importFailure(error, "set the sequences of \(table.name) in")
        }
    }

    private func run(_ sql: String) async throws {
        try await PostgresScriptRunner.runToTheEnd(sql: sql, on: connection)
    }

    private func importFailure(_ error: any Error, _ what: String) -> FerryError {
        let said = PostgresServerMessage(error)
        return FerryError(
            .migrationFailed, "Could not \(what) \(displayName).",
            changes: "Nothing was changed: the import was rolled back.",
            advice:
                "Check that the database is at the export's release and that the export came from this application.",
            engineMessage: said?.text ?? "\(error)", engineCode: said?.sqlState)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// One row in `COPY`'s text format: tab between columns, `\N` for NULL,
    /// backslash, tab, newline and carriage return escaped, bytes as `\\x…`.
    static func appendCopyLine(_ values: [ExportValue], to buffer: inout ByteBuffer) {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            switch value {
            case .null: buffer.writeString("\\N")
            case .integer(let integer): buffer.writeString(String(integer))
            case .real(let real):
                if real.isNaN {
                    buffer.writeString("NaN")
                } else if real.isInfinite {
                    buffer.writeString(real < 0 ? "-Infinity" : "Infinity")
                } else {
                    buffer.writeString(real.description)
                }
            case .boolean(let flag): buffer.writeString(flag ? "t" : "f")
            case .text(let text):
                for byte in text.utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                    case UInt8(ascii: "\t"): buffer.writeString("\\t")
                    case UInt8(ascii: "\n"): buffer.writeString("\\n")
                    case UInt8(ascii: "\r"): buffer.writeString("\\r")
                    default: buffer.writeInteger(byte)
                    }
                }
            case .blob(let bytes):
                buffer.writeString("\\\\x")
                for byte in bytes {
                    buffer.writeInteger(hexDigits[Int(byte >> 4)])
                    buffer.writeInteger(hexDigits[Int(byte & 0x0f)])
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}
