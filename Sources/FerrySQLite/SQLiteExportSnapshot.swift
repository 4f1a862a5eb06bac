import Ferry
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteEngine: ExportingEngine {
    /// One read transaction on a read-only connection, begun before the
    /// first read and ended after the last: every table is read as it was
    /// at one moment, while the application keeps writing (in WAL mode; in
    /// rollback-journal mode its writers wait for the export).
    public func withExportSnapshot<Result: Sendable>(
        _ body: (any ExportSnapshot) async throws -> Result
    ) async throws -> Result {
        guard try databaseExists() else {
            throw FerryError(
                .databaseUnavailable, "The SQLite database \(path) does not exist.",
                changes: "Nothing was changed.", advice: "Check \(.database).")
        }
        let queue: DatabaseQueue
        let helpers: [DatabaseQueue]
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            // Opened before the snapshot begins, so that joining it takes a read each.
            let candidates = openReadingHelpers()
            helpers = try await queue.writeWithoutTransaction { db in
                try beginSnapshot(db, joinedBy: candidates)
            }
            for candidate in candidates where !helpers.contains(where: { $0 === candidate }) {
                try? candidate.close()
            }
        } catch let error as DatabaseError {
            throw unavailable(error, "read")
        }
        defer {
            for helper in helpers { try? helper.close() }
            try? queue.close()
        }
        let snapshot = SQLiteExportSnapshot(queue: queue, helpers: helpers, displayName: path)
        do {
            let result = try await body(snapshot)
            try? await queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            return result
        } catch {
            try? await queue.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            throw error
        }
    }

    /// Times the export tries to begin its snapshot with the helpers
    /// joined, before it reads with one connection alone.
    static let snapshotJoinAttempts = 3

    /// Read-only connections to read a large table's pieces with, one per
    /// core beside the export's own (at most three). Each fails at once
    /// where it would wait for a lock (``beginSnapshot(_:joinedBy:)``).
    private func openReadingHelpers() -> [DatabaseQueue] {
        var settings = configuration(readonly: true)
        settings.busyMode = .immediateError
        return (0..<min(3, max(0, ProcessInfo.processInfo.activeProcessorCount - 1))).compactMap {
            _ in
            try? DatabaseQueue(path: path, configuration: settings)
        }
    }

    /// Begins `db`'s read transaction, and those of the `candidates` that
    /// join its snapshot: they are kept only when no one committed between
    /// a stamp taken before `db`'s transaction began and one taken after
    /// the last of them began theirs (``CommitStamp``). In rollback-journal
    /// mode `db`'s shared lock keeps every writer out meanwhile; in WAL mode
    /// a commit in between makes it begin again, up to
    /// `snapshotJoinAttempts` times, then read alone. A helper that cannot
    /// begin at once (a writer waiting for the lock) is left out.
    ///
    /// - Returns: The helpers in `db`'s snapshot.
    private func beginSnapshot(_ db: Database, joinedBy candidates: [DatabaseQueue]) throws
        -> [DatabaseQueue]
    {
        // A first read maps a WAL database's index, where its stamp is read.
        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
        let wal = try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() == "wal"
        for attempt in 1...Self.snapshotJoinAttempts {
            let before = candidates.isEmpty ? nil : CommitStamp.read(db, wal: wal)
            try db.execute(sql: "BEGIN DEFERRED")
            // The snapshot starts at the first read.
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
            guard let before else { return [] }
            var joined: [DatabaseQueue] = []
            for helper in candidates {
                let began =
                    (try? helper.inDatabase { helperDB in
                        do {
                            try helperDB.execute(sql: "BEGIN DEFERRED")
                            _ = try Int.fetchOne(
                                helperDB, sql: "SELECT count(*) FROM sqlite_schema")
                            return true
                        } catch {
                            try? helperDB.execute(sql: "ROLLBACK")
                            return false
                        }
                    }) ?? false
                guard began else { break }
                joined.append(helper)
            }
            if CommitStamp.read(db, wal: wal) == before { return joined }
            for helper in joined {
                try? helper.inDatabase { helperDB in try helperDB.execute(sql: "ROLLBACK") }
            }
            if attempt < Self.snapshotJoinAttempts { try db.execute(sql: "ROLLBACK") }
        }
        return []
    }
}

/// The export's read transaction on a SQLite database, and the
/// connections that read the same snapshot beside it.
struct SQLiteExportSnapshot: ExportSnapshot {
    let queue: DatabaseQueue
    /// Connections in read transactions that see what `queue`'s sees; empty on one core.
    let helpers: [DatabaseQueue]
    let displayName: String

    /// Tables whose rowids span fewer are read on one connection.
    static let piecesFromRows: UInt64 = 100_000

    func readState() async throws -> DatabaseState {
        try await access("read the history") { db in try SQLiteHistory.readState(db) }
    }

    func engineVersion() async throws -> String {
        try await access("read the version") { db in
            try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "unknown"
        }
    }

    func exportTables() async throws -> [ExportTable] {
        try await access("read the tables") { db in try SQLiteExportSchema.tables(db) }
    }

    func schemaSQL() async throws -> String {
        try await access("read the schema") { db in try SQLiteExportSchema.schemaSQL(db) }
    }

