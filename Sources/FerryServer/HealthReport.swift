import Ferry
import Foundation

/// The document `GET /health` answers, in the health-check format many
/// monitors read (`application/health+json`): an overall `status`, the
/// program's release as `version`, the database's as `releaseId`, and
/// `checks`, each a list of observations.
///
/// It says nothing a stranger could use: no path, table name, SQL, engine
/// message or stack; only releases, counts, ages and who holds the lock.
public struct HealthReport: Sendable, Encodable {
    /// pass, warn or fail; pass and warn answer 200, fail 503.
    public enum Status: String, Sendable, Encodable, Comparable {
        case pass, warn, fail

        private var rank: Int {
            switch self {
            case .pass: 0
            case .warn: 1
            case .fail: 2
            }
        }

        public static func < (left: Status, right: Status) -> Bool { left.rank < right.rank }
    }

    /// A value a check observed: a number, a text, or none.
    public enum Value: Sendable, Encodable, Equatable {
        case number(Double)
        case text(String)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let number) where number == number.rounded() && abs(number) < 1e15:
                try container.encode(Int64(number))
            case .number(let number): try container.encode(number)
            case .text(let text): try container.encode(text)
            }
        }
    }

    /// One observation of a check.
    public struct Check: Sendable, Encodable {
        /// What kind of thing was looked at: `datastore`, `component`, `system`.
        public var componentType: String
        /// What was seen (a count, an age in seconds, a release), if anything.
        public var observedValue: Value?
        /// The unit of ``observedValue``, such as `s`.
        public var observedUnit: String?
        /// pass, warn or fail.
        public var status: Status
        /// A sentence for a person, on warn and fail.
        public var output: String?
        /// When it was looked at.
        public var time: Date
    }

    /// The worst status of the checks.
    public var status: Status
    /// This program's release.
    public var version: String?
    /// The database's release, or nil when it has none or cannot be read.
    public var releaseId: String?
    /// One line for a person.
    public var description: String
    /// The checks by name (`database:reachable`, `schema:pending`, …).
    public var checks: [String: [Check]]

    /// The HTTP status that goes with ``status``: 200, or 503 on fail.
    public var httpStatus: Int { status == .fail ? 503 : 200 }
}
