import Foundation

/// A file being written by one thread and read by another as it grows: the
/// writer says how many bytes it has written and when it has finished, and
/// the reader, at the end of what is there, waits for more instead of
/// taking it for the file's end.
///
/// The full check of an SQL backup loads the dump from the file while the
/// dump is written, so that writing and loading share the cores instead of
/// taking turns. The bytes loaded are still those read back from the file.
final class GrowingFile: @unchecked Sendable {
    private let condition = NSCondition()
    private var written: Int64 = 0
    private var ended = false
    private var failure: (any Error)?

    /// On the writing thread: `count` more bytes are in the file.
    func grew(by count: Int) {
        condition.lock()
        defer { condition.unlock() }
        written += Int64(count)
        condition.broadcast()
    }

    /// On the writing thread: no more bytes will come; `error` when the
    /// writing failed, so that the file is not whole.
    func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        failure = error
        ended = true
        condition.broadcast()
    }

    /// On the reading thread, which has read `read` bytes and found no more:
    /// waits until more are written (true) or the writing has finished (false).
    ///
    /// - Throws: The writer's failure: what was read is not a whole file.
    func waitForMore(than read: Int64) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while written <= read && !ended { condition.wait() }
        if written > read { return true }
        if let failure { throw failure }
        return false
    }
}
