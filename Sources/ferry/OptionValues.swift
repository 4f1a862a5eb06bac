import ArgumentParser
import Ferry
import Foundation

// Options take typed values, so that the parser refuses a bad one before a
// command runs: a usage error (exit 2) that names the allowed values or the
// range, with nothing read or changed. Help and shell completion list the
// values of a closed set from the same declarations.

extension TransactionMode: ExpressibleByArgument {
    /// Reads `upgrade` or `migration` as the settings do (any case, spaces trimmed).
    public init?(argument: String) {
        guard let mode = try? TransactionMode(parsing: argument) else { return nil }
        self = mode
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension BackupCheckLevel: ExpressibleByArgument {
    /// Reads `full` or `quick` as the settings do (any case).
    public init?(argument: String) {
        guard let level = try? BackupCheckLevel(parsing: argument) else { return nil }
        self = level
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension MigrationLayout: ExpressibleByArgument {
    /// Reads a layout's name as the settings do (any case).
    public init?(argument: String) {
        guard let layout = try? MigrationLayout(parsing: argument) else { return nil }
        self = layout
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension EntitySelection: ExpressibleByArgument {
    /// Reads `TABLE=KEY`.
    public init?(argument: String) {
        guard let entity = try? EntitySelection(parsing: argument) else { return nil }
        self = entity
    }
}

extension ForeignTool: ExpressibleByArgument {
    /// Reads a tool's name as `adopt --from` takes it (any case).
    public init?(argument: String) {
        guard let tool = try? ForeignTool(parsing: argument) else { return nil }
        self = tool
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Readers of option values that are open sets (releases, numbers in a
/// range), for `@Option(transform:)`: the error they throw is what the
/// parser prints after "The value 'X' is invalid for '--option <value>'".
enum OptionValue {
    /// A release, such as `--to 0.7.0`.
    @Sendable static func release(_ text: String) throws -> Release {
        try Release(parsing: text)
    }

    /// `--lock-timeout SECONDS`, in ``NumberSetting/lockTimeout``'s range.
    @Sendable static func lockTimeout(_ text: String) throws -> Double {
        try number(text, .lockTimeout, flag: "--lock-timeout")
    }

    /// A number in `setting`'s range, named in errors as the flag with the
    /// value read (`--lock-timeout 1e+20`).
    static func number(_ text: String, _ setting: NumberSetting, flag: String) throws -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
            return try setting.parsed(text, from: "\(flag) \(text)")
        }
        return try setting.checked(value, from: "\(flag) \(value)")
    }

    /// A whole number of at least `minimum`, such as `--parallel 8`.
    @Sendable static func count(_ text: String, flag: String, minimum: Int) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= minimum else {
            throw ValidationError("\(flag) takes a whole number of at least \(minimum).")
        }
        return value
    }
}
