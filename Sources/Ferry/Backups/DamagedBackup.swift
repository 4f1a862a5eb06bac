import Foundation

extension FerryError {
    /// The error of a backup that fails its check: the engine (or its tool)
    /// could not read or load it whole.
    ///
    /// Every engine refuses a damaged backup the same way: nothing was
    /// changed, and another backup of the catalog is the way on.
    ///
    /// - Parameters:
    ///   - file: The backup file.
    ///   - failure: What could not be done, for example
    ///     `SQLite cannot read it whole`.
    ///   - detail: What the engine or its tool said.
    package static func damagedBackup(_ file: URL, _ failure: String, detail: String) -> FerryError
    {
        FerryError(
            .backupCorrupt, "The backup \(file.lastPathComponent) is damaged: \(failure).",
            changes: "Nothing was changed.",
            advice: "Use another backup (\(run: .backups) lists them).",
            engineMessage: detail)
    }
}
