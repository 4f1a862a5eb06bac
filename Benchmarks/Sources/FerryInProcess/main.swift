import Ferry
import FerrySQLite
import Foundation
import GRDB

// Ferry measured inside one process, and the bare steps of its backups
// (what `ferry backup` does less its checks), for the benchmark driver.
//
//   ferry-in-process pending DB MIGRATIONS N   Ferry.upgrade() with nothing pending, N times; median in ms
//   ferry-in-process pending-on-queue DB MIGRATIONS N
//                                              the same on the application's own GRDB DatabaseQueue, opened once
//   ferry-in-process open-and-read DB N        the floor of the check: open the database with SQLite's C API and
//                                              read ferry_state's one row (its schema parsed), N times; median in ms
//   ferry-in-process copy DB FILE              the bare native copy (backup API), no check
//   ferry-in-process dump DB FILE              the bare SQL dump, no check
//   ferry-in-process check FILE sqlite|sql [full|quick]
//                                              the check of a backup: load a dump, then the integrity check and
//                                              row counts (full, the default) or the schema and history (quick)

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: ferry-in-process pending|copy|dump|check …\n".utf8))
    exit(2)
}
let engine = SQLiteEngine(path: arguments[2])

/// `Ferry.upgrade()` with nothing pending, as many times as the fifth argument says (1,000 by
/// default), on `engine`, with the migrations folder of the fourth; the median in milliseconds.
func medianPendingCheck(on engine: SQLiteEngine) async throws -> String {
    let repetitions = arguments.count > 4 ? Int(arguments[4]) ?? 1000 : 1000
    var configuration = Ferry.Configuration(
        appName: "bench", engine: engine, migrationsDirectory: URL(fileURLWithPath: arguments[3]))
    configuration.logger.logLevel = .warning
    let ferry = Ferry(configuration)
    let median = try await Stopwatch.medianMilliseconds(repetitions) {
        guard try await ferry.upgrade().wasUpToDate else { fatalError("migrations were pending") }
    }
    return String(format: "%.4f", median)
}

switch arguments[1] {
case "pending":
    print(try await medianPendingCheck(on: engine))
case "pending-on-queue":
    print(
        try await medianPendingCheck(
            on: try SQLiteEngine(database: DatabaseQueue(path: arguments[2]))))
case "open-and-read":
    let repetitions = Int(arguments[3]) ?? 1000
    let median = try await Stopwatch.medianMilliseconds(repetitions) {
        guard await engine.recordedFingerprint() != nil else { fatalError("no fingerprint") }
    }
    print(String(format: "%.4f", median))
case "copy":
    // The copy, then (as `ferry backup` does) its sync beside its checksum when the copy left it.
    let copy = URL(fileURLWithPath: arguments[3])
    if try await engine.writeBackup(to: copy, format: .native) == nil {
        _ = try await FileSafety.syncAndHash(copy)
    }
case "dump":
    try await engine.writeBackup(to: URL(fileURLWithPath: arguments[3]), format: .sql)
case "check":
    let format: BackupFormat = arguments[3] == "sql" ? .sql : .native
    let level = arguments.count > 4 ? try BackupCheckLevel(parsing: arguments[4]) : .full
    let rows = try await engine.withBackup(
        at: URL(fileURLWithPath: arguments[2]), format: format, level: level
    ) { copy in
        copy.check.rowCounts?.values.reduce(0, +) ?? 0
    }
    print("\(rows) rows")
default:
    FileHandle.standardError.write(Data("unknown command \(arguments[1])\n".utf8))
    exit(2)
}
