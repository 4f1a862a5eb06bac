/// What a transaction does, so that an engine's error in it (a reference
/// left without its row, a lost connection at the commit) names the
/// operation the user ran and tells what to fix in it.
public enum TransactionPurpose: String, Sendable, Hashable, CaseIterable {
    /// Migrations applied (or a rehearsal's fixture).
    case upgrade
    /// Down migrations applied.
    case downgrade
    /// An export's rows loaded.
    case importing = "import"
    /// One entity's rows moved or copied to another.
    case transfer
    /// A transfer undone.
    case transferUndo = "transfer undo"
    /// Ferry's own records written and nothing else (a baseline, an
    /// adoption, the event of a restore): no row of the application's
    /// changes, so its references stay enforced as the statements run and
    /// there is nothing of them to check again at the commit.
    case bookkeeping = "record"

    /// Whether the transaction may change the application's rows, so that an
    /// engine that defers or suspends their references in it (SQLite turns
    /// its foreign keys off for a rebuild) checks them before the commit.
    public var changesApplicationRows: Bool { self != .bookkeeping }

    /// The operation as the subject of a sentence: "the import".
    public var noun: String {
        switch self {
        case .upgrade: return "the upgrade"
        case .downgrade: return "the downgrade"
        case .importing: return "the import"
        case .transfer: return "the transfer"
        case .transferUndo: return "the undo of the transfer"
        case .bookkeeping: return "the record in Ferry's tables"
        }
    }

    /// ``noun`` at the start of a sentence: "The import".
    public var subject: String { noun.prefix(1).uppercased() + noun.dropFirst() }

    /// What to do when the operation would leave rows whose reference (or
    /// another constraint checked at the commit) fails.
    public var violationAdvice: String {
        switch self {
        case .upgrade:
            return
                "Fix the migration so that every reference has its row and every row its constraint (for example repair or delete the orphans in the migration), then run the upgrade again."
        case .downgrade:
            return
                "Fix the down migration so that every reference has its row and every row its constraint, then run the downgrade again."
        case .importing:
            return
                "The export references rows that neither it nor the database holds: export the entities those rows reference as well, or import into a database that has them."
        case .transfer:
            return
                "Rows of the tables named reference rows that the transfer deletes or changes: move or delete those references first, or transfer without --delete-empty-source or policy replace."
        case .transferUndo:
            return
                "Rows of the tables named reference rows that the undo deletes or changes: remove those references first, or restore the pre-transfer backup."
        case .bookkeeping:
            return
                "Ferry's own tables reference no row of the application's: run the command again, and report the message if it comes back."
        }
    }

    /// The refusal of an operation that would leave rows whose foreign key
    /// has no parent row.
    ///
    /// - Parameters:
    ///   - violations: The rows, as the engine describes them (the first ten are listed).
    ///   - check: The engine's check that found them (`PRAGMA foreign_key_check`).
    ///   - changes: What was changed; by default, that the operation was rolled back.
    public func foreignKeyRefusal(
        _ violations: [String], check: String, changes: String? = nil
    ) -> FerryError {
        let shown = violations.prefix(10).map { "  " + $0 }
        let more = violations.count > 10 ? ["  … and \(violations.count - 10) more"] : []
        return FerryError(
            .constraintViolation,
            "\(subject) would leave \(violations.count) foreign key violation\(violations.count == 1 ? "" : "s") (\(check)):\n"
                + (shown + more).joined(separator: "\n"),
            changes: changes ?? "Nothing was changed: \(noun) was rolled back.",
            advice: violationAdvice)
    }

    /// Runs `body`, the work of such a transaction: an error of Ferry's that
    /// does not say what was changed says that nothing was, and that the
    /// operation was rolled back.
    package func rollingBack<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch var error as FerryError {
            if error.changes == nil {
                error.changes = "Nothing was changed: \(noun) was rolled back."
            }
            throw error
        }
    }
}
