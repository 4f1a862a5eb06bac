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

    /// PostgreSQL keeps NaN (in `real`, `double precision` and `numeric`);
    /// its texts cannot hold NUL.
    var importLimits: ImportLimits {
        // Timestamps and times keep microseconds, numeric(p,s) its scale: both round the rest.
        ImportLimits(
            keepsNaN: true, keepsNULInText: false, secondFractionDigits: 6,
            keepsDeclaredScale: true, singlePrecisionTypes: ["real"])
    }

    /// Into an empty table, `COPY` straight into it, with its foreign keys,
    /// its indexes and its primary and unique keys made again after the rows
    /// (one check and one sort each, as a plain dump loads), in the
    /// session's open transaction. Into a table with rows, `COPY` into a
    /// temporary table of the export's columns, then one `INSERT … SELECT …
    /// ON CONFLICT DO NOTHING` into the table, so that a key already there is
    /// counted and listed instead of failing the load. Either way the rows
    /// stream to the server in bounded memory. The table's own triggers are
    /// disabled for the load (the rows hold what they made when first
    /// written); its foreign keys are checked.
    func load(_ table: ExportTable, into present: ExportTable, from source: ExportRowSource)
        async throws -> TableLoad
    {
        let target = SQLIdentifier.quoted(table.name)
        do {
            for setting in PostgresExportSchema.exactTextSettings { try await run(setting) }
            // Its lock keeps every other writer out of the table until the import commits: a
            // table found empty now holds only this load's rows when it ends.
            try await run("ALTER TABLE \(target) DISABLE TRIGGER USER")
            // COPY goes straight into an empty table, except one with rules, which only an
            // INSERT follows.
            let isEmptyWithoutRules =
                try await PostgresExportSchema.rows(
                    """
                    SELECT (NOT EXISTS (SELECT 1 FROM \(target)) AND NOT EXISTS (
                        SELECT 1 FROM pg_rewrite WHERE ev_class = \(SQLLiteral.quoted(target))::regclass
                           AND rulename <> '_RETURN'))::text
                    """, on: connection
                ).first?[0] == "true"
            // The target's own column types say how the rows go: in binary where each has a
            // binary form Ferry writes.
            let encoder = PostgresBinaryCopyEncoder(columns: table.columns, target: present)
            let load =
                isEmptyWithoutRules
                ? try await loadIntoEmpty(table, from: source, encoder: encoder)
                : try await loadBesideRows(table, from: source, encoder: encoder)
            try await run("ALTER TABLE \(target) ENABLE TRIGGER USER")
            return load
        } catch let error as FerryError {
            throw error
        } catch {
            // The server's COPY names the row it stopped at, counted among the rows it was sent (a
            // dry run sends none of those it found a refused value in); the rows read may be a
            // batch past it.
            let row = PostgresServerMessage(error)?.copyLine ?? source.rowsRead
            throw importFailure(
                error, "load \(table.name) (at the \(Self.ordinal(row)) of its rows sent) into")
        }
    }

    /// 1st, 2nd, 3rd, 4th, 11th, 21st…
    static func ordinal(_ number: Int) -> String {
        let suffix =
            (11...13).contains(number % 100)
            ? "th"
            : number % 10 == 1 ? "st" : number % 10 == 2 ? "nd" : number % 10 == 3 ? "rd" : "th"
        return "\(number)\(suffix)"
    }

    private func loadIntoEmpty(
        _ table: ExportTable, from source: ExportRowSource, encoder: PostgresBinaryCopyEncoder?
    ) async throws -> TableLoad {
        let target = SQLIdentifier.quoted(table.name)
        let relation =
            "to_regclass(format('%I.%I', current_schema(), \(SQLLiteral.quoted(table.name))))"
        // Only what its definition makes again whole, on a plain table: a deferrable foreign key
        // (whose rows may come with a later table), an index with a comment, a tablespace of its
        // own or a CLUSTER mark, a partitioned table's indexes and a partition's (attached to its
        // parent's), and a foreign key inherited from a parent stay as they are. So do a primary
        // key or unique constraint that anything depends on (another table's foreign key, the
        // table's own, a view grouped by it), that is named as the replica identity, or whose
        // index has storage parameters (which the constraint's definition does not print).
        // Building a key's index once after the rows costs a third of keeping it up to date row
        // by row. Dropping an index keeps readers of the table waiting too until the import
        // commits.
        let rebuilt = try await PostgresExportSchema.rows(
            """
            SELECT 1, 'ALTER TABLE \(target) DROP CONSTRAINT ' || quote_ident(c.conname),
                   'ALTER TABLE \(target) ADD CONSTRAINT ' || quote_ident(c.conname) || ' '
                       || pg_get_constraintdef(c.oid)
              FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
             WHERE c.conrelid = \(relation) AND c.contype = 'f' AND NOT c.condeferrable
               AND t.relkind = 'r' AND NOT t.relispartition AND c.conparentid = 0
               AND obj_description(c.oid, 'pg_constraint') IS NULL
            UNION ALL
            SELECT 2, 'ALTER TABLE \(target) DROP CONSTRAINT ' || quote_ident(c.conname),
                   'ALTER TABLE \(target) ADD CONSTRAINT ' || quote_ident(c.conname) || ' '
                       || pg_get_constraintdef(c.oid)
              FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                   JOIN pg_index i ON i.indexrelid = c.conindid JOIN pg_class x ON x.oid = c.conindid
             WHERE c.conrelid = \(relation) AND c.contype IN ('p', 'u') AND NOT c.condeferrable
               AND t.relkind = 'r' AND NOT t.relispartition AND c.conparentid = 0
               AND NOT i.indisclustered AND NOT i.indisreplident AND x.reltablespace = 0
               AND x.reloptions IS NULL AND obj_description(c.oid, 'pg_constraint') IS NULL
               AND obj_description(c.conindid, 'pg_class') IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM pg_depend d
                    WHERE ((d.refclassid = 'pg_constraint'::regclass AND d.refobjid = c.oid)
                           OR (d.refclassid = 'pg_class'::regclass AND d.refobjid = c.conindid))
                      AND NOT (d.classid = 'pg_class'::regclass AND d.objid = c.conindid))
            UNION ALL
            SELECT 3, 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                   JOIN pg_class t ON t.oid = i.indrelid
             WHERE i.indrelid = \(relation) AND NOT i.indisunique AND NOT i.indisprimary
               AND NOT i.indisclustered AND t.relkind = 'r' AND NOT t.relispartition
               AND x.reltablespace = 0
               AND obj_description(i.indexrelid, 'pg_class') IS NULL
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY 1
            """, on: connection)
        for statement in rebuilt { try await run(statement[1]) }
        let copied = try await copyRows(
            of: table, into: table.name, from: source, encoder: encoder)
        // Made again in the reverse order: a key before the foreign keys that may need it.
        for statement in rebuilt.reversed() {
            do {
                try await run(statement[2])
            } catch  where PostgresServerMessage(error)?.sqlState == "23505" {
                let said = PostgresServerMessage(error)
                throw FerryError(
                    .invalidExport,
                    "The export holds more than one row of \(table.name) with the same key.",
                    changes: "Nothing was changed: the import was rolled back.",
                    advice:
                        "Export the database again; an export that Ferry wrote holds each key once.",
                    engineMessage: said?.text ?? "\(error)", engineCode: said?.sqlState)
            }
        }
        return TableLoad(rows: source.rowsRead, inserted: copied, conflicts: 0, conflictKeys: [])
    }

    private func loadBesideRows(
        _ table: ExportTable, from source: ExportRowSource, encoder: PostgresBinaryCopyEncoder?
    ) async throws -> TableLoad {
        let target = SQLIdentifier.quoted(table.name)
        let scratchName = "ferry_import_" + UUID().uuidString.prefix(8).lowercased()
        let scratch = SQLIdentifier.quoted(scratchName)
        let list = table.columns.map { SQLIdentifier.quoted($0.name) }.joined(separator: ", ")
        try await run(
            "CREATE TEMPORARY TABLE \(scratch) ON COMMIT DROP AS SELECT \(list) FROM \(target) WITH NO DATA"
        )
        _ = try await copyRows(of: table, into: scratchName, from: source, encoder: encoder)
        let conflictKeys = try await heldKeys(of: table, in: scratch)
        let inserted =
            try await PostgresExportSchema.rows(
                """
                WITH inserted AS (
                    INSERT INTO \(target) (\(list)) OVERRIDING SYSTEM VALUE
                    SELECT \(list) FROM \(scratch) ON CONFLICT DO NOTHING RETURNING 1)
                SELECT count(*)::text FROM inserted
                """, on: connection
            ).first.flatMap { Int($0[0]) } ?? 0
        try await run("DROP TABLE \(scratch)")
        let rows = source.rowsRead
        return TableLoad(
            rows: rows, inserted: inserted, conflicts: rows - inserted, conflictKeys: conflictKeys)
    }

    /// The first rows of `scratch` (the export's rows of `table`) that the
    /// table already holds, each by the key it holds: `column=value, …` of
    /// its primary key when the table holds that, else of the first unique
    /// constraint or index on plain columns (not a partial one) whose values
    /// it holds. A row held only by a unique index on an expression is
    /// counted as a conflict, not listed.
    private func heldKeys(of table: ExportTable, in scratch: String) async throws -> [String] {
        let target = SQLIdentifier.quoted(table.name)
        let exported = Set(table.columns.map(\.name))
        // Each unique key's columns, the primary key first.
        let keys = try await PostgresExportSchema.rows(
            """
            SELECT string_agg(a.attname, chr(31) ORDER BY k.position)
              FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = \(SQLLiteral.quoted(target))::regclass AND i.indisunique
               AND i.indpred IS NULL AND i.indexprs IS NULL
               AND k.position <= i.indnkeyatts
             GROUP BY i.indexrelid, i.indisprimary
             ORDER BY i.indisprimary DESC, i.indexrelid
            """, on: connection
        ).map { $0[0].split(separator: "\u{1F}").map(String.init) }
            .filter { !$0.isEmpty && $0.allSatisfy(exported.contains) }
        func shown(_ columns: [String]) -> String {
            columns.map {
                "\(SQLLiteral.quoted($0)) || '=' || coalesce(i.\(SQLIdentifier.quoted($0))::text, 'NULL')"
            }.joined(separator: " || ', ' || ")
        }
        func held(_ columns: [String]) -> String {
            let quoted = columns.map(SQLIdentifier.quoted)
            return """
                EXISTS (SELECT 1 FROM \(target) e WHERE (\(quoted.map { "e.\($0)" }.joined(separator: ", ")))
                                                   = (\(quoted.map { "i.\($0)" }.joined(separator: ", "))))
                """
        }
        guard !keys.isEmpty else { return [] }
        let cases = keys.map { "WHEN \(held($0)) THEN \(shown($0))" }.joined(separator: "\n")
        return try await PostgresExportSchema.rows(
            """
            SELECT held FROM (SELECT CASE \(cases) END AS held FROM \(scratch) i) rows
             WHERE held IS NOT NULL LIMIT \(TableLoad.keysListed)
            """, on: connection
        ).map { $0[0] }
    }

    /// Streams the rows of `source` into a table by `COPY`, a megabyte at a
    /// time: in binary with `encoder`, else in `COPY`'s text format; returns
    /// how many rows went.
    private func copyRows(
        of table: ExportTable, into name: String, from source: ExportRowSource,
        encoder: PostgresBinaryCopyEncoder?
    ) async throws -> Int {
        // PostgresNIO puts the names in double quotes itself, without doubling those inside.
        let quotedName = name.replacingOccurrences(of: "\"", with: "\"\"")
        let columns = table.columns.map { $0.name.replacingOccurrences(of: "\"", with: "\"\"") }
        guard let encoder else {
            var copied = 0
            try await connection.copyFrom(
                table: quotedName, columns: columns, logger: PostgresConnector.logger
            ) { writer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(1 << 20 + 4096)
                var values: [ExportValue] = []
                while try source.next(into: &values) {
                    Self.appendCopyLine(values, to: &buffer)
                    copied += 1
                    if buffer.readableBytes >= 1 << 20 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            return copied
        }
        // PostgresNIO 1.33 asks only for COPY's text format, and puts the table's name into
        // `COPY "NAME" … WITH (FORMAT text)` as it is given: the name given here carries the
        // column list and the binary format, and ends in a comment that leaves out the rest.
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let copy =
            quotedName + "\"" + (columns.isEmpty ? "" : " (\(list))")
            + " FROM STDIN WITH (FORMAT binary) --"
        var copied = 0
        try await connection.copyFrom(
            table: copy, columns: [], logger: PostgresConnector.logger
        ) { writer in
            encoder.append(raw: PostgresBinaryCopyEncoder.header)
            var values: [ExportValue] = []
            var rows = 0
            while try source.next(into: &values) {
                try encoder.append(values)
                rows += 1
                if encoder.bytes.count >= PostgresBinaryCopyEncoder.flushBytes {
                    try await writer.write(ByteBuffer(bytes: encoder.bytes))
                    encoder.removeAll()
                }
            }
            encoder.append(raw: PostgresBinaryCopyEncoder.trailer)
            try await writer.write(ByteBuffer(bytes: encoder.bytes))
            encoder.removeAll()
            copied = rows
        }
        return copied
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
        if said?.sqlState == "23503" {
            // A row without its parent: refused as the end of a load refuses one, which the core
            // tells which rows it left out as conflicts.
            return FerryError(
                .constraintViolation,
                "Could not \(what) \(displayName): a row references a row that is not there.",
                changes: "Nothing was changed: the import was rolled back.",
                advice: TransactionPurpose.importing.violationAdvice,
                engineMessage: said?.text ?? "\(error)", engineCode: said?.sqlState)
        }
        if let said, said.sqlState.hasPrefix("22") {
            // A data exception: a value this column cannot take, which only the server judges.
            return FerryError(
                .invalidExport,
                "Could not \(what) \(displayName): PostgreSQL refused a value of it.",
                changes: "Nothing was changed: the import was rolled back.",
                advice:
                    "The database's message names the value. Fix it in the source and export again; a dry run lists the values Ferry checks itself, not those only the server refuses.",
                engineMessage: said.text + (said.context.map { "\nCONTEXT: \($0)" } ?? ""),
                engineCode: said.sqlState)
        }
        return FerryError(
            .migrationFailed, "Could not \(what) \(displayName).",
            changes: "Nothing was changed: the import was rolled back.",
            advice:
                "Check that the database is at the export's release and that the export came from this application.",
            engineMessage: said?.text ?? "\(error)", engineCode: said?.sqlState)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Whether a byte of a text is escaped in `COPY`'s text format.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// One row in `COPY`'s text format: tab between columns, `\N` for NULL,
    /// backslash, tab, newline and carriage return escaped, bytes as `\\x…`.
    static func appendCopyLine(_ values: [ExportValue], to buffer: inout ByteBuffer) {
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            switch value {
            case .null: buffer.writeString("\\N")
            case .integer, .real, .boolean:
                withText(of: value) { _ = buffer.writeBytes($0) }
            case .text(let text):
                // Most texts need no escape: their bytes go over at once.
                let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                    guard !bytes.contains(where: needsEscape) else { return false }
                    buffer.writeBytes(bytes)
                    return true
                }
                if copied == true { continue }
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
                // The text's backslash, escaped.
                buffer.writeString("\\")
                withText(of: .blob(bytes)) { _ = buffer.writeBytes($0) }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// The text that a value other than a text has in `COPY`'s text format
    /// before escaping: an integer's digits, a real's shortest text (`NaN`,
    /// `Infinity`, `-Infinity`), `t` or `f`, bytes as `\x` and their hex
    /// digits. It is also what a text column takes such a value as, in
    /// either format.
    static func withText(of value: ExportValue, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void)
        rethrows
    {
        switch value {
        case .integer(let integer):
            try RowCodec.withDecimalDigits(of: integer, body)
        case .real(let real) where real.isNaN:
            try Array("NaN".utf8).withUnsafeBufferPointer(body)
        case .real(let real) where real.isInfinite:
            try Array((real < 0 ? "-Infinity" : "Infinity").utf8).withUnsafeBufferPointer(body)
        case .real(let real):
            try RowCodec.withShortestText(of: real, body)
        case .boolean(let flag):
            try Array((flag ? "t" : "f").utf8).withUnsafeBufferPointer(body)
        case .blob(let bytes):
            var text = Array("\\x".utf8)
            text.reserveCapacity(2 + 2 * bytes.count)
            for byte in bytes {
                text.append(hexDigits[Int(byte >> 4)])
                text.append(hexDigits[Int(byte & 0x0f)])
            }
            try text.withUnsafeBufferPointer(body)
        case .null, .text:
            preconditionFailure("a NULL or a text has no other text")
        }
    }
}
