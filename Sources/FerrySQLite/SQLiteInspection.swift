import Ferry
import Foundation
import GRDB

/// SQLite's answers to ``DatabaseInspection``, on one GRDB connection.
enum SQLiteInspection {
    /// The application's tables, by name.
    static func tables(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                ORDER BY name
                """
        ).filter { !HistoryStore.ownTables.contains($0) }
    }

    /// The check's lines; on a damaged file SQLite may report some lines and
    /// then fail, and both are problems. Its progress goes to `listener`.
    /// The full check is ``SQLiteIntegrityCheck``'s, shared with `helpers`
    /// (other connections to a file nobody changes meanwhile) when there are any.
    /// With `constraintsHold` (see ``CheckConstraintWitness``), SQLite's
    /// checks leave out the evaluation of `CHECK` constraints on every row;
    /// the full check leaves out comparing the indexes of
    /// `indexesBuiltInTransaction` with their tables (see ``TransactionWitness``).
    static func integrityProblems(
        _ db: Database, thorough: Bool, helpers: [DatabaseQueue] = [],
        constraintsHold: Bool = false, indexesBuiltInTransaction: Set<String> = [],
        reportingTo listener: ProgressListener
    ) throws -> [String] {
        if constraintsHold {
            // The flag is the connection's, not the transaction's: set for the check only.
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
        }
        defer {
            if constraintsHold { try? db.execute(sql: "PRAGMA ignore_check_constraints = OFF") }
        }
        var lines: [String] = []
        // Best effort: on a damaged file the check itself reports what is wrong.
        do {
            try SQLiteProgressHandler.reporting("integrity check", to: listener, on: db) {
                if thorough {
                    lines = try SQLiteIntegrityCheck.problems(
                        db, helpers: helpers, leavingOut: indexesBuiltInTransaction)
                    if lines.isEmpty { lines = ["ok"] }
                } else {
                    let cursor = try String.fetchCursor(db, sql: "PRAGMA quick_check")
                    while let line = try cursor.next() { lines.append(line) }
                }
            }
        } catch let error as DatabaseError where SQLiteIntegrityCheck.isDamage(error) {
            lines.append(error.message ?? "\(error.resultCode)")
        }
        guard lines != ["ok"] else { return [] }
        return lines.flatMap { $0.split(whereSeparator: \.isNewline).map(String.init) }
            .filter { !$0.hasPrefix("*** in database") }
    }

    /// What `PRAGMA foreign_key_check` finds, a line per row that has no
    /// matching row in its parent table.
    ///
    /// - Parameters:
    ///   - db: The connection.
    ///   - tables: The tables whose rows are checked; nil checks every table.
    static func foreignKeyViolations(_ db: Database, in tables: [String]? = nil) throws
        -> [String]
    {
        let violations =
            try tables.map { tables in
                try tables.flatMap { try Array(db.foreignKeyViolations(in: $0)) }
            } ?? Array(db.foreignKeyViolations())
        return violations.map { violation in
            let row = violation.originRowID.map(String.init) ?? "(without rowid)"
            return
                "table \(violation.originTable), row \(row): no matching row in \(violation.destinationTable)"
        }
    }

    /// Rows per application table.
    static func rowCounts(_ db: Database) throws -> [String: Int] {
        try rowCounts(db, of: tables(db))
    }

    /// Rows per table of `tables`.
    static func rowCounts(_ db: Database, of tables: [String]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in tables {
            counts[table] =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \(SQLIdentifier.quoted(table))")
                ?? 0
        }
        return counts
    }

    /// Tables by their columns, keys and indexes (so that a table made by
    /// `ALTER TABLE` and one made by a single `CREATE TABLE` compare equal);
    /// views, triggers and explicit indexes by their normalized SQL. SQLite's
    /// own tables (`sqlite_sequence`, `sqlite_stat1`) and automatic indexes
    /// are left out.
    static func schemaObjects(_ db: Database) throws -> [SchemaObject] {
        var objects: [SchemaObject] = []
        for table in try tables(db) {
            let quoted = SQLIdentifier.quoted(table)
            objects.append(
                SchemaObject(
                    kind: .table, table: nil, name: table, definition: "", line: "table \(table)"))
            for (position, column) in try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(quoted))")
                .enumerated()
            {
                let name: String = column["name"]
                let type: String = column["type"]
                var definition = type.uppercased()
                if column["notnull"] as Bool { definition += " NOT NULL" }
                if let value: String = column["dflt_value"] {
                    definition += " DEFAULT \(normalized(value))"
                }
                let key: Int = column["pk"]
                if key > 0 { definition += " PRIMARY KEY \(key)" }
                let hidden: Int = column["hidden"]
                if hidden != 0 { definition += " GENERATED \(hidden)" }
                objects.append(
                    SchemaObject(
                        kind: .column, table: table, name: name, definition: definition,
                        line: "table \(table) column \(position + 1) \(name) \(definition)"))
            }
            for key in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(quoted))") {
                let from: String = key["from"]
                let parent: String = key["table"]
                let to: String? = key["to"]
                let onUpdate: String = key["on_update"]
                let onDelete: String = key["on_delete"]
                let definition =
                    "references \(parent)(\(to ?? "primary key")) on update \(onUpdate) on delete \(onDelete)"
                objects.append(
                    SchemaObject(
                        kind: .constraint, table: table, name: "foreign key \(from)",
                        definition: definition,
                        line: "table \(table) foreign key \(from) \(definition)"))
            }
            for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(quoted))") {
                let origin: String = index["origin"]
                guard origin != "c" else { continue }  // explicit indexes: by their SQL below
                let name: String = index["name"]
                let columns = try String.fetchAll(
                    db, sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                    arguments: [name])
                let key =
                    "\(origin == "pk" ? "primary key" : "unique") (\(columns.joined(separator: ", ")))"
                objects.append(
                    SchemaObject(
                        kind: .constraint, table: table, name: key, definition: "",
                        line: "table \(table) \(key)"))
            }
        }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE type IN ('index', 'view', 'trigger') AND sql IS NOT NULL
                """)
        {
            let type: String = row["type"]
            let name: String = row["name"]
            let owner: String = row["tbl_name"]
            let sql: String = row["sql"]
            let definition = normalized(sql)
            objects.append(
                SchemaObject(
                    kind: type == "index" ? .index : type == "view" ? .view : .trigger,
                    table: type == "view" ? nil : owner,
                    name: name, definition: definition, line: "\(type) \(name): \(definition)"))
        }
        return objects
    }

    /// SQL with its layout, comments, identifier quotes and keyword case
    /// removed: `CREATE  VIEW "v" AS\n SELECT …` → `create view v as select …`.
    /// String literals are kept as they are.
    static func normalized(_ sql: String) -> String {
        var output = ""
        var characters = Array(sql)[...]
        var pendingSpace = false
        func append(_ text: String) {
            if pendingSpace, let last = output.last, !"(,".contains(last),
                !")(,".contains(text.first ?? " ")
            {
                output += " "
            }
            pendingSpace = false
            output += text
        }
        while let character = characters.first {
            if character.isWhitespace {
                pendingSpace = !output.isEmpty
                characters = characters.dropFirst()
            } else if character == "-", characters.dropFirst().first == "-" {
                characters = characters.drop(while: { !$0.isNewline })
                pendingSpace = !output.isEmpty
            } else if character == "/", characters.dropFirst().first == "*" {
                let rest = characters.dropFirst(2)
                if let star = rest.indices.first(where: {
                    rest[$0] == "*" && $0 + 1 < rest.endIndex && rest[$0 + 1] == "/"
                }) {
                    characters = characters[(star + 2)...]
                } else {
                    characters = []
                }
                pendingSpace = !output.isEmpty
            } else if character == "'" {
                var literal = "'"
                characters = characters.dropFirst()
                while let next = characters.first {
                    characters = characters.dropFirst()
                    literal.append(next)
                    if next == "'" {
                        if characters.first == "'" {
                            literal.append("'")
                            characters = characters.dropFirst()
                        } else {
                            break
                        }
                    }
                }
                append(literal)
            } else if "\"`[".contains(character) {
                let closing: Character = character == "[" ? "]" : character
                let body = characters.dropFirst().prefix(while: { $0 != closing })
                characters = characters.dropFirst(body.count + 2)
                let name = String(body)
                let isPlain =
                    name.first.map { $0.isLetter || $0 == "_" } == true
                    && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
                append(isPlain ? name.lowercased() : "\"" + name + "\"")
            } else if "(),;".contains(character) {
                if character == ";" && characters.dropFirst().allSatisfy(\.isWhitespace) {
                    characters = []
                    continue
                }
                if character == ")" || character == "," { pendingSpace = false }
                append(String(character))
                if character == "(" { pendingSpace = false }
                characters = characters.dropFirst()
            } else {
                let word = characters.prefix(while: {
                    !$0.isWhitespace && !"(),;'\"`[".contains($0)
                })
                characters = characters.dropFirst(word.count)
                append(String(word).lowercased())
            }
        }
        return output.replacingOccurrences(of: " if not exists ", with: " ")
    }
}

