import Ferry
import Foundation

/// The events of an upgrade, collected from any thread.
public final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [UpgradeEvent] = []

    public init() {}

    /// Adds an event: pass it as an upgrade's `onEvent`.
    @Sendable public func append(_ event: UpgradeEvent) {
        lock.withLock { events.append(event) }
    }

    /// Every event so far, in order.
    public var all: [UpgradeEvent] { lock.withLock { events } }

    /// The checks of the last verification.
    public var verificationChecks: [VerificationCheck] {
        all.compactMap {
            if case .verificationCompleted(let report) = $0 { report.checks } else { nil }
        }.last ?? []
    }
}
