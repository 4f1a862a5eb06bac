import Foundation

/// The databases a fleet run works on, and how to open each one.
///
/// Every database is opened with one shared configuration in which only the
/// engine differs: the same migrations, hooks, checks and settings.
///
/// ```swift
/// let fleet = try Fleet(FleetSpec("tenants/*.db"), engines: engines, settings: settings)
/// for try await event in Ferry(configuration).upgradeAll(fleet) { … }
/// ```
public struct Fleet: Sendable {
    /// The databases, in the order they are started.
    public var members: [FleetMember]
    /// Opens a database by its location.
    let makeEngine: @Sendable (String) throws -> any DatabaseEngine

    /// Creates a fleet from its members and the way to open each.
    public init(
        members: [FleetMember],
        makeEngine: @escaping @Sendable (String) throws -> any DatabaseEngine
    ) {
        self.members = members
        self.makeEngine = makeEngine
    }

    /// Creates the fleet a spec names, each database opened by the engine
    /// kind that opens its location.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the spec
    ///   cannot be read or names no database.
    public init(_ spec: FleetSpec, engines: DatabaseEngines, settings: Settings) throws {
        let locations = try spec.locations()
        guard !locations.isEmpty else {
            throw FerryError(
                .invalidConfiguration, "'\(spec)' names no database.",
                changes: "Nothing was changed.",
                advice:
                    "Check \(.databases, .placeholder): a glob must match existing files (quote it so that "
                    + "the shell leaves it to Ferry); a list file needs one path or URL a line.")
        }
        for location in locations { _ = try engines.kind(for: location) }
        self.init(members: FleetMember.naming(locations)) { location in
            try engines.engine(for: location, settings: settings)
        }
    }

    /// Creates the fleet a spec names, asking the server when the spec is a
    /// pattern (`postgres://host/app?schemas=tenant_*`: each schema that
    /// matches is a database of its own); else as
    /// ``init(_:engines:settings:)``.
    ///
    /// ```swift
    /// let fleet = try await Fleet.listing(
    ///     FleetSpec("postgres://ferry@db/app?schemas=tenant_*"), engines: engines, settings: settings)
    /// ```
    ///
    /// - Parameters:
    ///   - spec: The databases, as `--databases` gives them.
    ///   - engines: The kinds of database the program opens.
    ///   - settings: The settings each database is opened with.
    /// - Returns: The fleet, in a stable order.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the spec
    ///   names no database or its engine reads no pattern; the engine's
    ///   error when the server cannot be asked.
    public static func listing(_ spec: FleetSpec, engines: DatabaseEngines, settings: Settings)
        async throws -> Fleet
    {
        guard case .pattern(let location) = spec.form else {
            return try Fleet(spec, engines: engines, settings: settings)
        }
        let kind = try engines.kind(for: location)
        guard let listMembers = kind.listMembers else {
            throw FerryError(
                .invalidConfiguration, "'\(spec)' holds a pattern that \(kind.name) does not read.",
                changes: "Nothing was changed.",
                advice:
                    "Give \(.databases, .placeholder) as a glob of files or @FILE, a list of URLs.")
        }
        let members = try await listMembers(location, settings)
        return Fleet(members: members) { location in
            try engines.engine(for: location, settings: settings)
        }
    }

    /// The same fleet with only the databases at these locations, in order.
    public func keeping(locations: Set<String>) -> Fleet {
        Fleet(members: members.filter { locations.contains($0.location) }, makeEngine: makeEngine)
    }

    /// Whether every database is a local file (each engine made once to ask).
    var isLocalFiles: Bool {
        members.allSatisfy { (try? makeEngine($0.location).localFile) != nil }
    }
}
