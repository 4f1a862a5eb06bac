/// Times a piece of work repeated in-process.
enum Stopwatch {
    /// Runs `work` once to warm up, then `repetitions` times; the median duration in milliseconds.
    static func medianMilliseconds(_ repetitions: Int, _ work: () throws -> Void) rethrows -> Double
    {
        try work()
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let elapsed = try clock.measure(work)
            samples.append(
                Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds)
                    * 1e3)
        }
        return samples.sorted()[samples.count / 2]
    }
}
