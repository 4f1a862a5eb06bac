import Foundation

/// A number that comes from outside the program (`ferry.toml`, a `FERRY_*`
/// variable or a flag), with the range it must be in.
///
/// Every such number is checked against its range where it is read, so
/// that an absurd value is a usage error naming the setting and the range,
/// never an overflow later (a lock timeout of 1e20 seconds used to crash the
/// program when it was turned into milliseconds).
///
/// ```swift
/// let seconds = try NumberSetting.lockTimeout.checked(value, from: "FERRY_LOCK_TIMEOUT=\(text)")
/// ```
public struct NumberSetting: Sendable, Equatable {
    /// The table and key in `ferry.toml`, such as `database` and `lock_timeout`.
    public let section: String
    /// The key in its table.
    public let key: String
    /// The environment variable, such as `FERRY_LOCK_TIMEOUT`.
    public let environmentVariable: String
    /// The smallest value allowed.
    public let minimum: Double
    /// The largest value allowed.
    public let maximum: Double
    /// Whether the value must be a whole number.
    public let isWhole: Bool
    /// What the number counts, for messages (`seconds`, `backups`).
    public let unit: String
    /// Why the range ends where it does, for messages; may be empty.
    public let note: String

    /// `[database] lock_timeout`, `FERRY_LOCK_TIMEOUT`, `--lock-timeout`:
    /// seconds to wait for another upgrader, at most a year.
    public static let lockTimeout = NumberSetting(
        section: "database", key: "lock_timeout", environmentVariable: "FERRY_LOCK_TIMEOUT",
        minimum: 0,
        maximum: 31_536_000, isWhole: false, unit: "seconds", note: "a year")

    /// `[backups] keep`, `FERRY_BACKUPS_KEEP`: how many backups retention
    /// keeps. At least 1: the backup a command has just made is always
    /// kept, so 0 could only mean 1, and is refused rather than read so.
    public static let keepBackups = NumberSetting(
        section: "backups", key: "keep", environmentVariable: "FERRY_BACKUPS_KEEP", minimum: 1,
        maximum: 1_000_000,
        isWhole: true, unit: "backups", note: "the backup just made is always kept")

    /// `[backups] keep_manual`, `FERRY_BACKUPS_KEEP_MANUAL`: how many manual
    /// backups retention keeps, counted apart from the other kinds; unset
    /// keeps them all. At least 1, as for `keep`.
    public static let keepManualBackups = NumberSetting(
        section: "backups", key: "keep_manual", environmentVariable: "FERRY_BACKUPS_KEEP_MANUAL",
        minimum: 1,
        maximum: 1_000_000, isWhole: true, unit: "backups",
        note: "the backup just made is always kept")

    /// `[preflight] keep_free_mb`, `FERRY_KEEP_FREE_MB`: megabytes that must
    /// stay free, at most a petabyte.
    public static let keepFreeMB = NumberSetting(
        section: "preflight", key: "keep_free_mb", environmentVariable: "FERRY_KEEP_FREE_MB",
        minimum: 0,
        maximum: 1_000_000_000, isWhole: true, unit: "megabytes", note: "a petabyte")

    /// `[database] lock_timeout`: how the setting is named in `ferry.toml`.
    public var fileName: String { "[\(section)] \(key)" }

    /// `a whole number of backups from 1 to 1000000 (the backup just made is always kept)`.
    public var rangeText: String {
        let kind = isWhole ? "a whole number of \(unit)" : "a number of \(unit)"
        return "\(kind) from \(Self.text(minimum)) to \(Self.text(maximum))"
            + (note.isEmpty ? "" : " (\(note))")
    }

    /// Returns `value` when it is in range.
    ///
    /// - Parameters:
    ///   - value: The number read.
    ///   - place: Where it was read, as the user wrote it: `FERRY_LOCK_TIMEOUT=1e20`,
    ///     `--lock-timeout 1e20`, `[database] lock_timeout = 1e20 in /etc/app/ferry.toml`.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`, exit 2) naming
    ///   the place and the range.
    public func checked(_ value: Double, from place: String) throws -> Double {
        guard value.isFinite, value >= minimum, value <= maximum,
            !isWhole || value.rounded() == value
        else {
            throw FerryError(
                .invalidConfiguration, "\(place) is out of range: it must be \(rangeText).",
                changes: "Nothing was changed.", advice: "Fix the value and run the command again.")
        }
        return value
    }

    /// Reads a number written as text (an environment variable or a flag)
    /// and checks its range.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when it is not
    ///   a number or is out of range.
    public func parsed(_ text: String, from place: String) throws -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
            throw FerryError(
                .invalidConfiguration, "\(place) is not a number: it must be \(rangeText).",
                changes: "Nothing was changed.", advice: "Fix the value and run the command again.")
        }
        return try checked(value, from: place)
    }

    private static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
