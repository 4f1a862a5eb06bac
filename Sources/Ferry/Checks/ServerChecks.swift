/// What an upgrade about to be checked needs of the database's server, for
/// the engine's own preflight checks (``DatabaseEngine/serverChecks(for:)``).
public struct ServerNeeds: Sendable {
    /// Whether the database exists (else the upgrade creates it).
    public var databaseExists: Bool
    /// Whether the upgrade takes a backup first.
    public var takesBackup: Bool
    /// How thoroughly that backup is checked: the full check of a server's
    /// backup loads it into a scratch database.
    public var backupCheck: BackupCheckLevel
    /// What must stay free on the server's disk (`[preflight] keep_free_mb`).
    public var keepFreeBytes: Int64

    /// Creates the needs of one upgrade.
    public init(
        databaseExists: Bool, takesBackup: Bool, backupCheck: BackupCheckLevel, keepFreeBytes: Int64
    ) {
        self.databaseExists = databaseExists
        self.takesBackup = takesBackup
        self.backupCheck = backupCheck
        self.keepFreeBytes = keepFreeBytes
    }
}

extension DatabaseEngine {
    /// No checks of its own: the engine's database needs nothing that
    /// preflight does not check already.
    public func serverChecks(for needs: ServerNeeds) async -> [PreflightCheck] { [] }

    /// Nil: the engine's databases always accept writes.
    public func readOnlyReason() async -> String? { nil }
}
