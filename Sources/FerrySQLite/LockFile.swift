import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock file beside a database, locked with `flock(2)`.
///
/// The kernel holds the lock for the open file, so it is released when the
/// holder closes it or dies, however it dies: a lock left by a crashed
/// process is free at once, and nobody ever judges a holder by its pid. The
/// file's content only tells others who holds the lock. The file is never
/// deleted, because deleting a lock file races with a process that has it
/// open and is about to lock it.
final class LockFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private let isWritable: Bool

    /// Opens (creating if needed) the lock file.
    init(path: String) throws {
        self.path = path
        var descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        var isWritable = true
        let openError = descriptor < 0 ? errno : 0
        if descriptor < 0, openError == EACCES || openError == EROFS {
            // Another user's lock file (or one on a read-only file system) still locks; we just cannot write who we are.
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            isWritable = false
        }
        guard descriptor >= 0 else {
            let isReadOnly = openError == EROFS
            let reason = String(cString: strerror(errno))
            throw FerryError(
                .fileSystem, "Cannot open the upgrade lock file \(path): \(reason).",
                changes: "Nothing was changed.",
                advice: isReadOnly
                    ? "Mount the database's file system read-write, then run the command again."
                    : "Make the database's folder writable for this user.")
        }
        self.descriptor = descriptor
        self.isWritable = isWritable
    }

    deinit {
        close(descriptor)
    }

    /// Takes the exclusive lock if it is free; returns whether it did.
    func tryLockExclusively() throws -> Bool {
        try tryLock(LOCK_EX)
    }

    /// Whether someone holds the exclusive lock now (this probe takes and
    /// drops a shared lock, which never blocks an upgrader for long).
    func isHeldByAnother() throws -> Bool {
        guard try tryLock(LOCK_SH) else { return true }
        unlock()
        return false
    }

    private func tryLock(_ operation: Int32) throws -> Bool {
        while true {
            if flock(descriptor, operation | LOCK_NB) == 0 { return true }
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return false
            default:
                let reason = String(cString: strerror(errno))
                throw FerryError(
                    .fileSystem, "Cannot lock \(path): \(reason).", changes: "Nothing was changed.")
            }
        }
    }

    /// Releases the lock, after clearing the holder's description.
    func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    /// What this process wrote into the file, guarded by `writing`: each
    /// lock file has its own guard, so that the upgrades of a fleet note
    /// their steps side by side.
    private let writing = NSLock()
    /// How long the text this process wrote last is; nil before its
    /// first write, which cuts the file first (a holder that died left its
    /// text there).
    private var writtenLength: Int?
    private var lastSequence = 0
    private var isCleared = false
    /// The holder this process wrote, as JSON with its step left out: the
    /// text before the step and the text after it. Only the step changes
    /// while a lock is held, and encoding the whole holder at every event
    /// cost more than writing it. Nil before ``write(_:)``.
    private var template: (before: [UInt8], after: [UInt8])?
    /// The last step's text, kept so that noting a step allocates nothing
    /// (it happens twice per migration, between its statements and the
    /// next ones).
    private var noteText: [UInt8] = []
    /// Stands for the step in ``template``'s holder while it is encoded.
    private static let stepMarker = "ferry-step-\(UUID().uuidString)"

    /// Writes who holds the lock (only while holding it, just after taking
    /// it), and keeps it for the steps noted later.
    func write(_ holder: LockHolder) {
        guard isWritable else { return }
        writing.lock()
        defer { writing.unlock() }
        guard !isCleared, let data = try? JSONEncoder.withTimestamps().encode(holder) else {
            return
        }
        template = Self.template(of: holder)
        var text = Array(data)
        put(&text)
    }

    /// Writes the holder with `step` as what it does now (as
    /// `JSONEncoder.withTimestamps()` writes it, which ``holder()`` reads).
    /// A `sequence` below one already written is a step overtaken by a
    /// later one, and is not written; nothing is written before
    /// ``write(_:)`` or once ``clear()`` ran.
    func note(step: String, sequence: Int) {
        guard isWritable else { return }
        writing.lock()
        defer { writing.unlock() }
        guard !isCleared, sequence >= lastSequence, let template else { return }
        lastSequence = sequence
        noteText.removeAll(keepingCapacity: true)
        noteText.append(contentsOf: template.before)
        RowCodec.appendJSONString(step, to: &noteText)
        noteText.append(contentsOf: template.after)
        put(&noteText)
    }

    /// Writes `text` over the file's text. A shorter text than the last is
    /// followed by spaces to the same length (which JSON reads as nothing)
    /// rather than cutting the file first: a step is noted at every event
    /// of an upgrade, and on ext4 the truncation cost more than the write.
    private func put(_ text: inout [UInt8]) {
        let length = text.count
        if let writtenLength {
            if length < writtenLength {
                text.append(
                    contentsOf: repeatElement(UInt8(ascii: " "), count: writtenLength - length))
            }
        } else {
            _ = ftruncate(descriptor, 0)
        }
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        writtenLength = text.count
    }

    /// `holder` as JSON, cut where its step goes; nil when it cannot be
    /// encoded.
    private static func template(of holder: LockHolder) -> (before: [UInt8], after: [UInt8])? {
        var marked = holder
        marked.step = stepMarker
        let quotedMarker = Array("\"\(stepMarker)\"".utf8)
        guard let data = try? JSONEncoder.withTimestamps().encode(marked) else { return nil }
        let bytes = Array(data)
        guard let range = bytes.firstRange(of: quotedMarker) else { return nil }
        return (Array(bytes[..<range.lowerBound]), Array(bytes[range.upperBound...]))
    }

    /// Clears the holder's description (only while holding it, just before
    /// releasing it); a step noted later is not written.
    func clear() {
        guard isWritable else { return }
        writing.lock()
        defer { writing.unlock() }
        isCleared = true
        _ = ftruncate(descriptor, 0)
    }

    /// Who holds the lock, as the holder wrote it; a placeholder when the
    /// holder has not written yet.
    func holder() -> LockHolder {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0,
            let holder = try? JSONDecoder.withTimestamps().decode(
                LockHolder.self, from: Data(buffer[0..<count]))
        {
            return holder
        }
        return LockHolder(host: "unknown host", pid: nil, command: "unknown command", since: Date())
    }
}
