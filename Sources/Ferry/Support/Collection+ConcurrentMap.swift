import Foundation

extension RandomAccessCollection where Element: Sendable {
    /// The elements transformed side by side on the machine's cores, in the
    /// collection's order: for many small pieces of work that share
    /// nothing, such as reading and hashing a folder's files.
    ///
    /// With fewer than `minimumCount` elements, or one core, the elements
    /// are transformed one after the other here: waking other threads would
    /// cost more than it saves.
    ///
    /// - Parameter transform: Runs on several threads at once; it must
    ///   change nothing outside itself without a lock. A failure is best
    ///   returned as a value (`Result`), so that the caller says the first
    ///   one in the collection's order, as a loop would.
    func concurrentMap<T: Sendable>(minimumCount: Int = 32, _ transform: @Sendable (Element) -> T)
        -> [T]
    {
        let count = self.count
        guard count >= Swift.max(minimumCount, 2), CoreCount.active > 1 else {
            return map(transform)
        }
        let elements = ContiguousArray(self)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let results = Slots(first: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: count) { index in
                (results.first + index).initialize(to: transform(elements[index]))
            }
            initialized = count
        }
    }
}

/// The result slots of ``RandomAccessCollection/concurrentMap(minimumCount:_:)``,
/// shared by its threads: each slot is initialized by exactly one of them.
private struct Slots<T>: @unchecked Sendable {
    let first: UnsafeMutablePointer<T>
}

/// The cores this process may use, read once.
private enum CoreCount {
    /// The cores the system lets this process run on now.
    static let active = ProcessInfo.processInfo.activeProcessorCount
}
