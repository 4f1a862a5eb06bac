import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Named points in Ferry's work where a test can make the process die as
/// `kill -9` would, or stop it, exactly there rather than whenever a timer
/// fires.
///
/// Only debug builds look: when the environment variable
/// `FERRY_TEST_CRASH_AT` names a point as it is reached, the process sends
/// itself `SIGKILL` (no handler runs, nothing is flushed, locks are dropped by
/// the kernel); when `FERRY_TEST_STOP_AT` names it, `SIGSTOP`, so that a test
/// can start a second process while the first holds what it holds there, then
/// let it go on with `SIGCONT`. Release builds compile the call to nothing.
package enum CrashPoint {
    /// The variable that names the point to die at.
    package static let variable = "FERRY_TEST_CRASH_AT"
    /// The variable that names the point to stop at.
    package static let stopVariable = "FERRY_TEST_STOP_AT"

    /// Dies here if this point is the one named.
    @inline(__always)
    package static func reach(_ name: StaticString) {
        #if DEBUG
        let environment = ProcessInfo.processInfo.environment
        if environment[variable] == "\(name)" { raise(SIGKILL) }
        if environment[stopVariable] == "\(name)" { raise(SIGSTOP) }
        #endif
    }
}
