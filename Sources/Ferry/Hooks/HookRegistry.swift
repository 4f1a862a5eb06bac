/// Hooks registered in Swift, beside those in `migrations/hooks/`.
///
/// ```swift
/// try configuration.onUpgrade(from: "<0.6.4", to: ">=1.0.0", name: "001_rebuild_index") { db in
///     try await db.execute("DELETE FROM search_index")
/// }
/// ```
public struct HookRegistry: Sendable {
    /// The registered hooks, in registration order (they run in name order).
    public private(set) var hooks: [Hook] = []

    /// Creates an empty registry.
    public init() {}

    /// Registers a hook written in Swift.
    ///
    /// - Parameters:
    ///   - from: The range of releases the database may come from, such as `<0.6.4`.
    ///   - to: The range of releases the upgrade may go to, such as `>=1.0.0`.
    ///   - name: The hook's name, such as `001_rebuild_index`: it orders the
    ///     hooks and names the runs in the history.
    ///   - body: The code, given the upgrade's database inside its transaction.
    /// - Throws: ``FerryError`` (code `invalidRange`) for a malformed range,
    ///   or `invalidMigrations` for a bad or repeated name.
    public mutating func onUpgrade(
        from: String, to: String, name: String,
        _ body: @escaping @Sendable (any MigrationDatabase) async throws -> Void
    ) throws {
        try add(
            Hook(
                name: name, from: try ReleaseRange(parsing: from),
                to: try ReleaseRange(parsing: to),
                body: .swift(body), checksum: Migration.uncheckedSwiftChecksum))
    }

    /// Adds a hook built by hand.
    ///
    /// - Throws: ``FerryError`` (code `invalidMigrations`) for a bad or
    ///   repeated name.
    public mutating func add(_ hook: Hook) throws {
        guard MigrationFolder.isValidName(hook.name) else {
            throw FerryError(
                .invalidMigrations,
                "'\(hook.name)' is not a valid hook name: use letters, digits, '_' and '-', "
                    + "starting with a number that orders it, such as 001_rebuild_index.")
        }
        guard !hooks.contains(where: { $0.name == hook.name }) else {
            throw FerryError(.invalidMigrations, "Hook \(hook.name) is registered twice.")
        }
        hooks.append(hook)
    }
}

extension Ferry.Configuration {
    /// Registers a hook written in Swift; see ``HookRegistry/onUpgrade(from:to:name:_:)``.
    ///
    /// - Throws: ``FerryError`` for a malformed range or a bad name.
    public mutating func onUpgrade(
        from: String, to: String, name: String,
        _ body: @escaping @Sendable (any MigrationDatabase) async throws -> Void
    ) throws {
        try hooks.onUpgrade(from: from, to: to, name: name, body)
    }
}
