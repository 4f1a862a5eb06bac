import Foundation

/// Runs one step of an upgrade, a migration or a hook, on the upgrade's
/// session: both are a ``Migration/Body`` (a script or Swift code), timed
/// the same way and named the same way when they fail.
struct StepRunner {
    /// What ran: when it started and how long it took.
    struct Timing {
        var startedAt: Date
        var seconds: Double
    }

    let session: any MigrationSession

    /// Runs a step's body.
    ///
    /// - Parameter name: How a failure names the step, such as
    ///   `Migration 0.5.0/001_create_rooms` or `Hook 001_rebuild_index`.
    /// - Throws: ``FerryError`` whose message starts with `name failed:`.
    func run(_ body: Migration.Body, named name: String) async throws -> Timing {
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = Date()
        do {
            switch body {
            case .sql(let script): try await session.run(script)
            case .swift(let body): try await body(session)
            }
        } catch {
            throw Self.failure(of: name, error)
        }
        return Timing(startedAt: startedAt, seconds: (clock.now - started).inSeconds)
    }

    /// Describes a step's failure as a ``FerryError`` naming the step; an
    /// engine's error keeps its code, file, line and advice. A cancellation
    /// (the work stopped from outside, such as a server stopping) is not the
    /// step's failure, and stays a cancellation.
    static func failure(of name: String, _ error: any Error) -> any Error {
        if error is CancellationError { return error }
        if var error = error as? FerryError {
            error.markedMessage = "\(name) failed: \(error.markedMessage)"
            return error
        }
        return FerryError(.migrationFailed, "\(name) failed: \(error)")
    }
}
