/// An error from Ferry: what happened, what was changed, and what to do next.
///
/// Every error has a ``Code`` that scripts can rely on, and a ``category``
/// that says how it ends a command (the tool turns it into its exit code): a
/// refusal changed nothing because a check, the policy or the lock said no; a
/// failure happened while working and was rolled back; a usage error is bad
/// input or configuration.
///
/// ``description`` is safe to show and to log: it never holds a password.
public struct FerryError: Error, Sendable, CustomStringConvertible, WordedForReader {
    /// What kind of error this is. New codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The configuration or the command line is wrong.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// A text is not a semantic version.
        public static let invalidRelease = Code(rawValue: "invalidRelease")
        /// The migrations folder or a migration file is malformed.
        public static let invalidMigrations = Code(rawValue: "invalidMigrations")
        /// The database was written by a newer release than this program.
        public static let databaseIsNewer = Code(rawValue: "databaseIsNewer")
        /// An applied migration's file changed since it was applied.
        public static let migrationChanged = Code(rawValue: "migrationChanged")
        /// An applied migration is not known to this program.
        public static let migrationMissing = Code(rawValue: "migrationMissing")
        /// A pending migration belongs to a release the database already passed.
        public static let migrationOutOfOrder = Code(rawValue: "migrationOutOfOrder")
        /// The requested target release cannot be reached by an upgrade.
        public static let invalidTarget = Code(rawValue: "invalidTarget")
        /// Another process holds the upgrade lock.
        public static let lockTimeout = Code(rawValue: "lockTimeout")
        /// A migration script failed.
        public static let migrationFailed = Code(rawValue: "migrationFailed")
        /// The upgrade left rows that violate a constraint (for example a foreign key).
        public static let constraintViolation = Code(rawValue: "constraintViolation")
        /// The database could not be opened or read.
        public static let databaseUnavailable = Code(rawValue: "databaseUnavailable")
        /// The database refuses this user what an upgrade needs (for example
        /// to create tables); found before anything changed.
        public static let insufficientPrivileges = Code(rawValue: "insufficientPrivileges")
        /// A file or folder could not be read or written.
        public static let fileSystem = Code(rawValue: "fileSystem")
        /// A backup could not be made or checked.
        public static let backupFailed = Code(rawValue: "backupFailed")
        /// A backup file is damaged or does not match its manifest.
        public static let backupCorrupt = Code(rawValue: "backupCorrupt")
        /// No backup has the name or matches the selection.
        public static let backupNotFound = Code(rawValue: "backupNotFound")
        /// There is not enough free space for a backup.
        public static let insufficientSpace = Code(rawValue: "insufficientSpace")
        /// A restore or downgrade failed and the live database was put back.
        public static let restoreFailed = Code(rawValue: "restoreFailed")
        /// The application committed a write in the instant a restore let
        /// go of the live database to copy the backup in: nothing was
        /// changed, and the restore starts again (a few times) with a new
        /// pre-restore backup that holds the write.
        public static let writeDuringRestore = Code(rawValue: "writeDuringRestore")
        /// A destructive command was not confirmed.
        public static let notConfirmed = Code(rawValue: "notConfirmed")
        /// A text is not a release range.
        public static let invalidRange = Code(rawValue: "invalidRange")
        /// A preflight check found a blocker, or a warning without `--force`.
        public static let preflightRefused = Code(rawValue: "preflightRefused")
        /// A verification check failed; the upgrade was rolled back.
        public static let verificationFailed = Code(rawValue: "verificationFailed")
        /// The database engine cannot do what was asked.
        public static let unsupportedByEngine = Code(rawValue: "unsupportedByEngine")
        /// The database does not exist, and the upgrade may not create it.
        public static let databaseMissing = Code(rawValue: "databaseMissing")
        /// The database holds tables but no Ferry history: Ferry did not make it.
        public static let unmanagedDatabase = Code(rawValue: "unmanagedDatabase")
        /// An upgrade path ends with a schema that differs from a fresh install's.
        public static let upgradePathsDiffer = Code(rawValue: "upgradePathsDiffer")
        /// The database refuses every change (a PostgreSQL hot standby):
        /// found before anything was done.
        public static let databaseReadOnly = Code(rawValue: "databaseReadOnly")
        /// An admin server request without its bearer token, or with a wrong one.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// An admin server operation asked for while another one runs.
        public static let serverBusy = Code(rawValue: "serverBusy")
        /// An admin server request for a route or an operation that does not exist.
        public static let notFound = Code(rawValue: "notFound")
        /// An admin server request whose body is larger than the server takes.
        public static let requestTooLarge = Code(rawValue: "requestTooLarge")
        /// `adopt` or `baseline` on a database that Ferry already manages.
        public static let alreadyManaged = Code(rawValue: "alreadyManaged")
        /// No other tool's history to adopt, or more than one and none chosen.
        public static let foreignHistoryNotFound = Code(rawValue: "foreignHistoryNotFound")
        /// Another tool's history is dirty or records a failure: not adopted.
        public static let foreignHistoryUnfinished = Code(rawValue: "foreignHistoryUnfinished")
        /// `baseline`: the database's schema is not the release's.
        public static let schemaDiffers = Code(rawValue: "schemaDiffers")
    }

    /// How the error ends a command; the tool makes its exit code of it.
    public enum Category: String, Sendable {
        /// Bad usage or configuration.
        case usage
        /// Refused by a check, the policy or the lock, nothing changed.
        case refused
        /// Failed while working; rolled back or restored.
        case failed
    }

    /// Where in a script a statement failed.
    public struct ScriptLocation: Sendable, Equatable {
        /// The file as the user knows it (relative to the migrations folder when possible).
        public var file: String
        /// The line (from 1) where the failing statement starts.
        public var line: Int
        /// The failing statement, shortened if long.
        public var statement: String?

        public init(file: String, line: Int, statement: String?) {
            self.file = file
            self.line = line
            self.statement = statement
        }
    }

    /// The error's code.
    public var code: Code
    /// What happened, in one or two sentences.
    public var message: String {
        get { wording.apply(to: markedMessage) }
        set { markedMessage = newValue }
    }
    /// What was changed: usually that nothing was.
    public var changes: String? {
        get { markedChanges.map(wording.apply(to:)) }
        set { markedChanges = newValue }
    }
    /// What to do next.
    public var advice: String? {
        get { markedAdvice.map(wording.apply(to:)) }
        set { markedAdvice = newValue }
    }
    /// Who reads the error, which decides how ``message``, ``changes`` and
    /// ``advice`` name the settings and commands they mention (``Remedy``):
    /// the library's Swift properties and calls unless the tool asks for its
    /// flags and command lines.
    public var wording: Wording = .library
    /// ``message`` as written, with its remedies marked until it is worded:
    /// what Ferry composes of an error's text reads and writes this, so
    /// that the marks reach the reader.
    package var markedMessage: String
    /// ``changes`` as written, with its remedies marked.
    package var markedChanges: String?
    /// ``advice`` as written, with its remedies marked.
    package var markedAdvice: String?
    /// Where in a script it happened, for script failures.
    public var location: ScriptLocation?
    /// The database engine's own message, for engine failures.
    public var engineMessage: String?
    /// The engine's own code for the failure, such as PostgreSQL's SQLSTATE
    /// (`42P01`), for scripts that react to it.
    public var engineCode: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, changes: String? = nil, advice: String? = nil,
        location: ScriptLocation? = nil, engineMessage: String? = nil, engineCode: String? = nil
    ) {
        self.code = code
        self.markedMessage = message
        self.markedChanges = changes
        self.markedAdvice = advice
        self.location = location
        self.engineMessage = engineMessage
        self.engineCode = engineCode
    }

    /// How the error ends a command.
    public var category: Category {
        switch code {
        case .invalidConfiguration, .invalidRelease, .invalidMigrations, .invalidTarget,
            .invalidRange,
            .unsupportedByEngine, .notFound, .requestTooLarge, .invalidTransfer:
            return .usage
        case .databaseIsNewer, .migrationChanged, .migrationMissing, .migrationOutOfOrder,
            .lockTimeout,
            .backupCorrupt, .backupNotFound, .insufficientSpace, .notConfirmed, .preflightRefused,
            .insufficientPrivileges, .unmanagedDatabase, .databaseMissing, .databaseReadOnly,
            .exportCorrupt, .invalidExport, .unauthorized, .serverBusy, .transferRefused,
            .alreadyManaged, .foreignHistoryNotFound, .foreignHistoryUnfinished, .schemaDiffers:
            return .refused
        default:
            return .failed
        }
    }

    /// Returns a copy that says what was changed.
    public func describingChanges(_ changes: String) -> FerryError {
        var copy = self
        copy.changes = changes
        return copy
    }

    /// The whole message: what happened, where, what the engine said, what
    /// changed and what to do next, one part per line.
    public var description: String {
        var lines = [message]
        if let location {
            lines.append("  at \(location.file), line \(location.line)")
            if let statement = location.statement { lines.append("  statement: \(statement)") }
        }
        if let engineMessage { lines.append("  database said: \(engineMessage)") }
        if let changes { lines.append(changes) }
        if let advice { lines.append(advice) }
        return lines.joined(separator: "\n")
    }
}

extension FerryError: Encodable {
    private enum CodingKeys: String, CodingKey {
        case code, category, message, changes, advice, file, line, statement, engineMessage,
            engineCode
    }

    public func encode(to encoder: any Encoder) throws {
        let error = encoder.readersWording.map(worded(for:)) ?? self
        try error.encodeWorded(to: encoder)
    }

    private func encodeWorded(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code.rawValue, forKey: .code)
        try container.encode(category.rawValue, forKey: .category)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(changes, forKey: .changes)
        try container.encodeIfPresent(advice, forKey: .advice)
        try container.encodeIfPresent(location?.file, forKey: .file)
        try container.encodeIfPresent(location?.line, forKey: .line)
        try container.encodeIfPresent(location?.statement, forKey: .statement)
        try container.encodeIfPresent(engineMessage, forKey: .engineMessage)
        try container.encodeIfPresent(engineCode, forKey: .engineCode)
    }
}
