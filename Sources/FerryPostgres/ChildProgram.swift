import CFerrySpawn
import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program Ferry started with `posix_spawn`, in place of Foundation's
/// `Process`.
///
/// On Linux, `Process.run()` (Swift 6.3.1 and before) lists `/proc/self/fd`
/// to close the parent's descriptors in the child, and copies each entry's
/// whole 256-byte name field: once the process has more than about 1,350
/// descriptors open, the copy reads past the end of glibc's directory
/// buffer, and the process dies when that buffer ends a thread's heap
/// (swift-corelibs-foundation PR #5472). An application that embeds Ferry
/// and holds many connections could have died in a backup. Here the child
/// closes its other descriptors itself, and nothing lists them.
///
/// The child starts in a process group of its own, as `Process` starts one,
/// and unlike `Process` with no signal blocked (Swift's threads block some)
/// and every signal at its default action: a `pg_restore` whose reader is
/// gone dies of SIGPIPE rather than inheriting this process's choice to
/// ignore it.
final class ChildProgram: @unchecked Sendable {
    /// The program's process id.
    let processIdentifier: pid_t
    /// Its wait status, once it ended and was collected.
    private let waitStatus = Locked<Int32?>(nil)

    private init(processIdentifier: pid_t) {
        self.processIdentifier = processIdentifier
    }

    /// Why a program could not be started.
    struct StartFailure: LocalizedError {
        /// The system's reason, such as "No such file or directory".
        let errorDescription: String?
    }

    /// Starts `executable` with `arguments` and exactly `environment`; the
    /// three descriptors become its standard input, output and error (the
    /// caller keeps its own and closes them).
    ///
    /// - Throws: ``StartFailure`` when the system could not start it.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String],
        input: Int32, output: Int32, error: Int32
    ) throws -> ChildProgram {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for string in argv + envp { free(string) } }
        var pid: pid_t = 0
        let status = ferry_spawn(&pid, executable, argv, envp, input, output, error)
        guard status == 0 else {
            throw StartFailure(errorDescription: String(cString: strerror(status)))
        }
        return ChildProgram(processIdentifier: pid)
    }

    /// Whether it still runs (an ended program is collected here).
    var isRunning: Bool { collect() == nil }

    /// Waits for it to end, and returns its exit code, or the number of the
    /// signal that ended it (as `Process.terminationStatus` does).
    func waitUntilExit() -> Int32 {
        var status = collect()
        while status == nil {
            // Waits for the end without collecting it (WNOWAIT), so that no lock is held
            // meanwhile: `kill()` and `isRunning` still answer from other threads.
            var info = siginfo_t()
            if waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) != 0,
                errno != EINTR
            {
                status = collect() ?? Self.lost
                break
            }
            status = collect()
        }
        let signal = status! & 0x7f
        return signal == 0 ? (status! >> 8) & 0xff : signal
    }

    /// Ends it at once with SIGKILL, if it was not collected yet (until then
    /// its process id cannot name another process).
    func kill() {
        waitStatus.withLock { collected in
            if collected == nil { _ = Foundation.kill(processIdentifier, SIGKILL) }
        }
    }

    /// The wait status of a program collected by someone else (ECHILD, as when
    /// SIGCHLD is ignored): it ended, and how is lost; it counts as failed (127).
    private static let lost: Int32 = 127 << 8

    /// Its wait status, collected with `waitpid` if it ended; nil while it runs.
    private func collect() -> Int32? {
        waitStatus.withLock { collected in
            if let collected { return collected }
            var status: Int32 = 0
            while true {
                let result = waitpid(processIdentifier, &status, WNOHANG)
                if result == processIdentifier { break }
                if result == 0 { return nil }
                if errno == EINTR { continue }
                status = Self.lost
                break
            }
            collected = status
            return status
        }
    }
}
