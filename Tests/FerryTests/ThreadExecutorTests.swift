import Ferry
import Foundation
import Testing

@Suite struct ThreadExecutorTests {
    /// Where a task's code ran: on the executor's thread, before and after it
    /// waited for something else, and inside `blocking`.
    private struct Places: Sendable {
        var atStart: Bool
        var afterWaiting: Bool
        var insideBlocking: Bool
        var threadsSeen: Int
    }

    @Test func aTaskThatPrefersItRunsOnItsThreadAndBlocksItInsteadOfHandingOver() async throws {
        let executor = ThreadExecutor(name: "ferry test lane")
        defer { executor.stop() }
        #expect(!ThreadExecutor.isCurrent)
        let places = try await withTaskExecutorPreference(executor) {
            var threads = Set<String>()
            func note() { threads.insert("\(Unmanaged.passUnretained(Thread.current).toOpaque())") }
            note()
            let atStart = ThreadExecutor.isCurrent
            // A suspension that another thread ends: the task comes back to the executor's thread.
            try await Task.sleep(for: .milliseconds(20))
            note()
            let afterWaiting = ThreadExecutor.isCurrent
            let insideBlocking = try await blocking { ThreadExecutor.isCurrent }
            note()
            return Places(
                atStart: atStart, afterWaiting: afterWaiting, insideBlocking: insideBlocking,
                threadsSeen: threads.count)
        }
        #expect(places.atStart && places.afterWaiting && places.insideBlocking)
        #expect(places.threadsSeen == 1)
        // Outside the preference, blocking work still leaves the cooperative pool.
        #expect(try await blocking { ThreadExecutor.isCurrent } == false)
    }

    @Test func twoExecutorsRunTheirTasksAtOnce() async throws {
        let first = ThreadExecutor(name: "ferry test lane 1")
        let second = ThreadExecutor(name: "ferry test lane 2")
        defer {
            first.stop()
            second.stop()
        }
        // Each task blocks its own thread until the other has started: one thread for both would
        // never get there.
        let started = DispatchGroup()
        started.enter()
        started.enter()
        let together = await withTaskGroup(of: Bool.self) { group in
            for executor in [first, second] {
                group.addTask(executorPreference: executor) {
                    started.leave()
                    return started.wait(timeout: .now() + 10) == .success
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(together)
    }

    @Test func aTaskThatComesAfterTheThreadStoppedRunsInSwiftsPool() async {
        let executor = ThreadExecutor(name: "ferry test lane")
        executor.stop()
        // Without a place to go, the task would never run, and this test would never end.
        let onTheThread = await Task(executorPreference: executor) { ThreadExecutor.isCurrent }
            .value
        #expect(!onTheThread)
    }
}
