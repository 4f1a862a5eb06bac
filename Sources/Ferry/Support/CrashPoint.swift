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
///
/// A point reached more than once (one per migration, per table) is named
/// `name@N` for its N-th time (`upgrade.migration-started@3`); the bare name
/// is its first. When `FERRY_TEST_TRACE` names a file, every point reached
/// is appended to it as a line `name@N`, so that a harness learns which
/// points an operation passes and then kills it at each in turn.
package enum CrashPoint {
    /// The variable that names the point to die at.
    package static let variable = "FERRY_TEST_CRASH_AT"
    /// The variable that names the point to stop at.
    package static let stopVariable = "FERRY_TEST_STOP_AT"
    /// The variable that names the file every point reached is appended to.
    package static let traceVariable = "FERRY_TEST_TRACE"

    /// Dies or stops here if this point is the one named, and traces it.
    /// The name is made only when a test asks (`"event." + event.name`);
    /// release builds never make it.
    @inline(__always)
    package static func reach(_ name: @autoclosure () -> String) {
        #if DEBUG
        reach(named: name())
        #endif
    }

    #if DEBUG
    private static func reach(named point: String) {
        let environment = ProcessInfo.processInfo.environment
        let crash = environment[variable]
        let stop = environment[stopVariable]
        let trace = environment[traceVariable]
        guard crash != nil || stop != nil || trace != nil else { return }
        let count = reached.withLock { counts in
            counts[point, default: 0] += 1
            return counts[point]!
        }
        let occurrence = "\(point)@\(count)"
        if let trace { append(occurrence + "\n", to: trace) }
        if crash == occurrence || (count == 1 && crash == point) { raise(SIGKILL) }
        if stop == occurrence || (count == 1 && stop == point) { raise(SIGSTOP) }
    }

    /// How often each point has been reached in this process.
    private static let reached = Locked<[String: Int]>([:])

    /// Appends a line with one `write(2)` to a file opened for appending, so
    /// that the line is on disk before a kill at the same point.
    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var bytes = Array(line.utf8)
        _ = write(descriptor, &bytes, bytes.count)
    }
    #endif
}
