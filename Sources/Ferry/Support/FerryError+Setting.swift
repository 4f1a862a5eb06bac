extension FerryError {
    /// A setting that an error's advice names, such as "accept changed
    /// migrations", worded for whoever reads the error.
    ///
    /// The core does not know the tool's flags by heart in its messages: it
    /// names a setting symbolically (`"or pass \(.allowChanged) to …"`), and
    /// the message is worded when it is read. An application that embeds
    /// Ferry sees the Swift property it sets (`UpgradeOptions.allowChanged`);
    /// the `ferry` tool reads the same error with ``Wording/tool`` and shows
    /// its flag (`--allow-changed`).
    public struct Setting: Hashable, Sendable {
        /// The setting's name in the messages' text; stable.
        public let name: String
        /// The library's word for it: the Swift property an application sets.
        public let property: String
        /// The `ferry` tool's flag for it.
        public let flag: String

        /// Creates a setting.
        public init(name: String, property: String, flag: String) {
            self.name = name
            self.property = property
            self.flag = flag
        }

        /// Accept applied migrations whose files changed, vanished or came out of order.
        public static let allowChanged = Setting(
            name: "allowChanged", property: "UpgradeOptions.allowChanged", flag: "--allow-changed")
        /// Upgrade without a pre-upgrade backup.
        public static let noBackup = Setting(
            name: "noBackup", property: "UpgradeOptions.skipBackup", flag: "--no-backup")
        /// Override preflight warnings (never blockers).
        public static let force = Setting(
            name: "force", property: "UpgradeOptions.force", flag: "--force")
        /// Let an upgrade create a database that does not exist.
        public static let create = Setting(
            name: "create", property: "Configuration.createsDatabase", flag: "--create")
        /// How long to wait for another upgrader's lock (the tool's flag with its value).
        public static let lockTimeout = Setting(
            name: "lockTimeout", property: "Configuration.lockTimeout",
            flag: "--lock-timeout SECONDS")
        /// The release an upgrade stops at.
        public static let target = Setting(
            name: "target", property: "UpgradeOptions.target", flag: "--to")
        /// Where the database is.
        public static let database = Setting(
            name: "database", property: "Configuration.engine", flag: "--database")
        /// Where the backups are.
        public static let backups = Setting(
            name: "backups", property: "Configuration.backupsDirectory", flag: "--backups")
        /// Where the migrations are.
        public static let migrations = Setting(
            name: "migrations", property: "Configuration.migrationsDirectory", flag: "--migrations")

        /// Every setting a message may name, found by name when a message is worded.
        static let all: [String: Setting] = Dictionary(
            uniqueKeysWithValues: [
                allowChanged, noBackup, force, create, lockTimeout, target, database, migrations,
                backups,
            ]
            .map { ($0.name, $0) })

        // Private-use characters, which no message holds otherwise, mark a setting's name.
        static let opening: Character = "\u{E000}"
        static let closing: Character = "\u{E001}"

        /// The setting's mark in a message's text, until the message is worded.
        var mark: String { "\(Self.opening)\(name)\(Self.closing)" }

        /// The setting's words for a reader.
        func worded(for wording: Wording) -> String {
            switch wording {
            case .library: return property
            case .tool: return flag
            }
        }
    }

    /// Who reads an error, which decides how it names settings.
    public enum Wording: String, Sendable {
        /// An application that embeds the library: Swift property names.
        case library
        /// The `ferry` tool: its flags.
        case tool

        /// The key under which an encoder's `userInfo` holds the wording of
        /// the errors it encodes (the library's when absent).
        public static let userInfoKey = CodingUserInfoKey(rawValue: "ferry.errorWording")!

        /// Replaces every setting's mark in a text with its words.
        func apply(to text: String) -> String {
            guard text.contains(Setting.opening) else { return text }
            var result = ""
            var rest = Substring(text)
            while let start = rest.firstIndex(of: Setting.opening),
                let end = rest[start...].firstIndex(of: Setting.closing)
            {
                result += rest[..<start]
                let name = String(rest[rest.index(after: start)..<end])
                result += Setting.all[name]?.worded(for: self) ?? name
                rest = rest[rest.index(after: end)...]
            }
            return result + rest
        }
    }
}

extension String.StringInterpolation {
    /// Names a setting in an error's message; the message words it for its
    /// reader (see ``FerryError/Setting``).
    public mutating func appendInterpolation(_ setting: FerryError.Setting) {
        appendLiteral(setting.mark)
    }
}
