import Ferry
import Foundation

/// PostgreSQL's own client programs (`pg_dump`, `pg_restore`, `psql`) of the
/// server's major version, run as child processes.
///
/// Backups are PostgreSQL's own dumps because only `pg_dump` knows every
/// kind of object a database can hold and takes one consistent snapshot
/// while the application keeps writing; `pg_dump` refuses a newer server,
/// and its archives are read by a `pg_restore` at least as new, so Ferry
/// uses the programs of the server's major version (or, failing that, a
/// newer one).
///
/// The connection goes through the environment (`PGHOST`, `PGPORT`,
/// `PGUSER`, `PGDATABASE`, `PGSSLMODE`), never the command line; the
/// password through a password file of the child's own, mode 0600, deleted
/// when it ends. What a program prints is shown in errors; it never holds
/// the password.
struct PostgresTools: Sendable {
    /// The folder that holds the programs.
    let folder: URL
    /// Their major version, such as 15.
    let major: Int

    /// Where to look for the programs, in order: the configured folder
    /// (`[database] pg_bin`, `FERRY_PG_BIN`) alone when there is one; else
    /// PostgreSQL's folder for the server's major version as Debian lays it
    /// out, `pg_config --bindir`, the `PATH`, and newer majors' folders.
    static func candidateFolders(
        configured: URL?, serverMajor: Int, environment: [String: String]
    ) async -> [URL] {
        if let configured { return [configured] }
        var folders: [URL] = []
        folders.append(URL(fileURLWithPath: "/usr/lib/postgresql/\(serverMajor)/bin"))
        if let bindir = await output(of: ["pg_config", "--bindir"], environment: environment),
            !bindir.isEmpty
        {
            folders.append(URL(fileURLWithPath: bindir))
        }
        for path in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            folders.append(URL(fileURLWithPath: String(path)))
        }
        // Newer majors can dump an older server: the last resort.
        if let installed = try? FileManager.default.contentsOfDirectory(
            atPath: "/usr/lib/postgresql")
        {
            for major in installed.compactMap(Int.init).sorted() where major > serverMajor {
                folders.append(URL(fileURLWithPath: "/usr/lib/postgresql/\(major)/bin"))
            }
        }
        return folders
    }

    /// Finds the programs for a server.
    ///
    /// - Parameters:
    ///   - configured: The folder given with `[database] pg_bin` or `FERRY_PG_BIN`.
    ///   - serverMajor: The server's major version.
    /// - Throws: ``FerryError`` naming where it looked, when no folder holds
    ///   `pg_dump`, `pg_restore` and `psql` of that major version or newer.
    static func find(
        configured: URL?, serverMajor: Int, environment: [String: String]
    ) async throws -> PostgresTools {
        let key = "\(configured?.path ?? "")|\(serverMajor)"
        if let found = found.value[key] { return found }
        var seen: [String] = []
        var exactMatch: PostgresTools?
        var newer: PostgresTools?
        let folders = await candidateFolders(
            configured: configured, serverMajor: serverMajor, environment: environment)
        for folder in folders {
            let names = ["pg_dump", "pg_restore", "psql"]
            guard
                names.allSatisfy({
                    FileManager.default.isExecutableFile(
                        atPath: folder.appendingPathComponent($0).path)
                })
            else { continue }
            let version = await output(
                of: [folder.appendingPathComponent("pg_dump").path, "--version"],
                environment: environment)
            guard let version, let major = majorVersion(in: version) else { continue }
            seen.append("\(folder.path) (\(major))")
            if major == serverMajor {
                // The first folder of the server's version wins: the rest are not asked.
                exactMatch = PostgresTools(folder: folder, major: major)
                break
            }
            if major > serverMajor, newer == nil {
                newer = PostgresTools(folder: folder, major: major)
            }
        }
        if let tools = exactMatch ?? newer {
            found.withLock { $0[key] = tools }
            return tools
        }
        throw FerryError(
            .backupFailed,
            "PostgreSQL's pg_dump, pg_restore and psql of version \(serverMajor) (the server's) or newer were not found"
                + (configured.map { " in \($0.path) (pg_bin)" } ?? "")
                + (seen.isEmpty ? "." : "; found only: \(seen.joined(separator: ", ")).")
                + " Ferry backs PostgreSQL up with them.",
            changes: "Nothing was changed.",
            advice:
                "Install PostgreSQL \(serverMajor)'s client programs (Debian: apt-get install postgresql-client-\(serverMajor)), "
                + "or name their folder with [database] pg_bin in ferry.toml or FERRY_PG_BIN.")
    }

    /// The major version in `pg_dump (PostgreSQL) 15.18 (Debian …)`.
    static func majorVersion(in text: String) -> Int? {
        guard let range = text.range(of: #"\) (\d+)"#, options: .regularExpression) else {
            return nil
        }
        return Int(text[range].dropFirst(2))
    }

    /// What a program run for Ferry printed and how it ended.
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs one of the programs against a database of the server and waits
    /// for it without holding a thread.
    ///
    /// - Parameters:
    ///   - program: `pg_dump`, `pg_restore` or `psql`.
    ///   - arguments: Its arguments: never a password or a connection string.
    ///   - location: The server, role and database to connect to, with the password.
    ///   - applicationName: What `pg_stat_activity` shows for the session.
    /// - Returns: What it printed; the caller judges its exit status.
    func run(
        _ program: String, _ arguments: [String], location: PostgresLocation,
        applicationName: String
    ) async throws -> Output {
        let running = try start(
            program, arguments, location: location, applicationName: applicationName,
            withInput: false)
        return await running.finish()
    }

    /// ``run(_:_:location:applicationName:)`` of a program that reads
    /// `file` from start to end (`pg_restore`, `psql -f`), reporting its
    /// progress in bytes of the file (``ProgramReadPosition``) as `task`.
    func run(
        _ program: String, _ arguments: [String], location: PostgresLocation,
        applicationName: String, reporting task: String, reading file: URL
    ) async throws -> Output {
        let running = try start(
            program, arguments, location: location, applicationName: applicationName,
            withInput: false)
        let progress = ProgressReporter(
            task, unit: .bytes, total: FileSafety.size(of: file.path))
        defer { progress.finish() }
        var position = ProgramReadPosition(of: running.child.processIdentifier, reading: file)
        while progress.isReporting, running.isRunning, !Task.isCancelled {
            if let offset = position.offset() { progress.update(done: offset) }
            try? await Task.sleep(for: ProgressReporter.interval)
        }
        return await running.finish()
    }

    /// Starts one of the programs against a database of the server, its
    /// standard input a pipe when `withInput` (for ``PsqlTransaction``), else
    /// empty, and its standard output a pipe that the caller reads when
    /// `pipingOutput` (``RunningProgram/output``), else a file; the caller
    /// ends it with ``RunningProgram/finish()``.
    func start(
        _ program: String, _ arguments: [String], location: PostgresLocation,
        applicationName: String,
        withInput: Bool, pipingOutput: Bool = false
    ) throws -> RunningProgram {
        // A work folder, so that the next run deletes the password file of one that was killed.
        let work = try WorkFolder.make(program, in: FileManager.default.temporaryDirectory)
        let scratch = work.url
        do {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
            environment["PGHOST"] = location.host
            environment["PGPORT"] = String(location.port)
            environment["PGUSER"] = location.user
            environment["PGDATABASE"] = location.database
            environment["PGAPPNAME"] = applicationName
            environment["PGCONNECT_TIMEOUT"] = String(
                max(1, location.connectTimeout.components.seconds))
            environment["PGSSLMODE"] = location.tls.rawValue
            if let searchPath = location.searchPath {
                environment["PGOPTIONS"] =
                    "-c search_path=\(searchPath) -c \(PostgresLocation.schemaSetting)=\(location.schema ?? "")"
            }
            if let rootCertificate = location.rootCertificate {
                environment["PGSSLROOTCERT"] = rootCertificate
            }
            // The child's own password file: the password, or none at all, rather than the user's.
            let passfile = scratch.appendingPathComponent("pgpass")
            let line = location.password.map { password in
                let escaped = password.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: ":", with: "\\:")
                return "*:*:*:*:\(escaped)\n"
            }
            guard
                FileManager.default.createFile(
                    atPath: passfile.path, contents: Data((line ?? "").utf8),
                    attributes: [.posixPermissions: 0o600])
            else {
                throw FerryError(
                    .fileSystem, "Cannot write a password file for \(program) in \(scratch.path).",
                    changes: "Nothing was changed.",
                    advice: "Check that the temporary folder (TMPDIR) is writable.")
            }
            environment["PGPASSFILE"] = passfile.path
            let stdoutFile = scratch.appendingPathComponent("stdout")
            let stderrFile = scratch.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
            let output = pipingOutput ? Pipe() : nil
            let input = withInput ? Pipe() : nil
            for pipe in [output, input].compactMap({ $0 }) { Self.widen(pipe) }
            // The child's ends: it has its own copies, and this process closes these once it started.
            let childInput =
                try input?.fileHandleForReading
                ?? FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
            let childOutput =
                try output?.fileHandleForWriting ?? FileHandle(forWritingTo: stdoutFile)
            let childError = try FileHandle(forWritingTo: stderrFile)
            defer {
                for handle in [childInput, childOutput, childError] { try? handle.close() }
            }
            let executable = folder.appendingPathComponent(program).path
            let child: ChildProgram
            do {
                child = try ProgramLauncher.start(
                    executable, arguments, environment: environment,
                    input: childInput.fileDescriptor, output: childOutput.fileDescriptor,
                    error: childError.fileDescriptor)
            } catch {
                throw FerryError(
                    .backupFailed,
                    "Cannot start \(executable): \(error.localizedDescription)",
                    changes: "Nothing was changed.")
            }
            CrashPoint.reach("program.started")
            return RunningProgram(
                child: child, input: input?.fileHandleForWriting,
                output: output?.fileHandleForReading, stdoutFile: stdoutFile,
                stderrFile: stderrFile, work: work)
        } catch {
            work.remove()
            throw error
        }
    }

    /// One of the programs, started by ``start(_:_:location:applicationName:withInput:)``.
    final class RunningProgram: @unchecked Sendable {
        let child: ChildProgram
        /// Its standard input, when it was started with one.
        let input: FileHandle?
        /// The read end of its standard output, when that is a pipe.
        let output: FileHandle?
        let stdoutFile: URL
        let stderrFile: URL
        /// The folder of its password file and output, removed when it is finished.
        let work: WorkFolder

        init(
            child: ChildProgram, input: FileHandle?, output: FileHandle?, stdoutFile: URL,
            stderrFile: URL, work: WorkFolder
        ) {
            self.child = child
            self.input = input
            self.output = output
            self.stdoutFile = stdoutFile
            self.stderrFile = stderrFile
            self.work = work
        }

        /// Whether the program still runs.
        var isRunning: Bool { child.isRunning }

        /// What it has printed on its standard output so far.
        func outputSoFar() -> String {
            (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
        }

        /// Ends it at once if it still runs, such as a program blocked on a
        /// named pipe that nobody will open.
        func kill() {
            child.kill()
        }

        /// Sends text to its standard input.
        func send(_ text: String) {
            try? input?.write(contentsOf: Data(text.utf8))
        }

        /// Closes its input, waits for it to end without holding a thread, and
        /// returns what it printed.
        func finish() async -> Output {
            try? input?.close()
            try? output?.close()
            // Polled, so that a long dump holds none of Swift's few cooperative threads.
            while child.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            let status = child.waitUntilExit()
            defer { work.remove() }
            return Output(
                status: status,
                stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
        }
    }

    /// Makes a pipe to or from a program (`COPY`'s rows from psql, an
    /// import's rows to it) hold a megabyte instead of 64 KiB (Linux's
    /// `F_SETPIPE_SZ`), so that both ends move large pieces and wait for each
    /// other less: an export of the large set from PostgreSQL took 8% less
    /// time. As it was where the system refuses.
    private static func widen(_ pipe: Pipe) {
        #if os(Linux)
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, which Swift's Glibc module does not declare
        _ = fcntl(pipe.fileHandleForReading.fileDescriptor, setPipeSize, Int32(1 << 20))
        #endif
    }

    /// What a short program without a database prints (`--version`,
    /// `pg_config`), or nil when it cannot run or fails.
    private static func output(of command: [String], environment: [String: String]) async -> String?
    {
        guard let nothing = try? FileHandle(forUpdating: URL(fileURLWithPath: "/dev/null")) else {
            return nil
        }
        let pipe = Pipe()
        let child: ChildProgram
        do {
            child = try ChildProgram.start(
                "/usr/bin/env", command, environment: environment,
                input: nothing.fileDescriptor, output: pipe.fileHandleForWriting.fileDescriptor,
                error: nothing.fileDescriptor)
        } catch { return nil }
        try? nothing.close()
        try? pipe.fileHandleForWriting.close()
        // A line or two: it fits the pipe's buffer, so the program ends before it is read.
        while child.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        guard child.waitUntilExit() == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The programs found so far in this process, by configured folder and major version.
    private static let found = Locked<[String: PostgresTools]>([:])
}

extension PostgresTools.Output {
    /// The program's complaint, shortened for a message: its lines that say
    /// what went wrong (`error:`, `FATAL:`, `ERROR:`, `DETAIL:`, `HINT:`),
    /// else its last lines. pg_dump follows an error with the query it ran,
    /// which would otherwise push the server's words out of the message.
    var complaint: String {
        let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let marks = ["error:", "FATAL:", "ERROR:", "DETAIL:", "HINT:", "PANIC:"]
        let telling = lines.filter { line in marks.contains { line.contains($0) } }
        return (telling.isEmpty ? lines : telling).suffix(6).joined(separator: "\n")
    }
}
