import Foundation

/// Something that changed a database's history without applying a migration
/// (a downgrade, a restore, an import, an applied file accepted as it is now), kept in
/// the table `ferry_events` so that `ferry history` can show it.
public struct HistoryEvent: Sendable, Hashable, Codable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Migrations reverted with their down scripts.
        case downgrade
        /// The database replaced by a backup.
        case restore
        /// An applied migration's changed or missing file accepted with `--allow-changed`.
        case accepted
        /// Rows loaded from an export folder (`ferry import`).
        case imported = "import"
        /// One entity's rows moved or copied to another (`ferry transfer`).
        case transfer
        /// A transfer undone (`ferry transfer --undo`).
        case transferUndone = "transfer-undo"
        /// Another tool's history taken over (`ferry adopt`).
        case adopted = "adopt"
        /// A release's migrations recorded as applied to a database whose
        /// schema matched it (`ferry baseline`).
        case baselined = "baseline"
    }

    /// What happened.
    public var kind: Kind
    /// When it happened.
    public var at: Date
    /// The release the database was at before, if any.
    public var fromRelease: RecordedRelease?
    /// The release the database was at after, if any.
    public var toRelease: RecordedRelease?
    /// The backup involved (restored, or taken before), if any.
    public var backup: String?
    /// Details, such as the migration accepted and its checksums.
    public var note: String?

    /// Creates an event.
    public init(
        kind: Kind, at: Date, fromRelease: RecordedRelease?, toRelease: RecordedRelease?,
        backup: String? = nil, note: String? = nil
    ) {
        self.kind = kind
        self.at = at
        self.fromRelease = fromRelease
        self.toRelease = toRelease
        self.backup = backup
        self.note = note
    }
}
