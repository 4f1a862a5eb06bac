import Foundation

/// A value shared between tasks and threads behind a lock: what a callback
/// running elsewhere records and the caller reads afterwards.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    /// Creates the box holding a first value.
    package init(_ value: Value) { stored = value }

    /// The value now.
    package var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Reads or changes the value while holding the lock.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&stored) }
    }
}
