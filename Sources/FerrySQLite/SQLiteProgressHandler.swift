import Ferry
import GRDB
import GRDBSQLite

/// Long statements' progress (an integrity check, a migration) through
/// SQLite's progress handler, which SQLite calls every so many steps of its
/// virtual machine: the count of steps, with no known total.
enum SQLiteProgressHandler {
    /// The virtual machine's steps between two calls of the handler: rare
    /// enough to cost nothing, often enough for ten reports a second.
    static let stepsPerCall: Int32 = 10_000

    /// Runs `work` on `db` with its steps reported to `listener` as `task`;
    /// without a listener, just runs it.
    ///
    /// - Parameters:
    ///   - task: What is being done, as people read it (made only when
    ///     someone listens).
    ///   - listener: Where the progress goes (taken in async code, before
    ///     the connection's queue).
    ///   - db: The connection that runs the work.
    ///   - work: The work.
    /// - Returns: What `work` returns.
    /// - Throws: What `work` throws.
    static func reporting<Result>(
        _ task: @autoclosure () -> String, to listener: ProgressListener, on db: Database,
        _ work: () throws -> Result
    ) rethrows -> Result {
        // Without a listener the task's name is not made: a migration's costs a text per script.
        guard listener.isListening else { return try work() }
        let reporter = listener.reporter(task(), unit: .steps)
        let connection = db.sqliteConnection
        let context = Unmanaged.passRetained(reporter)
        sqlite3_progress_handler(
            connection, stepsPerCall,
            { context in
                guard let context else { return 0 }
                Unmanaged<ProgressReporter>.fromOpaque(context).takeUnretainedValue()
                    .advance(by: Int64(SQLiteProgressHandler.stepsPerCall))
                return 0
            }, context.toOpaque())
        defer {
            sqlite3_progress_handler(connection, 0, nil, nil)
            context.release()
            reporter.finish()
        }
        return try work()
    }
}