    func rowCount(of table: ExportTable, where condition: String?) async throws -> Int? {
        let sql =
            "SELECT count(*) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
        return try await access("count the rows of \(table.name)") { db in
            try Int.fetchOne(db, sql: sql)
        }
    }

    func readRows(of table: ExportTable, where condition: String?, into rows: ExportRowBuffer)
        async throws
    {
        try read(table, sql: select(table, where: condition), on: queue, into: rows)
    }

    /// As many as there are connections, for a whole table (not an export
    /// of entities) with rowids whose span is `piecesFromRows` or more.
    func readers(for table: ExportTable, where condition: String?) async throws -> Int {
        guard condition == nil, !helpers.isEmpty else { return 1 }
        guard let rowids = try await rowids(of: table),
            // The span as an unsigned number: it may not fit an Int64.
            UInt64(bitPattern: rowids.bounds.upperBound &- rowids.bounds.lowerBound)
                >= Self.piecesFromRows
        else { return 1 }
        return helpers.count + 1
    }

    /// Ranges of the table's rowids, one per piece, each read on a
    /// connection of its own: the first on this thread, the others on
    /// threads of their own.
    func readRows(
        of table: ExportTable, where condition: String?, intoPieces pieces: [ExportRowBuffer]
    ) async throws {
        guard pieces.count > 1, condition == nil, pieces.count <= helpers.count + 1,
            let rowids = try await rowids(of: table)
        else {
            guard let first = pieces.first else { return }
            return try await readRows(of: table, where: condition, into: first)
        }
        let ranges = RowidRanges.split(
            from: rowids.bounds.lowerBound, to: rowids.bounds.upperBound, count: pieces.count)
        let connections = [queue] + helpers
        let failures = Locked([Int: any Error]())
        let group = DispatchGroup()
        // The other pieces on threads of their own first, then the first on this one.
        for (piece, range) in ranges.enumerated().reversed() {
            let sql =
                select(table, where: nil)
                + " WHERE \(rowids.name) BETWEEN \(range.lowerBound) AND \(range.upperBound)"
            // Touched by the piece's thread only.
            nonisolated(unsafe) let buffer = pieces[piece]
            let work = { @Sendable in
                do {
                    try read(table, sql: sql, on: connections[piece], into: buffer)
                } catch {
                    failures.withLock { $0[piece] = error }
                }
            }
            guard piece > 0 else {
                work()
                continue
            }
            group.enter()
            let thread = Thread {
                work()
                group.leave()
            }
            thread.name = "ferry.export.piece"
            thread.start()
        }
        group.wait()
        if let (_, failure) = failures.value.min(by: { $0.key < $1.key }) { throw failure }
    }

    /// A name of the table's rowid that no column takes, and its smallest
    /// and largest values; nil for a `WITHOUT ROWID` table, an empty one,
    /// or one whose columns take every name of the rowid.
    private func rowids(of table: ExportTable) async throws -> (
        name: String, bounds: ClosedRange<Int64>
    )? {
        let taken = Set(table.columns.map { $0.name.lowercased() })
        guard let name = RowidRanges.name(notTakenBy: taken) else { return nil }
        return try await access("read the rowids of \(table.name)") { db in
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?",
                    arguments: [table.name]) == false,
                let bounds = try RowidRanges.bounds(of: table.name, rowid: name, in: db)
            else { return nil }
            return (name, bounds)
        }
    }

    /// The statement that reads the table's columns, in their order.
    private func select(_ table: ExportTable, where condition: String?) -> String {
        let columns = table.columns.map { SQLIdentifier.quoted($0.name) }.joined(separator: ", ")
        return "SELECT \(columns) FROM \(SQLIdentifier.quoted(table.name))"
            + (condition.map { " WHERE \($0)" } ?? "")
    }

    /// Runs `sql` on `connection` and hands its rows to `rows`.
    ///
    /// The rows are handed over inside one access to the connection: a
    /// cursor, never the table. A synchronous access, so that `rows` (which
    /// hands the rows on) is used on this thread only.
    private func read(
        _ table: ExportTable, sql: String, on connection: DatabaseQueue, into rows: ExportRowBuffer
    ) throws {
        let displayName = displayName
        try connection.inDatabase { db in
            do {
                let statement = try db.makeStatement(sql: sql)
                let handle = statement.sqliteStatement
                let count = Int32(table.columns.count)
                var rows = rows
                while try RawStatement.nextRow(handle, in: db) {
                    for index in 0..<count { SQLiteColumnReader.read(handle, index, into: &rows) }
                    try rows.endRow()
                }
                sqlite3_reset(handle)
            } catch let error as DatabaseError {
                throw FerryError(
                    .databaseUnavailable, "Could not read \(table.name) in \(displayName).",
                    changes: "Nothing was changed; the unfinished export has no manifest.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
        }
    }

    private func access<T: Sendable>(
        _ what: String, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let displayName = displayName
        return try await queue.writeWithoutTransaction { db in
            do {
                return try work(db)
            } catch let error as DatabaseError {
                throw FerryError(
                    .databaseUnavailable, "Could not \(what) in \(displayName).",
                    changes: "Nothing was changed.",
                    engineMessage: error.message ?? "\(error.resultCode)")
            }
        }
    }
}
