import Foundation

/// An export folder on disk: where its files go, and the check of a folder
/// against its manifest before an import reads it.
public struct ExportFolder: Sendable {
    /// The folder.
    public let url: URL

    /// Creates the value for a folder (nothing is read or written).
    public init(url: URL) {
        self.url = url
    }

    /// The manifest's file.
    public var manifestFile: URL { url.appendingPathComponent(ExportManifest.fileName) }

    /// The folder of a table's parts, relative to the export folder: the
    /// table's name when it is a plain name, else a name made of its UTF-8
    /// bytes in hex, so that no table name can leave the folder.
    public static func dataFolder(for table: String) -> String {
        let plain = table.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        let name = plain && !table.isEmpty ? table : "x-" + Checksum.hex(Array(table.utf8))
        return "data/" + name
    }

    /// What follows a table's folder for the part of its rows that an
    /// export of entities holds as references (`data/rooms.references`),
    /// apart from the entities' own rows of the same table: no table's
    /// folder ends so, since a plain name has no dot.
    public static let referencesSuffix = ".references"

    /// Reads the manifest and checks every file it names (size and
    /// SHA-256), reading each file once in pieces; nothing is written.
    ///
    /// - Throws: ``FerryError`` (code `exportCorrupt`) naming the first file
    ///   that is missing, of another size, or changed; an incomplete export
    ///   (no manifest) is refused as such.
    public func checked() throws -> ExportManifest {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw FerryError(
                .invalidConfiguration, "There is no export folder at \(url.path).",
                changes: "Nothing was changed.",
                advice: "Name the folder that \(run: .export) wrote.")
        }
        guard let data = FileManager.default.contents(atPath: manifestFile.path) else {
            throw FerryError(
                .exportCorrupt,
                "This export is incomplete: \(url.path) has no \(ExportManifest.fileName), which an export writes last.",
                changes: "Nothing was changed.",
                advice:
                    "The export stopped before its end, or this is not an export folder: take the export again."
            )
        }
        let manifest = try ExportManifest.read(data, from: manifestFile)
        // Checked side by side (each file's SHA-256 is a core's work); the first file that
        // fails, in the manifest's order, is the one said.
        let files = [manifest.schema] + manifest.tables.flatMap(\.files)
        let outcomes = files.concurrentMap(minimumCount: 2) { file in Result { try check(file) } }
        for outcome in outcomes { try outcome.get() }
        try refuseUnlisted(files)
        return manifest
    }

    /// Refuses a file under `data/` that the manifest does not list: rows
    /// added after the export was written, or parts of another export
    /// mixed in, which an import would leave out without a word.
    private func refuseUnlisted(_ files: [ExportManifest.File]) throws {
        let listed = Set(files.map(\.path))
        let data = url.appendingPathComponent("data")
        guard
            let walk = FileManager.default.enumerator(
                at: data, includingPropertiesForKeys: [.isRegularFileKey])
        else { return }
        let prefix = url.standardizedFileURL.path + "/"
        for case let file as URL in walk {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true
            else { continue }
            let relative = String(file.standardizedFileURL.path.dropFirst(prefix.count))
            guard listed.contains(relative) else {
                throw FerryError.exportCorrupt(
                    "\(relative) is in the export at \(url.path), but its manifest does not list it: it was added after the export was written, or another export's parts were mixed in."
                )
            }
        }
    }

    private func check(_ file: ExportManifest.File) throws {
        let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.path.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0.isEmpty })
        else {
            throw FerryError.exportCorrupt(
                "The manifest names \(file.path), which is not a file inside the export.")
        }
        let target = url.appendingPathComponent(file.path)
        guard FileManager.default.fileExists(atPath: target.path) else {
            throw FerryError.exportCorrupt(
                "\(file.path) is missing from the export at \(url.path).")
        }
        let size = FileSafety.size(of: target.path)
        guard size == file.bytes else {
            throw FerryError.exportCorrupt(
                "\(file.path) has \(size) byte\(size == 1 ? "" : "s"); the manifest says \(file.bytes): it was truncated or changed."
            )
        }
        guard try FileSafety.sha256(of: target) == file.sha256 else {
            throw FerryError.exportCorrupt(
                "\(file.path) does not match its SHA-256 in the manifest: it was changed or damaged."
            )
        }
    }
}
