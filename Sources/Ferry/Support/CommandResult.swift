import Foundation

/// A command's JSON document around a result that has no envelope of its
/// own: `command`, `ok` and `error` (null unless it failed), then the
/// result's keys beside them (docs/JSON.md). The tool's last `--json` line
/// and the admin server's answers are the same document.
package struct CommandResult<Body: Encodable>: Encodable {
    package let command: String
    package let ok: Bool
    package var error: FerryError?
    package let body: Body

    package init(command: String, ok: Bool, error: FerryError? = nil, body: Body) {
        self.command = command
        self.ok = ok
        self.error = error
        self.body = body
    }

    private enum CodingKeys: String, CodingKey {
        case command, ok, error
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encode(ok, forKey: .ok)
        try container.encode(error, forKey: .error)
        try body.encode(to: encoder)
    }
}

extension CommandResult: Sendable where Body: Sendable {}

/// An event line: the event's keys and `at`, the time it was seen (a
/// ``Timestamp``), so that a script can tell how long each step took. The
/// tool's `--json` event lines and the admin server's event stream.
package struct TimedEvent: Encodable, Sendable {
    package let at: Date
    package let event: UpgradeEvent

    package init(at: Date, event: UpgradeEvent) {
        self.at = at
        self.event = event
    }

    private enum CodingKeys: String, CodingKey {
        case at
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(at, forKey: .at)
        try event.encode(to: encoder)
    }
}
