/// A long operation the admin server runs one at a time.
public enum OperationKind: String, Sendable, Encodable, CaseIterable {
    case upgrade, rehearsal, backup, restore

    /// The command whose `--json` result the operation's result event is
    /// (a rehearsal is `upgrade --rehearse`).
    var command: String {
        switch self {
        case .upgrade, .rehearsal: "upgrade"
        case .backup: "backup"
        case .restore: "restore"
        }
    }

    /// Whether it changes the live database (a rehearsal works on a copy,
    /// a backup only reads it).
    var changesDatabase: Bool { self == .upgrade || self == .restore }

    /// The last line of its log: `[END UPGRADE SUCCESS]`, `[END BACKUP ERROR]`, ….
    func endMarker(success: Bool) -> String {
        "[END \(rawValue.uppercased()) \(success ? "SUCCESS" : "ERROR")]"
    }
}
