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

    /// Starts `executable` with `arguments` and exactly `environment` (see
    /// ``ChildProgram/start(_:_:environment:input:output:error:)``) from the
    /// launcher's thread, wrapped so that it dies with Ferry.
    ///
    /// - Throws: ``ChildProgram/StartFailure`` when it cannot be started.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String],
        input: Int32, output: Int32, error: Int32
    ) throws -> ChildProgram {
        var executable = executable
        var arguments = arguments
        if let wrapper = deathSignalWrapper {
            arguments = ["--pdeathsig", "KILL", "--", executable] + arguments
            executable = wrapper.path
        }
        return try launcher.launch {
            try ChildProgram.start(
                executable, arguments, environment: environment, input: input, output: output,
                error: error)
        }
    }

    private static let launcher = LauncherThread()

    /// The thread that starts every program, and a queue of those to start.
    private final class LauncherThread: @unchecked Sendable {
        private let condition = NSCondition()
        /// Each starts its program and wakes its caller.
        private var waiting: [() -> Void] = []

        init() {
            let thread = Thread { [self] in self.serve() }
            thread.name = "ferry program launcher"
            thread.start()
        }

        func launch(_ start: @escaping () throws -> ChildProgram) throws -> ChildProgram {
            let done = DispatchSemaphore(value: 0)
            let result = Locked<Result<ChildProgram, any Error>?>(nil)
            condition.lock()
            waiting.append {
                result.value = Result { try start() }
                done.signal()
            }
            condition.signal()
            condition.unlock()
            // Starting a program takes a few milliseconds: the caller's thread waits for it.
            done.wait()
            return try result.value!.get()
        }

        private func serve() {
            while true {
                condition.lock()
                while waiting.isEmpty { condition.wait() }
                let next = waiting.removeFirst()
                condition.unlock()
                next()
            }
        }
    }
}
