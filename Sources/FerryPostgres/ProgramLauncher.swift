import Ferry
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts PostgreSQL's programs so that they die with Ferry, however Ferry
/// dies: a `pg_dump` or `pg_restore` left running after a `kill -9` would
/// go on loading a scratch database or holding a snapshot, with nobody to
/// read what it does.
///
/// On Linux each program is started through `setpriv --pdeathsig KILL`,
/// which asks the kernel (`PR_SET_PDEATHSIG`) to kill it when its parent
/// ends, and then runs the program itself in its place. Linux counts the
/// *thread* that started a child as its parent, and Swift's worker threads
/// may come and go, so every program is started from one thread of
/// Ferry's that lives as long as the process. Without `setpriv` (not Linux,
/// or util-linux missing) programs are started directly, as before.
enum ProgramLauncher {
    /// `setpriv`, where the system has it.
    static let deathSignalWrapper: URL? = {
        #if os(Linux)
        for path in ["/usr/bin/setpriv", "/bin/setpriv"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        #endif
        return nil
    }()

    /// Starts `process`, whose `executableURL` and `arguments` name the
    /// program, from the launcher's thread, wrapped so that it dies with Ferry.
    ///
    /// - Throws: What `Process.run()` throws.
    static func run(_ process: Process) throws {
        if let wrapper = deathSignalWrapper, let program = process.executableURL {
            process.arguments =
                ["--pdeathsig", "KILL", "--", program.path] + (process.arguments ?? [])
            process.executableURL = wrapper
        }
        try launcher.launch(process)
    }

    private static let launcher = LauncherThread()

    /// Keeps Foundation's `Process.run()` from crashing on Linux.
    ///
    /// Before it starts a program, swift-corelibs-foundation lists
    /// `/proc/self/fd` and copies each entry's whole 256-byte name field,
    /// reading past the end of glibc's directory buffer
    /// (swift-corelibs-foundation PR #5472, fixed after Swift 6.3.1). When
    /// that 32 KiB buffer was carved from the very end of a thread's malloc
    /// heap, the read reached an unmapped page: the process died with
    /// SIGSEGV (twice in this project's test runs). Allocations of 32 KiB and
    /// more are made by `mmap` instead, which leaves most of a page after
    /// the buffer, so the over-read stays in memory that is mapped. Larger
    /// allocations are few here (reused megabyte buffers).
    static func avoidFoundationOverRead() {
        #if os(Linux)
        // glibc's `mallopt(M_MMAP_THRESHOLD, …)`, which Swift's Glibc module does not bring in.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 32 * 1024)
        }
        #endif
    }

    /// The thread that starts every program, and a queue of those to start.
    private final class LauncherThread: @unchecked Sendable {
        private let condition = NSCondition()
        private var waiting:
            [(process: Process, done: DispatchSemaphore, error: Locked<(any Error)?>)] = []

        init() {
            ProgramLauncher.avoidFoundationOverRead()
            let thread = Thread { [self] in self.serve() }
            thread.name = "ferry program launcher"
            thread.start()
        }

        func launch(_ process: Process) throws {
            let done = DispatchSemaphore(value: 0)
            let failure = Locked<(any Error)?>(nil)
            condition.lock()
            waiting.append((process, done, failure))
            condition.signal()
            condition.unlock()
            // Starting a program takes a few milliseconds: the caller's thread waits for it.
            done.wait()
            if let error = failure.value { throw error }
        }

        private func serve() {
            while true {
                condition.lock()
                while waiting.isEmpty { condition.wait() }
                let next = waiting.removeFirst()
                condition.unlock()
                do {
                    try next.process.run()
                } catch {
                    next.error.value = error
                }
                next.done.signal()
            }
        }
    }
}
