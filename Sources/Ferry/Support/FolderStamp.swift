import Foundation

/// What a folder's `stat(2)` says of its entries' last change: its device
/// and inode, and the times of its last modification and status change.
///
/// Adding, removing or renaming an entry sets both times to now; the status
/// change time cannot be set back by hand (`touch -d` sets only the others).
/// Start-up keeps what it read of a migrations folder while the stamps of its
/// folders stay the same (see ``MigrationFolderNames``).
struct FolderStamp: Equatable, Sendable {
    private let device: UInt64
    private let inode: UInt64
    private let modified: Duration
    private let changed: Duration

    /// The stamp of the folder at `path` now (following symbolic links),
    /// or nil when it cannot be read or is not a folder.
    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        modified = .seconds(status.st_mtim.tv_sec) + .nanoseconds(status.st_mtim.tv_nsec)
        changed = .seconds(status.st_ctim.tv_sec) + .nanoseconds(status.st_ctim.tv_nsec)
    }

    /// Whether both times are earlier than `instant` (seconds since 1970)
    /// by more than `margin`.
    ///
    /// A file system stamps changes with a coarse clock (a kernel tick; two
    /// seconds on FAT), so a change made just after a folder was read can
    /// carry the same stamp as one made just before: only a stamp older than
    /// the reading by more than that coarseness tells every later change
    /// apart, as Git does with files changed in the second its index was written.
    func isOlder(than instant: Duration, by margin: Duration) -> Bool {
        max(modified, changed) < instant - margin
    }

    /// The wall-clock time now, as the file system stamps it.
    static func now() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
