import ArgumentParser
import Ferry
import Foundation
import Logging

/// Where a command writes: text for people, or JSON for scripts.
struct Console: Sendable {
    let isJSON: Bool

    /// Writes a line to standard output.
    func line(_ text: String) {
        ProgressBar.shared.clear()
        StandardStream.output.writeLine(text)
    }

    /// Writes a line to standard error.
    func problem(_ text: String) {
        ProgressBar.shared.clear()
        StandardStream.error.writeLine(text)
    }

    /// Writes one JSON object on one line to standard output.
    func json(_ value: some Encodable) {
        line(Self.encode(value))
    }

    /// Writes an upgrade event as one JSON line, with the time it happened.
    @Sendable func printEvent(_ event: UpgradeEvent) {
        json(TimedEvent(at: Date(), event: event))
    }

    /// Where a command's events go: every event as a JSON line under
    /// `--json`; for people on a terminal, the progress bar (the other
    /// events are logged as lines); otherwise nowhere.
    var onEvent: (@Sendable (UpgradeEvent) -> Void)? {
        if isJSON { return printEvent }
        return ProgressBar.shared.isShown ? ProgressBar.shared.show : nil
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Errors in the output name the tool's flags for the settings they advise.
        encoder.userInfo[FerryError.Wording.userInfoKey] = FerryError.Wording.tool
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The logger the library writes its events to: text lines on standard
    /// output for people; only warnings, on standard error, in JSON mode.
    var logger: Logger {
        let isJSON = self.isJSON
        var logger = Logger(label: "ferry") { label in ConsoleLogHandler(isJSON: isJSON) }
        logger.logLevel = isJSON ? .warning : .info
        return logger
    }

    /// Asks for a typed confirmation before a destructive step: on a
    /// terminal the user types `word`; in scripts `--yes` is needed.
    ///
    /// - Throws: ``FerryError`` (code `notConfirmed`) when it is not given.
    func confirm(_ question: String, typing word: String, yes: Bool) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw FerryError(
                .notConfirmed, "This command changes the database and needs a confirmation.",
                changes: "Nothing was changed.",
                advice: "Run it on a terminal to confirm, or pass --yes in scripts.")
        }
        problem("\(question)\nType '\(word)' to go on:")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == word else {
            throw FerryError(.notConfirmed, "Not confirmed.", changes: "Nothing was changed.")
        }
    }

    /// Reports an error: the message on standard error for people, or a
    /// result object on standard output for scripts.
    ///
    /// An error that does not say what was changed then says "Nothing was
    /// changed." when that is true: the command only reads, or the error is a
    /// usage error, found before anything is done. (A command that writes
    /// says what it changed where it fails.)
    ///
    /// - Parameter readsOnly: Whether this run of the command changes nothing
    ///   in the database or the catalog.
    func report(_ error: FerryError, command: String, readsOnly: Bool = false) {
        var error = error
        if error.changes == nil && (readsOnly || error.category == .usage) {
            error.changes = "Nothing was changed."
        }
        if isJSON {
            json(ErrorResult(command: command, error: error))
        } else {
            problem("error: \(error.worded(for: .tool).description)")
        }
    }

    /// Runs a command's work, reporting a Ferry error and turning it into
    /// the exit code.
    ///
    /// - Parameter readsOnly: Whether this run of the command changes nothing
    ///   in the database or the catalog (see ``report(_:command:readsOnly:)``).
    func run(_ command: String, readsOnly: Bool = false, _ work: () async throws -> Void)
        async throws
    {
        do {
            try await work()
        } catch let error as FerryError {
            report(error, command: command, readsOnly: readsOnly)
            throw ExitCode(error.exitCode)
        }
    }
}

extension FerryError.Code {
    /// An error that is not one of Ferry's, which the tool still reports as
    /// an error object under `--json`.
    static let unexpected = FerryError.Code(rawValue: "unexpected")
    /// An upgrade stopped by SIGINT or SIGTERM.
    static let interrupted = FerryError.Code(rawValue: "interrupted")
}

/// The JSON result of a command that failed.
struct ErrorResult: Encodable {
    let command: String
    let ok = false
    let error: FerryError
}

/// Writes log messages as plain lines.
struct ConsoleLogHandler: LogHandler {
    let isJSON: Bool
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        ProgressBar.shared.clear()
        let text = event.message.description
        if isJSON || event.level >= .warning {
            StandardStream.error.writeLine((event.level >= .warning ? "warning: " : "") + text)
        } else {
            StandardStream.output.writeLine(text)
        }
    }
}
