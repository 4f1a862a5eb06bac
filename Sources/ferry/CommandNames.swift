import ArgumentParser
import Ferry
import Foundation

/// The names of `ferry`'s commands, and what the tool says when a name is
/// not one of them.
///
/// swift-argument-parser prints the root help and exits 0 for a bare `ferry`
/// and for `ferry help NOSUCH`, and says only "Unexpected argument" for a
/// mistyped command: a script would take the first two for success, and a
/// person gets no hint. These are usage errors (exit 2), with the nearest
/// command named.
enum CommandNames {
    /// Every command's name.
    static var all: [String] { FerryCommand.configuration.subcommands.map { $0._commandName } }

    /// The usage error for these arguments (without the program name), or
    /// nil when they name a command, an option or nothing wrong.
    static func usageError(for arguments: [String]) -> FerryError? {
        guard let first = arguments.first else {
            return FerryError(
                .invalidConfiguration, "No command given.", changes: "Nothing was changed.",
                advice: "Run 'ferry --help' to list the commands, for example 'ferry status'.")
        }
        if first == "help" {
            guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return nil }
            return unknown(arguments[1])
        }
        if first.hasPrefix("-") || all.contains(first) { return nil }
        return unknown(first)
    }

    private static func unknown(_ name: String) -> FerryError? {
        guard !all.contains(name) else { return nil }
        let guess = nearest(to: name).map { " Did you mean '\($0)'?" } ?? ""
        return FerryError(
            .invalidConfiguration, "'\(name.prefix(40))' is not a ferry command.\(guess)",
            changes: "Nothing was changed.",
            advice: "Run 'ferry --help' to list the commands.")
    }

    /// The command nearest to a mistyped name: one it starts, or one within
    /// two edits (a letter added, dropped, changed or two swapped).
    static func nearest(to name: String) -> String? {
        let typed = Array(name.lowercased().prefix(64))
        guard typed.count >= 2 else { return nil }
        if let started = all.first(where: { $0.hasPrefix(String(typed)) }) { return started }
        let scored = all.map { ($0, distance(typed, Array($0))) }.filter { $0.1 <= 2 }
        return scored.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }

    /// The optimal string alignment distance: insertions, deletions,
    /// substitutions and transpositions of neighbours each count one.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
                }
            }
        }
        return rows[a.count][b.count]
    }
}
