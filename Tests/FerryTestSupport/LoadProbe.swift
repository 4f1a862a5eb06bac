import Foundation

/// How long the load probes run: a few rounds in the test suite, or
/// `FERRY_LOAD_ROUNDS` rounds (`scripts/reliability.sh` sets 700: 100 with
/// each number of upgraders from 2 to 8).
public enum LoadProbe {
    /// The variable that sets the number of rounds.
    public static let roundsVariable = "FERRY_LOAD_ROUNDS"

    /// The rounds to run: `FERRY_LOAD_ROUNDS`, or `short` when it is unset.
    ///
    /// - Parameter short: The rounds of the test suite's short version.
    public static func rounds(short: Int) -> Int {
        ProcessInfo.processInfo.environment[roundsVariable].flatMap { Int($0) } ?? short
    }

    /// The upgraders started at once in a round: 2 to 8, in turn.
    ///
    /// - Parameter round: The round, from 0.
    public static func upgraders(inRound round: Int) -> Int {
        2 + (round * 6) % 7
    }
}
