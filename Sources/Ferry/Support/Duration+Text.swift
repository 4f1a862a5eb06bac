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
        guard seconds.isFinite, seconds >= 0 else { return "\(seconds) s" }
        if seconds < 0.1 { return decimal(seconds, places: 3) + " s" }
        if seconds < 60 { return decimal(seconds, places: 1) + " s" }
        let whole = Int(seconds.rounded())
        return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s"
    }

    /// A non-negative number rounded to `places` decimals, as `%.Nf` writes
    /// it, without `String(format:)`: an upgrade of a thousand migrations
    /// reports a thousand durations, and `String(format:)` goes through
    /// `NSString`.
    private static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded(.toNearestOrEven))
        let unit = Int(scale)
        let fraction = String(scaled % unit)
        return "\(scaled / unit)." + String(repeating: "0", count: places - fraction.count)
            + fraction
    }
}
