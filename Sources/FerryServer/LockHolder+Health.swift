import Ferry
import Foundation

extension LockHolder {
    /// Who holds the lock, said without the command's arguments (paths,
    /// URLs): the program's name and its verb, the host, the pid, since
    /// when, and the step. For `/health`, which anyone may read.
    ///
    /// For example `"ferry upgrade" on host db1, pid 4242, since 2026-12-02T08:00:00.000Z, now: Applying …`.
    var healthSummary: String {
        let words = command.split(separator: " ")
        var shown = words.first.map { URL(fileURLWithPath: String($0)).lastPathComponent } ?? "?"
        if words.count > 1, let verb = words.dropFirst().first,
            verb.allSatisfy({ $0.isLetter || $0 == "-" })
        {
            shown += " \(verb)"
        }
        var parts = ["\"\(shown)\" on host \(host)"]
        if let pid = pid ?? serverPID { parts.append("pid \(pid)") }
        parts.append("since \(Timestamp.string(from: since))")
        if let step { parts.append("now: \(step)") }
        return parts.joined(separator: ", ")
    }
}
