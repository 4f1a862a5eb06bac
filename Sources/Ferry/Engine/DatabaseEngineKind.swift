/// One kind of database a program can open: the URL schemes it declares,
/// and how it makes its engine from a location.
///
/// Each engine target provides one (`SQLiteEngine.kind`,
/// `PostgresEngine.kind`), and the program lists the kinds it links in
/// ``DatabaseEngines``. The core knows no engine by name: a new engine is a
/// new kind, with no change to the core.
public struct DatabaseEngineKind: Sendable {
    /// The engine's name, such as `sqlite`.
    public var name: String
    /// The URL schemes it opens, lowercased, such as `postgres` for
    /// `postgres://user@host/db`.
    public var schemes: [String]
    /// Whether it opens a plain path with no scheme, and `scheme:PATH`
    /// for its schemes: at most one kind of a program should.
    public var opensPlainPaths: Bool
    /// How a user writes its locations, for messages: `a SQLite path`,
    /// `sqlite:PATH`.
    public var locationForms: [String]
    /// The settings this engine reads (such as the folder of its tools),
    /// which the file and the environment accept when a program links it.
    public var settings: [EngineSetting]
    /// Makes the engine for a location this kind opens, parsing it once.
    /// The settings carry the engine's own options in
    /// ``Settings/engineOptions``.
    public var makeEngine:
        @Sendable (_ location: String, _ settings: Settings) throws -> any DatabaseEngine
    /// Lists the databases that a location with a pattern names (a
    /// PostgreSQL URL's `?schemas=tenant_*`), one fleet member each, in a
    /// stable order; nil for a kind that reads no pattern.
    public var listMembers:
        (@Sendable (_ location: String, _ settings: Settings) async throws -> [FleetMember])?

    /// Creates a kind of database.
    ///
    /// - Parameters:
    ///   - name: The engine's name.
    ///   - schemes: The URL schemes it opens, such as `postgres`.
    ///   - opensPlainPaths: Whether it opens a plain path and `scheme:PATH`.
    ///   - locationForms: How a user writes its locations, for messages.
    ///   - settings: The settings this engine reads.
    ///   - makeEngine: Makes the engine for a location; throws ``FerryError``
    ///     (code `invalidConfiguration`) for one that does not parse.
    ///   - listMembers: Lists the databases a location with a pattern names;
    ///     nil when the kind reads no pattern.
    public init(
        name: String, schemes: [String], opensPlainPaths: Bool = false, locationForms: [String],
        settings: [EngineSetting] = [],
        makeEngine:
            @escaping @Sendable (_ location: String, _ settings: Settings) throws ->
            any DatabaseEngine,
        listMembers: (
            @Sendable (_ location: String, _ settings: Settings) async throws -> [FleetMember]
        )? = nil
    ) {
        self.listMembers = listMembers
        self.name = name
        self.schemes = schemes.map { $0.lowercased() }
        self.opensPlainPaths = opensPlainPaths
        self.locationForms = locationForms
        self.settings = settings
        self.makeEngine = makeEngine
    }

    /// Whether this kind opens a location that starts with `scheme:`:
    /// `scheme://…` for every kind, `scheme:PATH` for one that opens paths.
    func opens(_ location: String, scheme: String) -> Bool {
        guard schemes.contains(scheme) else { return false }
        return opensPlainPaths || location.dropFirst(scheme.count + 1).hasPrefix("//")
    }
}
