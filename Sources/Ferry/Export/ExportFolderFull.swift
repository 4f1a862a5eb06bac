import Foundation

/// A write of an export part that found its file system full (`ENOSPC`),
/// which the export turns into `FerryError.exportFolderFull`
/// once it knows how much it wrote.
struct ExportFolderFull: Error {
    /// The part being written (the table's folder, for a part of a piece
    /// that has not yet its final name).
    let file: URL
}

extension FerryError {
    /// The error of an export that filled the file system of its folder:
    /// which folder, how much was free, how much it had written, and about
    /// how much it needs.
    ///
    /// - Parameters:
    ///   - folder: The export folder (already emptied of the unfinished export).
    ///   - written: The bytes the export had written when it stopped.
    ///   - freeAtStart: The bytes free on the folder's file system when it started.
    ///   - databaseSize: The database's size, when the engine knows it.
    ///   - cause: The failed write.
    static func exportFolderFull(
        _ folder: URL, written: Int64, freeAtStart: Int64, databaseSize: Int64?,
        cause: any Error
    ) -> FerryError {
        // The part being written, when a part's write found the disk full; another write (the
        // manifest, under a temporary name in a work folder) is not named.
        let writing =
            (cause as? ExportFolderFull).map { " (\($0.file.path) was being written)" } ?? ""
        // The rows' text is about as large as the pages they come from, often larger.
        let needed = max(written + 1, databaseSize ?? 0)
        return FerryError(
            .fileSystem,
            "The export does not fit in \(folder.path): its file system is full. "
                + "It had written \(FileSafety.formatBytes(written))\(writing) "
                + "of about \(FileSafety.formatBytes(needed)) or more, "
                + "and \(FileSafety.formatBytes(freeAtStart)) were free when it started.",
            changes: "The database was not changed; the unfinished export was removed.",
            advice:
                "Free at least \(FileSafety.formatBytes(max(needed - freeAtStart, 1 << 20))) there, "
                + "or export into a folder on a larger disk, then export again.")
    }
}
