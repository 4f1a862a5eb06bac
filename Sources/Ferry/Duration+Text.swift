import Foundation

extension Duration {
    /// The duration in seconds.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration for people: `0.004 s`, `1.2 s`, `2 min 5 s`.
    public var text: String { Duration.text(seconds: inSeconds) }

    /// A number of seconds for people: `0.004 s`, `1.2 s`, `2 min 5 s`, `1 min`.
    public static func text(seconds: Double) -> String {
        if seconds < 0.1 { return String(format: "%.3f s", seconds) }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s"
    }
}
