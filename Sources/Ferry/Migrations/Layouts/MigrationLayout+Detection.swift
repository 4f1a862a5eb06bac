import Foundation

extension MigrationLayout {
    /// The layout of a folder when none is configured: the one whose tool
    /// would find migrations there.
    ///
    /// Ferry's own layout when the folder holds release folders, or nothing
    /// another tool reads (also when it does not exist yet).
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the files
    ///   fit several layouts (golang-migrate's and SQLx's names are alike),
    ///   naming them.
    public static func detect(in folder: URL) throws -> MigrationLayout {
        guard let entries = try? LayoutFiles.entries(in: folder) else { return .ferry }
        let hasReleaseFolders = entries.folders.contains {
            !MigrationFolder.reservedFolders.contains($0) && Release($0)?.description == $0
        }
        // Ferry's own folders hold releases and nothing else at the top: no need to look further.
        if hasReleaseFolders, !entries.files.contains(where: { $0.hasSuffix(".sql") }),
            !entries.files.contains(SqitchLayout.planFile)
        {
            return .ferry
        }
        var candidates = allCases.filter { $0.reader?.recognizes(folder) == true }
        if hasReleaseFolders { candidates.insert(.ferry, at: 0) }
        // A Sqitch project's own files live in deploy/, which no other layout reads.
        if candidates.contains(.sqitch) { candidates = [.sqitch] }
        guard candidates.count <= 1 else {
            throw FerryError(
                .invalidConfiguration,
                "The migrations folder \(folder.path) fits several layouts: "
                    + candidates.map(\.rawValue).joined(separator: ", ") + ".",
                changes: "Nothing was changed.",
                advice:
                    "Say which, such as [database] layout = \"\(candidates[0].rawValue)\" in ferry.toml."
            )
        }
        return candidates.first ?? .ferry
    }
}
