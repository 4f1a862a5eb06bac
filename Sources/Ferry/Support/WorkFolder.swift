import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A private folder for one run's temporary files (a rehearsal copy, a
/// backup being written, a password file for a PostgreSQL tool), which
/// never outlives its run.
///
/// The folder is made 0700 and holds a file `.owner` that its process keeps
/// locked with `flock(2)` for as long as the folder is in use. The kernel
/// drops that lock when the process dies, however it dies, so the next run
/// can prove a folder is a leftover (its lock is free) and delete it: no pid
/// is trusted, and a folder in use is never touched. A folder appears under
/// its final name only once it is locked, so a sweeper never sees one that
/// is still being made.
///
/// ```swift
/// try await WorkFolder.with("rehearsal", in: FileManager.default.temporaryDirectory) { folder in
///     // write into folder.url
/// }
/// ```
public final class WorkFolder: @unchecked Sendable {
    /// The folder.
    public let url: URL
    private var ownerDescriptor: Int32

    /// Folder names start with this, then the purpose and a random part.
    public static let prefix = ".ferry-work-"

    private init(url: URL, ownerDescriptor: Int32) {
        self.url = url
        self.ownerDescriptor = ownerDescriptor
    }

    deinit {
        if ownerDescriptor >= 0 { close(ownerDescriptor) }
    }

    /// Makes a new locked work folder inside `parent`, after deleting the
    /// leftovers of dead runs there.
    ///
    /// - Parameters:
    ///   - purpose: A word for what the folder holds (`rehearsal`, `backup`):
    ///     part of its name.
    ///   - parent: Where to make it (created 0700 if missing).
    /// - Throws: ``FerryError`` (code `fileSystem`) when it cannot be made.
    public static func make(_ purpose: String, in parent: URL) throws -> WorkFolder {
        removeLeftovers(in: parent)
        let random = UUID().uuidString.prefix(13).lowercased()
        let name = "\(prefix)\(purpose)-\(random)"
        let final = parent.appendingPathComponent(name)
        let staging = parent.appendingPathComponent(".ferry-making-\(random)")
        func failure(_ what: String) -> FerryError {
            FerryError(
                .fileSystem, "Cannot make a temporary folder in \(parent.path): \(what).",
                changes: "Nothing was changed.",
                advice:
                    "Make \(parent.path) writable, with room for the files, or choose another folder."
            )
        }
        do {
            try FileManager.default.createDirectory(
                at: parent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw failure(error.localizedDescription)
        }
        guard mkdir(staging.path, 0o700) == 0 else {
            throw failure(String(cString: strerror(errno)))
        }
        let descriptor = open(
            staging.appendingPathComponent(".owner").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            try? FileManager.default.removeItem(at: staging)
            throw failure(reason)
        }
        let owner =
            "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(Timestamp.string(from: Date()))\n"
        _ = owner.withCString { write(descriptor, $0, strlen($0)) }
        guard rename(staging.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            try? FileManager.default.removeItem(at: staging)
            throw failure(reason)
        }
        CrashPoint.reach("workfolder.made")
        return WorkFolder(url: final, ownerDescriptor: descriptor)
    }

    /// Runs `body` with a new work folder in `parent`, and deletes the
    /// folder afterwards, also when `body` throws.
    public static func with<Result>(
        _ purpose: String, in parent: URL, _ body: (WorkFolder) async throws -> Result
    ) async throws -> Result {
        let folder = try make(purpose, in: parent)
        defer { folder.remove() }
        return try await body(folder)
    }

    /// Deletes the folder and everything in it, then releases the lock.
    public func remove() {
        guard ownerDescriptor >= 0 else { return }
        try? FileManager.default.removeItem(at: url)
        close(ownerDescriptor)
        ownerDescriptor = -1
    }

    /// Deletes the work folders in `parent` whose runs have died (their
    /// `.owner` lock is free), and staging folders of dead runs.
    ///
    /// - Returns: The folders deleted.
    @discardableResult
    public static func removeLeftovers(in parent: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else {
            return []
        }
        var removed: [URL] = []
        for name in names where name.hasPrefix(prefix) || name.hasPrefix(".ferry-making-") {
            let folder = parent.appendingPathComponent(name)
            // A staging folder lives for a moment, and its lock file exists unlocked between its
            // creation and the flock: only one older than a minute is a dead maker's.
            if name.hasPrefix(".ferry-making-") && !isOlderThanAMinute(folder) { continue }
            guard isAbandoned(folder, isStaging: name.hasPrefix(".ferry-making-")),
                !holdsLinkedFile(folder)
            else { continue }
            if (try? FileManager.default.removeItem(at: folder)) != nil { removed.append(folder) }
        }
        return removed
    }

    /// The work folders in `parent` whose runs have died, which the next
    /// ``make(_:in:)`` there deletes: for a caller that must first undo
    /// what a dead run began with their files.
    public static func abandoned(in parent: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.map { parent.appendingPathComponent($0) }
            .filter { isAbandoned($0, isStaging: false) }
    }

    /// Whether a file of the folder is also linked from elsewhere: the dead
    /// run was placing it (a backup linked into its catalog), and what it
    /// left there is for that place's owner to settle first
    /// (``BackupCatalog``), which then removes the folder.
    private static func holdsLinkedFile(_ folder: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains { name in
            var status = stat()
            return lstat(folder.appendingPathComponent(name).path, &status) == 0
                && status.st_mode & S_IFMT == S_IFREG && status.st_nlink > 1
        }
    }

    /// Whether a work folder's run has died: its `.owner` lock is free (a
    /// staging folder may also have died before it made the lock file).
    private static func isAbandoned(_ folder: URL, isStaging: Bool) -> Bool {
        let owner = folder.appendingPathComponent(".owner")
        let descriptor = open(owner.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            // A staging folder whose maker died before it made the lock file;
            // a final folder always has one.
            return isStaging && errno == ENOENT
        }
        defer { close(descriptor) }
        // Taken by this process only to test it; closing the descriptor releases it.
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    private static func isOlderThanAMinute(_ url: URL) -> Bool {
        guard
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[
                .modificationDate] as? Date
        else { return false }
        return Date().timeIntervalSince(modified) > 60
    }
}
