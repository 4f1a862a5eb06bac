/// One database of a fleet: where it is, and the short name its results and
/// its backups folder go by.
public struct FleetMember: Sendable, Hashable, Codable {
    /// The database's path or URL, as the spec gave it.
    public let location: String
    /// A short name unique in the fleet: the file's or database's name
    /// without its extension (`acme` for `tenants/acme.db`), with `-2`, `-3`
    /// added when two databases share it.
    public let name: String

    /// Creates a member.
    public init(location: String, name: String) {
        self.location = location
        self.name = name
    }

    /// Names each location after its last path component (a URL's query
    /// left out), unique in the list.
    ///
    /// - Parameter locations: The databases, in the fleet's order.
    /// - Returns: The members, in the same order.
    public static func naming(_ locations: [String]) -> [FleetMember] {
        var used = Set<String>()
        return locations.map { location in
            let withoutQuery = location.split(separator: "?", maxSplits: 1).first ?? ""
            let last = withoutQuery.split(separator: "/").last.map(String.init) ?? "database"
            var base = last.split(separator: ".").dropLast().joined(separator: ".")
            if base.isEmpty { base = last }
            base = String(
                base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
            var name = base
            var number = 2
            while !used.insert(name).inserted {
                name = "\(base)-\(number)"
                number += 1
            }
            return FleetMember(location: location, name: name)
        }
    }
}
