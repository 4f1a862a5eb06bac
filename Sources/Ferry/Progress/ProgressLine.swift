import Foundation

/// The one-line picture of a ``WorkProgress`` that the tool draws on a
/// terminal: the task, a bar, done of total, the rate and the time left;
/// for work with no known total, a spinner, the count, the rate and the
/// time it has run.
///
/// ```
/// backup copy [##########----------]  50% 1,024/2,048 pages 512 pages/s 0:02 left
/// integrity check / 18,000 steps 9,000 steps/s 0:02
/// ```
///
/// A pure function of the report, the time and the width, so that it is
/// tested without a terminal. The line never exceeds the width: the bar
/// shrinks first, then the time left, the rate and the counts go, and at
/// last the task's name is cut.
public enum ProgressLine {
    /// The widest the bar gets, in columns.
    public static let widestBar = 30
    /// The narrowest bar worth drawing, in columns.
    public static let narrowestBar = 10

    /// The line for a report.
    ///
    /// - Parameters:
    ///   - progress: The report.
    ///   - elapsed: The seconds since the work started (the spinner turns
    ///     with it, and an unknown total shows it).
    ///   - width: The terminal's columns; the line is at most one less, so
    ///     that the cursor never wraps.
    /// - Returns: The text, with no line end.
    public static func text(for progress: WorkProgress, elapsed: Double, width: Int) -> String {
        let room = width - 1
        guard room > 0 else { return "" }
        var parts: [String] = []
        var bar: Double?
        if let total = progress.total, total > 0 {
            let fraction = min(1, max(0, Double(progress.done) / Double(total)))
            bar = fraction
            let percent = String(Int(fraction * 100))
            parts.append(String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%")
            parts.append(
                "\(amount(progress.done, of: progress.unit))/\(progress.unit.amount(total))")
        } else {
            parts.append(progress.unit.amount(progress.done))
        }
        parts.append(rate(progress.rate, unit: progress.unit))
        if progress.total != nil {
            parts.append((progress.secondsLeft.map(clock) ?? "?") + " left")
        } else {
            parts.append(clock(elapsed))
        }
        let head = progress.task
        while true {
            let tail = parts.joined(separator: " ")
            let fixed = head.count + 1 + (tail.isEmpty ? 0 : tail.count + 1)
            if let fraction = bar {
                let columns = min(widestBar, room - fixed - 2)
                if columns >= narrowestBar {
                    let filled = Int((fraction * Double(columns)).rounded(.down))
                    let drawn =
                        "[" + String(repeating: "#", count: filled)
                        + String(repeating: "-", count: columns - filled) + "]"
                    return [head, drawn, tail].filter { !$0.isEmpty }.joined(separator: " ")
                }
            } else {
                let spinner = spinnerFrame(elapsed)
                if fixed + 1 <= room {
                    return [head, spinner, tail].filter { !$0.isEmpty }.joined(separator: " ")
                }
            }
            if parts.isEmpty { break }
            parts.removeLast()
        }
        // Not even the name and a short bar fit: the name, cut.
        return head.count <= room ? head : String(head.prefix(room - 1)) + "…"
    }

    /// The separator between the pictures of work running at once.
    public static let separator = "  ·  "

    /// The line for several pieces of work running at once (a restore's
    /// load beside the check of its pre-restore backup): each one's
    /// picture in an equal share of the width, in the order given.
    ///
    /// - Parameters:
    ///   - progresses: The latest report of each piece of work.
    ///   - width: The terminal's columns; the line is at most one less.
    /// - Returns: The text, with no line end.
    public static func text(for progresses: [WorkProgress], width: Int) -> String {
        guard progresses.count > 1 else {
            return progresses.first.map { text(for: $0, elapsed: $0.seconds, width: width) } ?? ""
        }
        let room = width - 1 - separator.count * (progresses.count - 1)
        let share = room / progresses.count
        guard share >= 2 else {
            return text(for: progresses[0], elapsed: progresses[0].seconds, width: width)
        }
        // Each picture in `share` columns: `text` keeps one less than the width it is given.
        return progresses.map { text(for: $0, elapsed: $0.seconds, width: share + 1) }
            .joined(separator: separator)
    }

    /// A done amount beside a total: bytes with their unit, others bare.
    private static func amount(_ value: Int64, of unit: ProgressUnit) -> String {
        unit == .bytes ? FileSafety.formatBytes(value) : ProgressUnit.count(value)
    }

    /// `512 pages/s`, `5.1 MB/s`, `0.5 rows/s`; `- rows/s` before any rate.
    static func rate(_ rate: Double?, unit: ProgressUnit) -> String {
        guard let rate, rate.isFinite, rate > 0 else { return "- \(unit.rawValue)/s" }
        if unit == .bytes { return FileSafety.formatBytes(Int64(min(rate, 9e18))) + "/s" }
        if rate < 10 { return String(format: "%.1f", rate) + " \(unit.rawValue)/s" }
        return "\(ProgressUnit.count(Int64(min(rate, 9e18)))) \(unit.rawValue)/s"
    }

    /// `0:07`, `12:34`, `1:02:03`; `>99h` beyond; `?` for no number.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        guard seconds < 100 * 3600 else { return ">99h" }
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0
            ? "\(hours):\(twoDigits(minutes)):\(twoDigits(rest))" : "\(minutes):\(twoDigits(rest))"
    }

    /// The spinner's frame at a time: it turns eight times a second.
    static func spinnerFrame(_ elapsed: Double) -> String {
        let frames = ["|", "/", "-", "\\"]
        guard elapsed.isFinite, elapsed >= 0 else { return frames[0] }
        return frames[Int((elapsed * 8).truncatingRemainder(dividingBy: 4))]
    }
}
