/// A condition declared in `ferry.toml` that the database must meet after
/// every upgrade, checked by verification before the commit.
///
/// ```toml
/// [[verify]]
/// name = "every sensor belongs to a device"
/// query = "SELECT count(*) FROM sensors WHERE device_id NOT IN (SELECT id FROM devices)"
/// expect = 0                 # the first value of the first row; without it every
///                            # row's first value must be true, as in a verify script
/// releases = ">=0.4.0"       # optional: only for databases at these releases
///
/// [[verify]]
/// preserve = ["machines -> servers", "devices"]   # row counts kept across the upgrade
/// ```
public struct Invariant: Sendable, Hashable {
    /// What an invariant checks.
    public enum Check: Sendable, Hashable {
        /// A query: its first value must equal `expected`, or, when
        /// `expected` is nil, every row's first value must be true.
        case query(sql: String, expected: String?)
        /// The rows of `from` before the upgrade are as many as the rows of
        /// `to` after it (the same table, or a table renamed).
        case preserve(from: String, to: String)
    }

    /// The invariant's name, as checks and errors show it.
    public var name: String
    /// What it checks.
    public var check: Check
    /// The releases of the database (after the upgrade) it applies to.
    public var releases: ReleaseRange

    /// Creates an invariant.
    public init(name: String, check: Check, releases: ReleaseRange = .any) {
        self.name = name
        self.check = check
        self.releases = releases
    }

    /// Reads a `preserve` entry such as `machines -> servers` or `devices`.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when it is not
    ///   one table or two joined by `->`.
    public static func preserving(_ text: String, releases: ReleaseRange = .any) throws -> Invariant
    {
        let names = text.components(separatedBy: "->").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard (1...2).contains(names.count), names.allSatisfy({ !$0.isEmpty && !$0.contains(" ") })
        else {
            throw FerryError(
                .invalidConfiguration,
                "'\(text)' in preserve is not a table or 'old_table -> new_table'.",
                advice: "Write for example preserve = [\"machines -> servers\", \"devices\"].")
        }
        let from = names[0]
        let to = names.count == 2 ? names[1] : names[0]
        return Invariant(
            name: from == to ? "rows of \(from) preserved" : "rows of \(from) preserved in \(to)",
            check: .preserve(from: from, to: to), releases: releases)
    }
}
