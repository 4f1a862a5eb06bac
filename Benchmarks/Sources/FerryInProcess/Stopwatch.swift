/// Times a piece of work repeated in-process.
enum Stopwatch {
    /// Runs `work` once to warm up, then `repetitions` times; the median duration in milliseconds.
    ///
    /// `work` is `@Sendable`, so not isolated to the main actor of the top-level code that
    /// passes it: each call would otherwise hop to the main thread and back, two thread
    /// switches that no application calling from its own task pays.
    static func medianMilliseconds(_ repetitions: Int, _ work: @Sendable () async throws -> Void)
        async rethrows -> Double
    {
        try await work()
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = clock.now
            try await work()
            let elapsed = clock.now - start
            samples.append(
                Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds)
                    * 1e3)
        }
        return samples.sorted()[samples.count / 2]
    }
}
