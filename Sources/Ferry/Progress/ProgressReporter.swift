import Foundation

/// Reports one piece of long work's ``WorkProgress`` to whoever listens,
/// throttled at the source so that reporting costs nothing measurable.
///
/// The work creates a reporter when it starts, calls ``advance(by:)`` or
/// ``update(done:total:)`` as it goes and ``finish()`` when it ends (also
/// when it fails). The first report comes only after ``delay`` (work that
/// ends sooner reports nothing, not even its end), then at most one per
/// ``interval``, and a last one, finished, when the work ends.
///
/// The reports go where the library's operation sends its events: the
/// operation (an upgrade, a backup, a restore, an export, an import) sets
/// the listener for the task it runs in, and a reporter made anywhere
/// below it (an engine's backup copy, SQLite's progress handler) finds it
/// there. Without a listener a reporter does nothing and costs one check.
///
/// A reporter is meant for the thread doing the work: call it from one
/// thread at a time.
public final class ProgressReporter: @unchecked Sendable {
    /// The listener of the operation that runs in this task (one that hears
    /// nobody when none is set). A struct, not a bare optional closure: with
    /// a closure type, optimized builds (Swift 6.3) crashed binding it, the
    /// value's type metadata missing in `swift_task_localValuePush`.
    @TaskLocal package static var listener = ProgressListener(sink: nil)

    /// How long work runs before its first report: a fifth of a second. In
    /// debug builds `FERRY_TEST_PROGRESS_DELAY_MS` (0 to 10,000) sets it, so
    /// that a test sees the progress of work however fast the machine is.
    public static let delay: Duration = {
        #if DEBUG
        if let text = ProcessInfo.processInfo.environment["FERRY_TEST_PROGRESS_DELAY_MS"],
            let milliseconds = Int(text), (0...10_000).contains(milliseconds)
        {
            return .milliseconds(milliseconds)
        }
        #endif
        return .milliseconds(200)
    }()
    /// The least time between two reports.
    public static let interval = Duration.milliseconds(100)

    /// What is being done.
    public let task: String
    /// What ``done`` counts.
    public let unit: ProgressUnit
    /// How many units are done so far.
    public private(set) var done: Int64 = 0
    /// How many units there are in all, when known.
    public private(set) var total: Int64?

    private let sink: (@Sendable (WorkProgress) -> Void)?
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var nextReport: ContinuousClock.Instant
    private let stride: Int
    private var countdown: Int
    private var hasReported = false
    private var isFinished = false

    /// Starts reporting a piece of work to the listener of the operation
    /// running in this task (none: the reporter does nothing).
    ///
    /// - Parameters:
    ///   - task: What is being done, as people read it (`backup copy`).
    ///   - unit: What is counted.
    ///   - total: How many units there are in all, or nil when unknown.
    ///   - stride: How many calls of ``advance(by:)`` pass between two
    ///     looks at the clock: 1 for coarse steps (pages in thousands), more
    ///     for one call per row, where even reading the clock would show.
    public convenience init(
        _ task: String, unit: ProgressUnit, total: Int64? = nil, checkingClockEvery stride: Int = 1
    ) {
        self.init(
            task, unit: unit, total: total, checkingClockEvery: stride, sink: Self.listener.sink)
    }

    /// Starts reporting a piece of work to `sink`.
    ///
    /// - Parameters:
    ///   - task: What is being done.
    ///   - unit: What is counted.
    ///   - total: How many units there are in all, or nil when unknown.
    ///   - stride: Calls of ``advance(by:)`` between two looks at the clock.
    ///   - sink: Where the reports go; nil for none.
    package init(
        _ task: String, unit: ProgressUnit, total: Int64?, checkingClockEvery stride: Int,
        sink: (@Sendable (WorkProgress) -> Void)?
    ) {
        self.task = task
        self.unit = unit
        self.total = total
        self.sink = sink
        self.stride = max(1, stride)
        countdown = max(1, stride)
        started = clock.now
        nextReport = started.advanced(by: Self.delay)
    }

    /// Whether anyone listens: work may skip what it does only to report
    /// (counting a table's rows for the total) when nobody does.
    public var isReporting: Bool { sink != nil }

    /// Counts `amount` more units done.
    ///
    /// - Parameter amount: The units just done.
    @inline(__always)
    public func advance(by amount: Int64 = 1) {
        guard sink != nil else { return }
        done &+= amount
        countdown -= 1
        if countdown <= 0 {
            countdown = stride
            reportIfDue()
        }
    }

    /// Sets how many units are done, and the total when it became known.
    ///
    /// - Parameters:
    ///   - done: The units done so far.
    ///   - total: The units in all, or nil to keep the one known.
    public func update(done: Int64, total: Int64? = nil) {
        guard sink != nil else { return }
        self.done = done
        if let total { self.total = total }
        reportIfDue()
    }

    /// Ends the work: its last report, finished, goes out when any report
    /// went out before. Later calls do nothing.
    public func finish() {
        guard let sink, !isFinished else { return }
        isFinished = true
        if hasReported { sink(progress(isFinished: true)) }
    }

    private func reportIfDue() {
        guard let sink, !isFinished else { return }
        let now = clock.now
        guard now >= nextReport else { return }
        nextReport = now.advanced(by: Self.interval)
        hasReported = true
        sink(progress(isFinished: false))
    }

    private func progress(isFinished: Bool) -> WorkProgress {
        let elapsed = started.duration(to: clock.now)
        return WorkProgress(
            task: task, unit: unit, done: done, total: total, seconds: elapsed.inSeconds,
            isFinished: isFinished)
    }
}

/// Where the progress of the operation running in this task goes, taken
/// in async code for work that runs on another thread (inside a database
/// queue's closure), where the task's listener cannot be seen.
public struct ProgressListener: Sendable {
    fileprivate let sink: (@Sendable (WorkProgress) -> Void)?

    /// A listener that hands each report to `sink` (none: nobody listens).
    package init(sink: (@Sendable (WorkProgress) -> Void)?) {
        self.sink = sink
    }

    /// The listener of the operation running in this task, if any.
    public static var current: ProgressListener { ProgressReporter.listener }

    /// Whether anyone listens.
    public var isListening: Bool { sink != nil }

    /// Starts reporting a piece of work to this listener.
    ///
    /// - Parameters:
    ///   - task: What is being done, as people read it.
    ///   - unit: What is counted.
    ///   - total: How many units there are in all, or nil when unknown.
    ///   - stride: Calls of ``ProgressReporter/advance(by:)`` between two
    ///     looks at the clock.
    /// - Returns: The reporter; finish it when the work ends.
    public func reporter(
        _ task: String, unit: ProgressUnit, total: Int64? = nil, checkingClockEvery stride: Int = 1
    ) -> ProgressReporter {
        ProgressReporter(task, unit: unit, total: total, checkingClockEvery: stride, sink: sink)
    }
}
