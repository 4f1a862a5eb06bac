import Foundation

/// A folder of this process under the temporary folder, emptied before each
/// input, for the parsers that read files.
public enum ScratchFolder {
    /// The folder; made once per process.
    public static let url: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: ScratchFolder.url) }
        return url
    }()

    /// Runs `body` on an empty folder inside ``url``, removed afterwards.
    ///
    /// - Parameter body: The work, given the empty folder.
    public static func withEmptyFolder(_ body: (URL) throws -> Void) rethrows {
        let folder = url.appendingPathComponent("input", isDirectory: true)
        try? FileManager.default.removeItem(at: folder)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    /// Writes the files of an archive into `folder`: entries `PATH\0CONTENTS\0`,
    /// a path ending in `/` being a folder; paths that would leave the folder
    /// (`..`, absolute) are skipped, and at most 24 entries are written.
    ///
    /// - Parameters:
    ///   - input: The archive.
    ///   - folder: Where to write.
    public static func unpack(_ input: inout FuzzInput, into folder: URL) {
        var written = 0
        while !input.isEmpty, written < 24 {
            let path = String(decoding: input.field(upTo: 0), as: UTF8.self)
            let contents = input.field(upTo: 0)
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.isEmpty, !path.hasPrefix("/"), path.utf8.count < 200,
                !parts.contains(".."), !parts.contains(".")
            else { continue }
            written += 1
            let target = folder.appendingPathComponent(path)
            if path.hasSuffix("/") {
                try? FileManager.default.createDirectory(
                    at: target, withIntermediateDirectories: true)
                continue
            }
            try? FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: target.path, contents: Data(contents))
        }
    }
}
