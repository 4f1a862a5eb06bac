import Foundation
import GRDB

/// The least a checked tool must do beside what GRDB's own migrator does,
/// written plainly on GRDB: the floor the benchmark measures Ferry against
/// where the peer skips work that Ferry's promise needs.
///
/// A GRDB application's migrations are compiled into it, so the peer never
/// reads a script; a tool that runs scripts from a folder must read every
/// one of them to say truthfully that none changed, and after an upgrade it
/// must record each migration and check the database before it commits.
/// None of this hashes anything, and nothing is formatted beyond the lines
/// an upgrade that tells must write: the floor is below the work itself.
enum CheckedFloor {
    /// The text of every script in the release folders of `folder`, in
    /// file-name order (the benchmark's folders hold `NNNNN_create_tNNNNN.sql`),
    /// each read with `open` and one `read` into a buffer used again: the
    /// least reading there is.
    static func scripts(in folder: String) throws -> [(name: String, text: String)] {
        var scripts: [(name: String, text: String)] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let files = FileManager.default
        for release in try files.contentsOfDirectory(atPath: folder).sorted() {
            let path = folder + "/" + release
            for name in try files.contentsOfDirectory(atPath: path).sorted()
            where name.hasSuffix(".sql") {
                let descriptor = open(path + "/" + name, O_RDONLY)
                guard descriptor >= 0 else { throw CocoaError(.fileReadUnknown) }
                let count = buffer.withUnsafeMutableBytes {
                    read(descriptor, $0.baseAddress, $0.count)
                }
                close(descriptor)
                // A script as long as the buffer may have more: the floor would read less than Ferry.
                guard count >= 0, count < buffer.count else { throw CocoaError(.fileReadTooLarge) }
                scripts.append(
                    (release + "/" + name, String(decoding: buffer[..<count], as: UTF8.self)))
            }
        }
        return scripts
    }

    /// Applies every script of `folder` in one transaction, then writes one
    /// history row for each and runs SQLite's checks (`quick_check`,
    /// `foreign_key_check`) before the commit.
    ///
    /// - Parameter telling: Whether each migration is told as it starts and
    ///   as it ends (see ``StepTeller``), under a lock file beside the
    ///   database, as an upgrade that people and other processes watch must.
    static func upgrade(_ path: String, folder: String, telling: Bool = false) throws {
        let scripts = try scripts(in: folder)
        let teller = telling ? try StepTeller(lockPath: path + ".floor-lock") : nil
        let queue = try DatabaseQueue(path: path)
        let clock = ContinuousClock()
        try queue.inTransaction { db in
            for (index, script) in scripts.enumerated() {
                teller?.tell("Applying \(script.name) (\(index + 1)/\(scripts.count))…")
                let started = clock.now
                try db.execute(sql: script.text)
                teller?.tell("Applied \(script.name) in \(StepTeller.seconds(clock.now - started))")
            }
            try db.execute(
                sql: "CREATE TABLE floor_history (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            let insert = try db.makeStatement(
                sql: "INSERT INTO floor_history (id, applied_at) VALUES (?, datetime('now'))")
            for script in scripts { try insert.execute(arguments: [script.name]) }
            let problems = try String.fetchAll(db, sql: "PRAGMA quick_check")
            guard problems == ["ok"] else { fatalError("quick_check: \(problems)") }
            guard try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty else {
                fatalError("foreign_key_check found rows")
            }
            return .commit
        }
        try queue.close()
    }

    /// Whether every migration is applied, reading every script of `folder`
    /// as a check that none changed must: GRDB's own check, plus the reading.
    /// The texts are read, not compared: GRDB's history keeps nothing to
    /// compare them with, so the floor leaves out Ferry's hashing too.
    static func isUpToDate(_ path: String, migrator: DatabaseMigrator, folder: String) throws
        -> Bool
    {
        let scripts = try scripts(in: folder)
        return try hasCompletedMigrations(migrator, path: path) && !scripts.isEmpty
    }
}
