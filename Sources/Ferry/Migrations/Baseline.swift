import Foundation

extension MigrationFolder {
    /// The releases' baseline scripts: `<release>/baseline.sql`, oldest first.
    ///
    /// A baseline holds the whole schema (and seed rows) of its release. A
    /// fresh install to that release or a later one runs the newest such
    /// baseline instead of every migration up to its release, then the
    /// migrations of later releases; the history records one row of kind
    /// `baseline`. Databases that were upgraded step by step are not
    /// affected, and the migrations a baseline replaces may then be deleted
    /// (set `minimum_upgradable_from` to the baseline's release, so that
    /// older databases are told which release to install first).
    ///
    /// - Throws: ``FerryError`` when the folder cannot be read.
    public func baselines() throws -> [Migration] {
        try releaseFolders().compactMap { release, name, path in
            let file = path + "/" + Migration.baselineName + ".sql"
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            let script = try Self.script(at: file, shown: "\(name)/\(Migration.baselineName).sql")
            return Migration(
                release: release, name: Migration.baselineName, body: .sql(script),
                checksum: script.checksum, legacyChecksum: script.legacyChecksum)
        }
    }
}
