import Foundation
import Testing

@testable import FerryPostgres

#if canImport(Glibc)
import Glibc
#endif

/// How PostgreSQL's programs are started: with `posix_spawn`, never by
/// listing this process's descriptors (which Foundation's `Process` does,
/// reading past glibc's buffer once more than about 1,350 are open).
@Suite struct ChildProgramTests {
    /// Runs `/bin/sh -c script` and returns its exit status and output.
    private func run(_ script: String, environment: [String: String] = [:]) throws -> (
        status: Int32, output: String
    ) {
        let pipe = Pipe()
        let nothing = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
        let child = try ChildProgram.start(
            "/bin/sh", ["-c", script], environment: environment, input: nothing.fileDescriptor,
            output: pipe.fileHandleForWriting.fileDescriptor,
            error: pipe.fileHandleForWriting.fileDescriptor)
        try nothing.close()
        try pipe.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        return (child.waitUntilExit(), String(decoding: output, as: UTF8.self))
    }

    @Test func theChildHasOnlyItsThreeStandardDescriptors() throws {
        // A descriptor left open across exec (no O_CLOEXEC), as Pipe() and many libraries make.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        #expect(leaked > 2)
        // `ls` itself holds one more while it reads the folder.
        // (`; exit`, so that no shell starts `ls` in its own place.)
        let listed = try run("ls /proc/$$/fd; exit 0").output.split(separator: "\n").map(
            String.init)
        #expect(listed.sorted() == ["0", "1", "2"])
    }

    @Test func theChildStartsWithNoSignalBlockedInItsOwnGroupWithItsOwnEnvironment() throws {
        // This process ignores SIGPIPE, and this thread blocks SIGTERM, while the program starts.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var blocked = sigset_t()
        var before = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &before)
        // `exec`, so that the status read is the started program's (a waiting shell blocks signals).
        let signals = try run("exec grep -E '^Sig(Blk|Ign)' /proc/self/status")
        pthread_sigmask(SIG_SETMASK, &before, nil)
        #expect(signals.status == 0)
        #expect(signals.output.contains("SigBlk:\t0000000000000000"))
        // None of the standard signals (1–31) ignored, SIGPIPE first; glibc's own (32, 33) may be.
        let ignored = signals.output.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .flatMap {
                UInt64(
                    $0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
            }
        #expect(ignored.map { $0 & 0x7fff_ffff } == 0)
        let result = try run(
            """
            [ "$(cut -d' ' -f5 /proc/$$/stat)" = "$$" ] && echo "its own group"
            echo "[$FERRY_CHILD_TEST]"; echo "[$HOME]"
            """,
            environment: ["FERRY_CHILD_TEST": "a value with spaces"])
        #expect(result.status == 0)
        #expect(result.output.contains("its own group"))
        #expect(result.output.contains("[a value with spaces]"))
        #expect(result.output.contains("[]"))
    }

    /// A process started with its standard input closed opens its next file as
    /// descriptor 0: a program's output there must not be replaced by its input.
    @Test func descriptorsBelowThreeReachTheirPlaces() throws {
        let pipe = Pipe()
        let nothing = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
        defer { try? nothing.close() }
        let saved = dup(0)
        #expect(saved >= 0)
        dup2(pipe.fileHandleForWriting.fileDescriptor, 0)
        let child = Result {
            try ChildProgram.start(
                "/bin/sh", ["-c", "echo out; echo err >&2"], environment: [:],
                input: nothing.fileDescriptor, output: 0, error: 0)
        }
        dup2(saved, 0)
        close(saved)
        try pipe.fileHandleForWriting.close()
        let output = String(
            decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(try child.get().waitUntilExit() == 0)
        #expect(output == "out\nerr\n")
    }

    @Test func theExitCodeOrTheSignalIsReported() throws {
        #expect(try run("exit 3").status == 3)
        #expect(try run("kill -KILL $$").status == SIGKILL)
    }

    @Test func aProgramThatCannotStartIsAClearError() throws {
        let nothing = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
        defer { try? nothing.close() }
        let fd = nothing.fileDescriptor
        #expect {
            _ = try ChildProgram.start(
                "/no/such/program", [], environment: [:], input: fd, output: fd, error: fd)
        } throws: { error in
            error.localizedDescription == "No such file or directory"
        }
    }

    @Test func aKilledProgramIsNotRunningAnyMore() throws {
        let nothing = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
        defer { try? nothing.close() }
        let fd = nothing.fileDescriptor
        let child = try ChildProgram.start(
            "/bin/sleep", ["60"], environment: [:], input: fd, output: fd, error: fd)
        #expect(child.isRunning)
        child.kill()
        #expect(child.waitUntilExit() == SIGKILL)
        #expect(!child.isRunning)
    }
}
