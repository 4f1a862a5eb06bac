import Ferry
import FerryTestSupport
import Foundation
import Testing

@testable import FerrySQLite

/// What a lock file says about its holder, as another process reads it.
@Suite struct LockFileTests {
    func holder(_ command: String, step: String? = nil) -> LockHolder {
        var holder = LockHolder(
            host: "host", pid: 42, command: command,
            since: Date(timeIntervalSince1970: 1_700_000_000))
        holder.step = step
        return holder
    }

    @Test func eachStepReplacesTheLastEvenWhenShorter() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("db.lock").path
        let lock = try LockFile(path: path)
        #expect(try lock.tryLockExclusively())
        lock.write(holder("ferry upgrade"))
        lock.note(step: String(repeating: "a long step ", count: 20), sequence: 1)
        lock.note(step: "short", sequence: 2)
        // A step overtaken by a later one is not written over it.
        lock.note(step: "overtaken", sequence: 1)
        #expect(try LockFile(path: path).holder() == holder("ferry upgrade", step: "short"))
        lock.clear()
        lock.note(step: "after the release", sequence: 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        lock.unlock()
    }

    @Test(arguments: [
        "Applying 0.4.0/001_rebuild \"sensors\" in C:\\data",
        "a line\nand a tab\t, a bell \u{07}, \u{1F} and ✓ café", "",
    ])
    func aStepReadsBackAsItWasWritten(step: String) throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("db.lock").path
        let lock = try LockFile(path: path)
        #expect(try lock.tryLockExclusively())
        var written = holder("ferry upgrade --database \"x\"")
        written.serverPID = 7
        lock.write(written)
        lock.note(step: step, sequence: 1)
        written.step = step
        #expect(try LockFile(path: path).holder() == written)
        lock.unlock()
    }

    @Test func aNewHolderDoesNotKeepTheTextOfOneThatDied() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("db.lock").path
        // A holder that died: its text stays, and the kernel freed its lock.
        try Data(
            #"{"host":"elsewhere","command":"ferry upgrade --a-very-long-command-line","since":"2026-01-01T00:00:00Z","step":"applying a migration with a long name"}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: path))
        let lock = try LockFile(path: path)
        #expect(try lock.tryLockExclusively())
        lock.write(holder("ferry"))
        #expect(try LockFile(path: path).holder() == holder("ferry"))
        lock.unlock()
    }

    @Test func aStepIsNotWrittenBeforeTheHolder() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("db.lock").path
        let lock = try LockFile(path: path)
        #expect(try lock.tryLockExclusively())
        lock.note(step: "too early", sequence: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        lock.write(holder("ferry"))
        lock.note(step: "in time", sequence: 2)
        #expect(try LockFile(path: path).holder() == holder("ferry", step: "in time"))
        lock.unlock()
    }
}
