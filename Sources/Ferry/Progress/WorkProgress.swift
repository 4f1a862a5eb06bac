import Foundation

/// How far a long piece of work has come: a backup copy, a dump and its
/// load, a restore, an integrity check, a migration, one table of an export
/// or an import.
///
/// Reported as ``UpgradeEvent/progress(_:)`` through the same callback as
/// every other event (`onEvent`), at most about ten times a second, and
/// only for work that lasts (see ``ProgressReporter``). The tool draws it as
/// a bar on a terminal and writes it as a `progress` event under `--json`.
public struct WorkProgress: Sendable, Equatable {
    /// What is being done, as people read it: `backup copy`, `dump`,
    /// `load`, `restore`, `integrity check`, `migration 0.4.0/002_x`,
    /// `export sensor_history`.
    public var task: String
    /// What ``done`` and ``total`` count.
    public var unit: ProgressUnit
    /// How many units are done.
    public var done: Int64
    /// How many units there are in all, when that is known; nil for work
    /// whose end cannot be told ahead (SQLite's progress ticks).
    public var total: Int64?
    /// The time since the work started, in seconds.
    public var seconds: Double
    /// Whether this is the work's last report (it ended, or it failed).
    public var isFinished: Bool

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - task: What is being done, as people read it.
    ///   - unit: What `done` and `total` count.
    ///   - done: How many units are done.
    ///   - total: How many there are in all, or nil when unknown.
    ///   - seconds: The time since the work started.
    ///   - isFinished: Whether this is the work's last report.
    public init(
        task: String, unit: ProgressUnit, done: Int64, total: Int64? = nil, seconds: Double,
        isFinished: Bool = false
    ) {
        self.task = task
        self.unit = unit
        self.done = done
        self.total = total
        self.seconds = seconds
        self.isFinished = isFinished
    }

    /// Units done per second so far, or nil before any time has passed.
    public var rate: Double? {
        guard seconds > 0, seconds.isFinite else { return nil }
        return Double(done) / seconds
    }

    /// The seconds still to go at the rate so far, or nil when the total or
    /// the rate is unknown or zero.
    public var secondsLeft: Double? {
        guard let total, let rate, rate > 0 else { return nil }
        return max(0, Double(total - min(done, total)) / rate)
    }

    /// The report as a line for people (the event's `message`).
    public var message: String {
        let count =
            total.map { "\(unit.amount(done)) of \(unit.amount($0))" } ?? unit.amount(done)
        return "\(task): \(count)\(isFinished ? ", done" : "")"
    }
}

/// What a ``WorkProgress`` counts.
public enum ProgressUnit: String, Sendable, Codable, CaseIterable {
    /// Database pages (SQLite's backup API).
    case pages
    /// Bytes written or read (a dump, `pg_dump`, `pg_restore`).
    case bytes
    /// Table rows (an export, an import, a dump).
    case rows
    /// SQL statements run (a dump's load).
    case statements
    /// Steps of SQLite's virtual machine, counted through its progress
    /// handler: a measure of work with no known end.
    case steps

    /// An amount in this unit, short: `12.3 MB`, `1,234 rows`, `5.6M pages`.
    ///
    /// - Parameter value: The amount.
    public func amount(_ value: Int64) -> String {
        switch self {
        case .bytes: return FileSafety.formatBytes(value)
        default: return "\(Self.count(value)) \(rawValue)"
        }
    }

    /// A count with thousands separators up to a million, then shortened
    /// (`12.3M`, `4.5G`), so that huge numbers keep a line short.
    static func count(_ value: Int64) -> String {
        let magnitude = value.magnitude
        if magnitude >= 1_000_000 {
            let (scaled, suffix): (Double, String) =
                magnitude >= 1_000_000_000_000
                ? (Double(value) / 1e12, "T")
                : magnitude >= 1_000_000_000
                    ? (Double(value) / 1e9, "G") : (Double(value) / 1e6, "M")
            return String(format: "%.1f", scaled) + suffix
        }
        var digits = String(magnitude)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + String(digits.suffix(3)) + grouped
            digits.removeLast(3)
        }
        return (value < 0 ? "-" : "") + digits + grouped
    }
}
