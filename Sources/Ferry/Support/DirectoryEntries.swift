import Foundation

/// The entries of a folder, read with `opendir`/`readdir`: each name as
/// bytes, and whether it is a folder from the entry's type, without a
/// `String` or a `stat` per entry where the file system gives the type.
///
/// Start-up lists a migrations folder of thousands of files at every
/// launch; `FileManager` built an array of strings first.
enum DirectoryEntries {
    /// What an entry is, as far as its folder says.
    enum Kind {
        /// A folder (not a symbolic link to one).
        case folder
        /// Anything else: a file, a symbolic link, a device.
        case other
    }

    /// Calls `body` with every entry's name (without `.` and `..`) and kind.
    ///
    /// - Returns: False when the folder cannot be opened.
    static func forEach(
        in path: String, _ body: (_ name: UnsafeBufferPointer<UInt8>, _ kind: Kind) throws -> Void
    ) rethrows -> Bool {
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let type = entry.pointee.d_type
            try withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                let name = UnsafeBufferPointer(rebasing: bytes[..<length])
                if name.elementsEqual(".".utf8) || name.elementsEqual("..".utf8) { return }
                let kind: Kind
                switch Int32(type) {
                case Int32(DT_DIR): kind = .folder
                case Int32(DT_UNKNOWN):
                    kind =
                        isFolder(path + "/" + String(decoding: name, as: UTF8.self))
                        ? .folder : .other
                default: kind = .other
                }
                try body(name, kind)
            }
        }
        return true
    }

    /// Whether the entry itself (not what a symbolic link points to) is a
    /// folder: one `lstat`.
    static func isFolder(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFDIR
    }
}
