import Foundation

/// How far a running program (`pg_restore`, `psql`) has read a file: the
/// offset of its descriptor open on that file, from Linux's `/proc`, so
/// that a restore reports its progress in bytes without the program's help.
/// Nil where there is no `/proc`, before the program opens the file, or after
/// it closed it.
struct ProgramReadPosition {
    /// The program's process id.
    let processIdentifier: Int32
    /// The file, its symbolic links resolved.
    let path: String
    /// The descriptor found open on the file.
    private var descriptor: String?

    /// Follows a program's reading of `file`.
    init(of processIdentifier: Int32, reading file: URL) {
        self.processIdentifier = processIdentifier
        path = file.resolvingSymlinksInPath().path
    }

    /// The offset the program has read the file to now.
    mutating func offset() -> Int64? {
        let process = "/proc/\(processIdentifier)"
        func isOnTheFile(_ name: String) -> Bool {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(process)/fd/\(name)"))
                == path
        }
        // A descriptor closed since may have been given to another file.
        if let known = descriptor, !isOnTheFile(known) { descriptor = nil }
        if descriptor == nil {
            let descriptors =
                (try? FileManager.default.contentsOfDirectory(atPath: "\(process)/fd")) ?? []
            descriptor = descriptors.first(where: isOnTheFile)
        }
        guard let descriptor,
            let info = try? String(
                contentsOfFile: "\(process)/fdinfo/\(descriptor)", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("pos:") })
        else { return nil }
        return Int64(line.dropFirst(4).trimmingCharacters(in: .whitespaces))
    }
}
