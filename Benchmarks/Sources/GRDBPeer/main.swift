import Foundation
import GRDB

// The GRDB peer: the same trivial migrations as Ferry's benchmark folder,
// registered with GRDB's DatabaseMigrator as a GRDB application does.
//
//   grdb-peer migrate DB COUNT           apply COUNT migrations
//   grdb-peer pending DB COUNT           print whether any is pending (a start-up check)
//   grdb-peer pending-timed DB COUNT N   the same check N times in-process; prints the median in ms
//   grdb-peer execute DB COUNT           the COUNT statements alone, in one transaction (the floor of
//                                        any tool that runs SQLite through GRDB)
//   grdb-peer checked-upgrade DB COUNT FOLDER  FOLDER's scripts read, run, recorded and checked
//                                        (CheckedFloor: the floor of a checked upgrade)
//   grdb-peer checked-told DB COUNT FOLDER     the same, telling each migration as it starts and
//                                        ends: a line, and the step in a lock file (StepTeller)
//   grdb-peer checked-pending DB COUNT FOLDER  GRDB's check, plus reading FOLDER's scripts

/// The migrator with `count` migrations, each creating one table, with the
/// same SQL as the files in Ferry's benchmark migrations folder.
func makeMigrator(count: Int) -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    for index in 1...count {
        let sql = TrivialMigration.sql(index)
        migrator.registerMigration(TrivialMigration.name(index)) { db in try db.execute(sql: sql) }
    }
    return migrator
}

/// Whether every registered migration is applied, on a connection opened for the check.
func hasCompletedMigrations(_ migrator: DatabaseMigrator, path: String) throws -> Bool {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in try migrator.hasCompletedMigrations(db) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(
        Data(
            ("usage: grdb-peer migrate|pending|pending-timed|execute DB COUNT [N]\n"
                + "       grdb-peer checked-upgrade|checked-told|checked-pending DB COUNT FOLDER\n")
                .utf8))
    exit(2)
}
let path = arguments[2]
switch arguments[1] {
case "migrate":
    let queue = try DatabaseQueue(path: path)
    try makeMigrator(count: count).migrate(queue)
    try queue.close()
case "execute":
    // The statements built before the transaction: between two of them, GRDB's own work only.
    let statements = (1...count).map(TrivialMigration.sql)
    let queue = try DatabaseQueue(path: path)
    try queue.inTransaction { db in
        for sql in statements { try db.execute(sql: sql) }
        return .commit
    }
    try queue.close()
case "checked-upgrade" where arguments.count > 4:
    try CheckedFloor.upgrade(path, folder: arguments[4])
case "checked-told" where arguments.count > 4:
    try CheckedFloor.upgrade(path, folder: arguments[4], telling: true)
case "checked-pending" where arguments.count > 4:
    print(
        try CheckedFloor.isUpToDate(
            path, migrator: makeMigrator(count: count), folder: arguments[4])
            ? "up to date" : "pending")
case "pending":
    print(
        try hasCompletedMigrations(makeMigrator(count: count), path: path)
            ? "up to date" : "pending")
case "pending-timed":
    let repetitions = arguments.count > 4 ? Int(arguments[4]) ?? 1000 : 1000
    let migrator = makeMigrator(count: count)
    print(
        String(
            format: "%.4f",
            try Stopwatch.medianMilliseconds(repetitions) {
                guard try hasCompletedMigrations(migrator, path: path) else {
                    fatalError("migrations are pending")
                }
            }))
default:
    FileHandle.standardError.write(Data("unknown command \(arguments[1])\n".utf8))
    exit(2)
}
