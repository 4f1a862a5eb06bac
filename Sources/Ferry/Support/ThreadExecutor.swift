import Foundation

/// A thread of its own for the tasks that prefer it
/// (`withTaskExecutorPreference`): their code runs there, one job at a
/// time, and may block it.
///
/// An upgrade's steps hand short pieces of work to its database connection
/// and wait for each (about 35 for a small SQLite database). On Swift's
/// cooperative pool each hand-off wakes a thread of the connection's queue,
/// then a thread of the pool, and on two cores a fleet of small databases
/// spent a fifth of its time waiting for those wake-ups. A task on a
/// thread of its own can instead call the connection where it is
/// (``isCurrent``), and ``blocking(_:)`` runs its work inline: nothing else
/// waits for that thread. The pool's few threads are never blocked this way.
///
/// ```swift
/// let executor = ThreadExecutor(name: "ferry lane 1")
/// defer { executor.stop() }
/// try await withTaskExecutorPreference(executor) { try await ferry.upgrade() }
/// ```
package final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var isStopping = false

    /// Starts the thread, named `name` for debuggers and profilers.
    package init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Whether the calling code runs on a ``ThreadExecutor``'s thread, which
    /// it may block.
    package static var isCurrent: Bool {
        Thread.current.threadDictionary[marker] != nil
    }

    private static let marker = "ferry.thread-executor"

    package func enqueue(_ job: consuming ExecutorJob) {
        condition.lock()
        guard !isStopping else {
            condition.unlock()
            // A task that outlived the work it was made for (a timer cancelled but not awaited)
            // goes on in Swift's pool rather than never running.
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(UnownedJob(job))
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs enqueued so far have run; jobs that
    /// come later run in Swift's pool.
    package func stop() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        Thread.current.threadDictionary[Self.marker] = true
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty && !isStopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
