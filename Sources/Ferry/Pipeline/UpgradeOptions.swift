import Foundation

/// What an upgrade is asked to do.
public struct UpgradeOptions: Sendable {
    /// The release to go to; nil for this program's release.
    public var target: Release?
    /// Whether changed, missing and out-of-order migrations are accepted,
    /// which the history records.
    public var allowChanged: Bool
    /// Whether to skip the pre-upgrade backup (`--no-backup`), which the
    /// history records.
    public var skipBackup: Bool
    /// Whether preflight warnings are overridden (`--force`); blockers never are.
    public var force: Bool
    /// Whether preflight is left out (rehearsals run it on the live
    /// database; `test-paths` works on scratch databases).
    var skipsPreflight = false
    /// Work done in the upgrade's last transaction after its migrations,
    /// before its hooks, stamp and verification (an import loads the rows of
    /// an export there, so that they commit with the release that shapes them).
    var beforeCommit: (@Sendable (any MigrationSession) async throws -> Void)?
    /// What the upgrade's last transaction is, the one that runs
    /// ``beforeCommit``, for the engine's errors in it (an import into a new
    /// database loads its rows there); the ones before it are upgrades.
    var transactionPurpose = TransactionPurpose.upgrade
    /// How the pending migrations are grouped into transactions.
    public var transactionMode: TransactionMode
    /// Whether the applied migrations' checksums are compared even when
    /// nothing is pending (the `ferry` tool sets it).
    ///
    /// Off, an up-to-date database costs a listing of the migration folders
    /// and one read, which keeps an application's start-up fast: an edited
    /// applied script is then refused by the next upgrade that has work to
    /// do (or by `status`, `validate`, `check`), not by this one.
    public var verifiesChecksums: Bool

    /// Creates options.
    public init(
        target: Release? = nil, allowChanged: Bool = false, skipBackup: Bool = false,
        force: Bool = false,
        transactionMode: TransactionMode = .wholeUpgrade, verifiesChecksums: Bool = false
    ) {
        self.target = target
        self.allowChanged = allowChanged
        self.skipBackup = skipBackup
        self.force = force
        self.transactionMode = transactionMode
        self.verifiesChecksums = verifiesChecksums
    }
}

/// How an upgrade groups its migrations into transactions
/// (`--transaction-mode`, `FERRY_TRANSACTION_MODE`, `[database] transaction_mode`).
///
/// Whatever the mode, a migration marked `-- ferry:no-transaction` runs
/// alone outside any transaction, and one marked `-- ferry:own-transaction`
/// in a transaction of its own.
public enum TransactionMode: String, Sendable, Codable, CaseIterable {
    /// Every pending migration of every release in one transaction (`upgrade`,
    /// the default): the database ends at the old release or the new one.
    case wholeUpgrade = "upgrade"
    /// Each migration in a transaction of its own (`migration`): a failure
    /// keeps the migrations committed before it, and the database records
    /// the newest release whose migrations all committed.
    case perMigration = "migration"

    /// Reads `upgrade` or `migration`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for another text.
    public init(parsing text: String) throws {
        guard
            let mode = TransactionMode(
                rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
        else {
            throw FerryError(
                .invalidConfiguration, "'\(text)' is not a transaction mode.",
                advice: "Use 'upgrade' (one transaction for the whole upgrade, the default) "
                    + "or 'migration' (one transaction per migration).")
        }
        self = mode
    }
}

/// What an upgrade did.
public struct UpgradeReport: Sendable, Encodable {
    /// The release the database was at before, if any.
    public let from: String?
    /// The release the database is at now.
    public let to: Release
    /// The ids of the migrations applied, in order.
    public let applied: [String]
    /// How long the upgrade took, in seconds.
    public let seconds: Double
    /// Whether there was nothing to do.
    public let wasUpToDate: Bool
    /// The pre-upgrade backup's name, if one was taken.
    public var backup: String? = nil
}
