import Foundation

/// One setting as the world outside the program names it: its key in
/// `ferry.toml`, its `FERRY_*` variable, and the property of ``Settings``
/// that it fills.
///
/// ``Settings/keys`` lists every setting once. Reading the file, reading the
/// environment, the unknown-key check and ``Settings/overridden(by:)`` all
/// walk that list, so a new setting is its property, its line in the list,
/// and the code that uses it.
struct SettingKey: Sendable {
    /// Where `ferry.toml` holds a setting.
    enum FilePlace: Sendable {
        /// Not in the file (`FERRY_JSON`).
        case none
        /// `key` in the table `[table]`.
        case key(table: String, name: String)
        /// An array of tables (`[[verify]]`) whose tables may hold `keys`.
        case arrayOfTables(name: String, keys: Set<String>)
    }

    /// Where `ferry.toml` holds the setting.
    let filePlace: FilePlace
    /// The environment variable, such as `FERRY_DATABASE`, if there is one.
    let environmentVariable: String?
    private let readFile: @Sendable (FileReader, inout Settings) throws -> Void
    private let readText: @Sendable (_ text: String, _ place: String, inout Settings) throws -> Void
    private let copy: @Sendable (_ from: Settings, _ into: inout Settings) -> Void

    /// A setting of any type.
    ///
    /// - Parameters:
    ///   - property: The property of ``Settings`` it fills.
    ///   - fromFile: Reads the value from the file, or nil when the file does not set it.
    ///   - fromText: Reads the value of the environment variable; `place` is how
    ///     the user wrote it (`FERRY_LOCK_TIMEOUT=5`), for messages.
    init<Value: Sendable>(
        _ property: WritableKeyPath<Settings, Value?> & Sendable, file filePlace: FilePlace,
        environment environmentVariable: String?,
        fromFile: @escaping @Sendable (FileReader) throws -> Value?,
        fromText: @escaping @Sendable (_ text: String, _ place: String) throws -> Value
    ) {
        self.filePlace = filePlace
        self.environmentVariable = environmentVariable
        readFile = { reader, settings in
            if let value = try fromFile(reader) { settings[keyPath: property] = value }
        }
        readText = { text, place, settings in
            settings[keyPath: property] = try fromText(text, place)
        }
        copy = { from, into in
            if let value = from[keyPath: property] { into[keyPath: property] = value }
        }
    }

    /// Sets the setting from a parsed `ferry.toml` when the file holds it.
    func read(from reader: FileReader, into settings: inout Settings) throws {
        try readFile(reader, &settings)
    }

    /// Sets the setting from its environment variable when it is set and not empty.
    func read(environment: [String: String], into settings: inout Settings) throws {
        guard let name = environmentVariable, let text = environment[name], !text.isEmpty else {
            return
        }
        try readText(text, "\(name)=\(text)", &settings)
    }

    /// Sets the setting in `settings` when `other` sets it.
    func copy(from other: Settings, into settings: inout Settings) {
        copy(other, &settings)
    }
}

extension SettingKey {
    /// A text, such as `[app] name`.
    static func text(
        _ property: WritableKeyPath<Settings, String?> & Sendable, _ table: String, _ name: String,
        environment: String?
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: table, name: name), environment: environment,
            fromFile: { try $0.string(table, name) }, fromText: { text, _ in text })
    }

    /// A list of texts: an array of strings in the file, texts separated by
    /// commas in the environment.
    static func texts(
        _ property: WritableKeyPath<Settings, [String]?> & Sendable, _ table: String,
        _ name: String, environment: String?
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: table, name: name), environment: environment,
            fromFile: { try $0.strings(table, name) },
            fromText: { text, _ in
                text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            })
    }

    /// A path; a relative one in the file is relative to the file's folder
    /// (in the environment, to the working directory).
    static func path(
        _ property: WritableKeyPath<Settings, String?> & Sendable, _ table: String, _ name: String,
        environment: String?
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: table, name: name), environment: environment,
            fromFile: { reader in try reader.string(table, name).map(reader.resolved) },
            fromText: { text, _ in text })
    }

    /// A boolean: `true` or `false` in the file; `1`, `true`, `yes`, `on`
    /// or `0`, `false`, `no`, `off` in the environment.
    /// Without a table and key, only the environment (and a flag) sets it.
    static func flag(
        _ property: WritableKeyPath<Settings, Bool?> & Sendable, _ table: String? = nil,
        _ name: String? = nil,
        environment: String
    ) -> SettingKey {
        var place = FilePlace.none
        if let table, let name { place = .key(table: table, name: name) }
        return SettingKey(
            property, file: place, environment: environment,
            fromFile: { reader in
                guard let table, let name else { return nil }
                return try reader.bool(table, name)
            },
            fromText: { text, place in
                switch text.lowercased() {
                case "1", "true", "yes", "on": return true
                case "0", "false", "no", "off": return false
                default:
                    throw FerryError(.invalidConfiguration, "\(place) is not a boolean (1 or 0).")
                }
            })
    }

    /// A number in the range of `setting`, which names its key and variable.
    static func number(
        _ property: WritableKeyPath<Settings, Double?> & Sendable, _ setting: NumberSetting
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: setting.section, name: setting.key),
            environment: setting.environmentVariable,
            fromFile: { try $0.number(setting) }, fromText: { try setting.parsed($0, from: $1) })
    }

    /// A whole number in the range of `setting`, which names its key and variable.
    static func count(
        _ property: WritableKeyPath<Settings, Int?> & Sendable, _ setting: NumberSetting
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: setting.section, name: setting.key),
            environment: setting.environmentVariable,
            fromFile: { try $0.number(setting).map { Int($0) } },
            fromText: { Int(try setting.parsed($0, from: $1)) })
    }

    /// One of a closed set of names, such as `upgrade` or `migration`, read
    /// by `parse` (which throws an error naming the allowed ones).
    static func choice<Value: Sendable>(
        _ property: WritableKeyPath<Settings, Value?> & Sendable, _ table: String, _ name: String,
        environment: String, parse: @escaping @Sendable (String) throws -> Value
    ) -> SettingKey {
        SettingKey(
            property, file: .key(table: table, name: name), environment: environment,
            fromFile: { reader in
                try reader.string(table, name).map { text in try reader.located { try parse(text) }
                }
            },
            fromText: { text, _ in try parse(text) })
    }

    /// An array of tables (`[[verify]]`), which only the file holds.
    static func tables<Value: Sendable>(
        _ property: WritableKeyPath<Settings, [Value]?> & Sendable, _ name: String,
        keys: Set<String>,
        read: @escaping @Sendable (FileReader) throws -> [Value]?
    ) -> SettingKey {
        SettingKey(
            property, file: .arrayOfTables(name: name, keys: keys), environment: nil,
            fromFile: read,
            fromText: { _, place in
                throw FerryError(.invalidConfiguration, "\(place): only ferry.toml sets this.")
            })
    }
}