extension SQLiteSession {
    /// The check, leaving out `CHECK` constraints that a clean check on this
    /// session has already evaluated on every row, when nothing since could
    /// have let a row past them (see ``CheckConstraintWitness``).
    func integrityProblems(thorough: Bool) async throws -> [String] {
        let listener = ProgressListener.current
        let witness = checkConstraints
        let transaction = transactionWitness
        return try await inspect("check the integrity") { db in
            // A definition edited in sqlite_schema is checked as written, not as the connection kept it.
            if witness.mayHoldAnOldSchema { try db.execute(sql: "PRAGMA writable_schema = RESET") }
            let version = try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0
            let constraintsHold = witness.constraintsStillHold(atDataVersion: version)
            // An edit of sqlite_schema can make an index's definition say what its entries do not.
            let built =
                witness.mayHoldAnOldSchema
                ? [] : try transaction.indexesBuiltInTransaction(on: db)
            let problems = try SQLiteInspection.integrityProblems(
                db, thorough: thorough, constraintsHold: constraintsHold,
                indexesBuiltInTransaction: built, reportingTo: listener)
            if problems.isEmpty && !constraintsHold {
                witness.recordCleanCheck(atDataVersion: version)
            }
            return problems
        }
    }

    func foreignKeyViolations() async throws -> [String] {
        let transaction = transactionWitness
        return try await inspect("check the foreign keys") { db in
            let violations = try SQLiteInspection.foreignKeyViolations(db)
            if violations.isEmpty { try transaction.foreignKeysFoundClean(on: db) }
            return violations
        }
    }

    func rowCounts() async throws -> [String: Int] {
        try await inspect("count the rows") { db in try SQLiteInspection.rowCounts(db) }
    }

    func schemaObjects() async throws -> [SchemaObject] {
        try await inspect("read the schema") { db in try SQLiteInspection.schemaObjects(db) }
    }

    func engineVersion() async throws -> String {
        try await inspect("read the SQLite version") { db in
            try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "unknown"
        }
    }

    private func inspect<T: Sendable>(
        _ what: String, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await queue.writeWithoutTransactionHere(work)
        } catch let error as DatabaseError {
            throw FerryError(
                .databaseUnavailable, "Could not \(what) of \(displayName).",
                advice: error.resultCode == .SQLITE_CORRUPT
                    ? "Restore the database from a backup." : nil,
                engineMessage: error.message ?? "\(error.resultCode)")
        }
    }
}
