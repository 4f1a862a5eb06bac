import Foundation

/// Step 2 of the upgrade pipeline, inspect: read the history and the
/// recorded release.
///
/// A missing database is refused unless the configuration allows creating
/// it. What the history says against the migrations (a newer release,
/// changed or unknown migrations) is refused by ``PlanStage``, which
/// compares the two.
struct InspectStage {
    let ferry: Ferry

    /// Reads the database's state.
    ///
    /// - Parameter read: Reads the state, from the engine or from the
    ///   session under the lock.
    /// - Throws: ``FerryError`` (code `databaseMissing`) when the database
    ///   does not exist and may not be created.
    func run(reading read: () async throws -> DatabaseState) async throws -> DatabaseState {
        let state = try await read()
        if !state.exists { try refuseToCreate() }
        return state
    }

    /// Refuses to create a missing database unless the configuration allows
    /// it: a mistyped path must not become a new, empty database.
    private func refuseToCreate() throws {
        guard !ferry.configuration.createsDatabase else { return }
        let engine = ferry.configuration.engine
        var looked = ""
        if let file = engine.localFile {
            let folder = file.deletingLastPathComponent()
            var isFolder: ObjCBool = false
            let folderExists =
                FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder)
                && isFolder.boolValue
            looked =
                " (looked for \(file.lastPathComponent) in \(folder.path), which "
                + (folderExists ? "exists" : "does not exist either") + ")"
        }
        throw FerryError(
            .databaseMissing, "The database \(engine.displayName) does not exist\(looked).",
            changes: "Nothing was changed: no database was created.",
            advice:
                "Check the database's path or URL (\(.database), FERRY_DATABASE, [database] url). To create a new "
                + "database there, run again with \(.create) (or set [database] create = true).")
    }
}
