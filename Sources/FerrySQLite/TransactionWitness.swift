import Ferry
import Foundation
import GRDB

/// What a session knows of the transaction it has open: which indexes
/// SQLite built in it, and whether the foreign keys were found clean with
/// nothing written since. The checks before the commit use it not to
/// evaluate twice what SQLite or an earlier check already did.
///
/// - An index built in the transaction (a migration's `CREATE INDEX`, an
///   index an import makes after its rows) holds what SQLite made from its
///   table's rows, by one sort, and kept in step with every write since.
///   Comparing its entries with its table again (the full check's index
///   passes, ``SQLiteIntegrityCheck``) would only repeat SQLite's own work;
///   `PRAGMA quick_check` still reads every page of it. An index that was
///   there before the transaction may hold an older fault, which nothing
///   before the upgrade looked for (the preflight's quick check does not
///   compare indexes with tables), and keeps its passes. An index is taken
///   as built in the transaction when its name and root page were not in
///   the schema as the transaction began: `REINDEX` keeps the root page,
///   and a dropped index made again under the same name in a freed page
///   that happens to be its old root is only checked in full. A script that
///   names `writable_schema` can make an index's definition say what its
///   entries do not: then every index is checked (see
///   ``CheckConstraintWitness/mayHoldAnOldSchema``).
/// - `PRAGMA foreign_key_check` over every table, clean, holds while no row
///   is written and no definition changes: the commit's own check is left
///   out when the connection's count of changed rows
///   (`sqlite3_total_changes64`, triggers' included) and the schema's
///   version (which a `DROP TABLE` or `ALTER TABLE` moves) are still what
///   they were when the verification's check found nothing. No other
///   connection writes while the transaction (`BEGIN IMMEDIATE`) is open.
final class TransactionWitness: Sendable {
    private struct State {
        /// Each index's name and root page as the transaction began; nil
        /// outside a transaction.
        var indexRoots: Set<IndexRoot>?
        /// The connection's changed rows and the schema's version when every
        /// table's foreign keys were last found clean in this transaction.
        var cleanForeignKeys: Stamp?
    }

    private struct IndexRoot: Hashable {
        let name: String
        let rootPage: Int64
    }

    private struct Stamp: Equatable {
        let totalChanges: Int
        let schemaVersion: Int
    }

    private let state = Locked(State())

    /// Notes the indexes as the transaction, just begun on `db`, finds them.
    func transactionBegan(on db: Database) throws {
        let roots = try Self.indexRoots(db)
        state.withLock { $0 = State(indexRoots: roots) }
    }

    /// Forgets the transaction, committed or rolled back.
    func transactionEnded() {
        state.withLock { $0 = State() }
    }

    /// The indexes SQLite built in the open transaction; empty outside one.
    func indexesBuiltInTransaction(on db: Database) throws -> Set<String> {
        guard db.isInsideTransaction, let before = state.withLock({ $0.indexRoots }) else {
            return []
        }
        return Set(try Self.indexRoots(db).subtracting(before).map(\.name))
    }

    /// Notes that `PRAGMA foreign_key_check` over every table found nothing.
    func foreignKeysFoundClean(on db: Database) throws {
        guard db.isInsideTransaction else { return }
        let stamp = try Self.stamp(db)
        state.withLock { $0.cleanForeignKeys = stamp }
    }

    /// Whether the foreign keys were found clean in this transaction and
    /// nothing was written since.
    func foreignKeysStillClean(on db: Database) throws -> Bool {
        guard db.isInsideTransaction, let clean = state.withLock({ $0.cleanForeignKeys }) else {
            return false
        }
        return try Self.stamp(db) == clean
    }

    private static func indexRoots(_ db: Database) throws -> Set<IndexRoot> {
        var roots = Set<IndexRoot>()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT name, rootpage FROM sqlite_schema WHERE type = 'index'")
        while let row = try rows.next() {
            roots.insert(IndexRoot(name: row[0], rootPage: row[1] ?? 0))
        }
        return roots
    }

    private static func stamp(_ db: Database) throws -> Stamp {
        Stamp(
            totalChanges: db.totalChangesCount,
            schemaVersion: try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0)
    }
}
