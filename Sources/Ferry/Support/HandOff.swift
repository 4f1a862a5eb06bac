import Foundation

/// Work handed from a producing thread to a consuming one, a few pieces at
/// a time: at most `capacity` wait, so that memory stays bounded while the
/// two threads run side by side (reading and decoding a file on one,
/// writing what it holds into a database on the other).
///
/// The producer calls ``put(_:)`` for each piece and ``finish(_:)`` once,
/// with the failure that stopped it, if one did; the consumer calls
/// ``take()`` until it returns nil, and ``cancel()`` when it stops early,
/// which makes the producer's next ``put(_:)`` return false.
package final class HandOff<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var waiting: [Element] = []
    private var failure: (any Error)?
    private var ended = false
    private var cancelled = false

    /// A hand-off where at most `capacity` pieces wait to be taken.
    package init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Whether the producer ended and every piece it handed over was taken.
    package var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ended && waiting.isEmpty
    }

    /// On the producing thread: hands a piece over, waiting while `capacity`
    /// wait already; false, the piece dropped, when the consumer has gone.
    package func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        waiting.append(element)
        condition.broadcast()
        return true
    }

    /// On the producing thread: the end, or the failure that ended it.
    package func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        failure = error
        ended = true
        condition.broadcast()
    }

    /// The next piece, waiting for it; nil after the last; the producer's
    /// failure once the pieces before it are taken.
    package func take() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !ended { condition.wait() }
        if !waiting.isEmpty {
            let element = waiting.removeFirst()
            condition.broadcast()
            return element
        }
        if let failure { throw failure }
        return nil
    }

    /// On the consuming thread: it takes no more; the producer stops at its next ``put(_:)``.
    package func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        waiting.removeAll()
        condition.broadcast()
    }

    /// Waits until the producer has called ``finish(_:)``.
    package func waitUntilEnded() {
        condition.lock()
        defer { condition.unlock() }
        while !ended { condition.wait() }
    }
}
