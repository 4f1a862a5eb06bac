extension FerryError {
    /// A command that an error's advice suggests, such as "list the
    /// backups", with its arguments, worded for whoever reads the error.
    ///
    /// Like a ``Setting``, a command is named symbolically in a message
    /// (`"Run \(run: .backups) to list them."`) and worded when the message
    /// is read (``Wording``): an application that embeds Ferry sees the call
    /// it makes (`Ferry.backups()`), the `ferry` tool its command line
    /// (`'ferry backups'`).
    public struct Command: Hashable, Sendable {
        /// The command's name in the messages' text; stable.
        public let name: String
        /// Its arguments, such as a backup's name or a release.
        public let arguments: [String]
        /// The library's words for it: the call an application makes.
        public let call: String

        /// Creates a command.
        public init(name: String, arguments: [String] = [], call: String) {
            self.name = name
            self.arguments = arguments
            self.call = call
        }

        /// How a message names a command.
        public enum Form: String, Hashable, Sendable {
            /// As something to run (the tool quotes its whole command line).
            case run
            /// By its name inside a sentence (the tool's command without
            /// the program's name, unquoted).
            case name
        }

        /// Make a backup by hand.
        public static let backup = Command(name: "backup", call: "Ferry.backup()")
        /// List the backups.
        public static let backups = Command(name: "backups", call: "Ferry.backups()")
        /// Restore a backup by its name; without a name, one that the reader picks.
        public static func restore(_ backup: String? = nil) -> Command {
            Command(
                name: "restore", arguments: backup.map { [$0] } ?? [],
                call: "Ferry.restore(_:)" + (backup.map { " with the backup \($0)" } ?? ""))
        }
        /// Downgrade the database to a release.
        public static func downgrade(to release: Release) -> Command {
            Command(
                name: "downgrade", arguments: ["\(release)"],
                call: "Ferry.downgrade(_:) with Ferry.downgradePlan(to: \(release))")
        }
        /// Run the verification checks on the database as it is.
        public static let verify = Command(name: "verify", call: "Ferry.verify()")
        /// Read the database's status.
        public static let status = Command(name: "status", call: "Ferry.status()")
        /// Walk every upgrade path and down step on scratch databases.
        public static let testPaths = Command(
            name: "testPaths", call: "Ferry.testUpgradePaths()")
        /// Take over another tool's history.
        public static let adopt = Command(name: "adopt", call: "Ferry.adopt(_:)")
        /// Record an unmanaged database's schema as a release.
        public static let baseline = Command(name: "baseline", call: "Ferry.baseline(_:)")
        /// Export the database to a folder.
        public static let export = Command(name: "export", call: "Ferry.export(to:options:)")
        /// Write a configuration file and a migrations folder.
        public static let initialize = Command(
            name: "initialize", call: "the ferry tool's init")

        /// Every command the core's messages name (with placeholder
        /// arguments), for a reader's wording to cover them all.
        public static let all: [Command] = [
            backup, backups, restore(), restore("NAME"), downgrade(to: Release(0, 0, 0)), verify,
            status, testPaths, adopt, baseline, initialize, export,
        ]
    }
}

extension String.StringInterpolation {
    /// Names a command to run in an error's message; the message words it
    /// for its reader (see ``FerryError/Command``).
    public mutating func appendInterpolation(run command: FerryError.Command) {
        appendLiteral(FerryError.Remedy.command(command, form: .run).mark)
    }

    /// Names a command inside a sentence of an error's message, as in
    /// "the backups that downgrade --to 0.3.0 could pick".
    public mutating func appendInterpolation(named command: FerryError.Command) {
        appendLiteral(FerryError.Remedy.command(command, form: .name).mark)
    }
}
