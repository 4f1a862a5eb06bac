/// The kinds of database a program opens, and the one that opens a location.
///
/// The program that links the engines lists them (the tool lists SQLite and
/// PostgreSQL); a location goes to the kind that declares its scheme, and a
/// plain path to the kind that opens plain paths:
///
/// ```swift
/// let engines = DatabaseEngines([SQLiteEngine.kind, PostgresEngine.kind])
/// let engine = try engines.engine(for: "postgres://app@db/sensorhub", settings: settings)
/// ```
public struct DatabaseEngines: Sendable {
    /// The kinds, in the order messages list them.
    public var kinds: [DatabaseEngineKind]

    /// Creates the list of the kinds a program opens.
    public init(_ kinds: [DatabaseEngineKind]) {
        self.kinds = kinds
    }

    /// The kind that opens a location.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for an empty
    ///   location or a scheme no kind declares.
    public func kind(for location: String) throws -> DatabaseEngineKind {
        let trimmed = location.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw FerryError(
                .invalidConfiguration, "The database location is empty.", advice: advice)
        }
        if let scheme = DatabaseLocation.scheme(of: trimmed) {
            if let kind = kinds.first(where: { $0.opens(trimmed, scheme: scheme) }) { return kind }
            if trimmed.dropFirst(scheme.count + 1).hasPrefix("//") {
                throw FerryError(
                    .invalidConfiguration,
                    "Unknown database scheme '\(trimmed.prefix(scheme.count))'.",
                    advice: advice)
            }
        }
        guard let kind = kinds.first(where: \.opensPlainPaths) else {
            throw FerryError(
                .invalidConfiguration,
                "'\(DatabaseLocation.redactingPassword(in: trimmed))' names no database "
                    + "this program opens.", advice: advice)
        }
        return kind
    }

    /// Makes the engine for a location, which its kind parses once.
    ///
    /// - Parameters:
    ///   - location: The database's path or URL, as the user gave it.
    ///   - settings: The settings, whose engine options the kind reads.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for a location
    ///   no kind opens or that does not parse.
    public func engine(for location: String, settings: Settings) throws -> any DatabaseEngine {
        let trimmed = location.trimmingCharacters(in: .whitespaces)
        return try kind(for: trimmed).makeEngine(trimmed, settings)
    }

    /// What to give instead: `Give a SQLite path, sqlite:PATH, or postgres://user@host/db.`
    private var advice: String {
        let forms = kinds.flatMap(\.locationForms)
        switch forms.count {
        case 0: return "This program opens no database."
        case 1: return "Give \(forms[0])."
        case 2: return "Give \(forms[0]) or \(forms[1])."
        default:
            return "Give \(forms.dropLast().joined(separator: ", ")), or \(forms[forms.count - 1])."
        }
    }
}
