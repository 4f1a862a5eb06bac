/// Migrations registered in Swift, beside those in the migrations folder.
///
/// ```swift
/// var configuration = Ferry.Configuration(engine: engine, migrationsDirectory: folder)
/// try configuration.migrations.register(release: "0.7.0", name: "002_fill_rooms") { db in
///     try await db.execute("INSERT INTO rooms (name) SELECT DISTINCT location FROM devices")
/// }
/// ```
///
/// A registered migration is ordered with the folder's by release, then by
/// the number that starts its name.
public struct MigrationRegistry: Sendable {
    /// The registered migrations, in registration order.
    public private(set) var migrations: [Migration] = []

    /// Creates an empty registry.
    public init() {}

    /// Registers a migration written in Swift.
    ///
    /// - Parameters:
    ///   - release: The release the migration belongs to, such as `0.7.0`.
    ///   - name: The name within the release, such as `002_fill_rooms`; with
    ///     the release it forms the stable id recorded in the history.
    ///   - checksum: A text that changes when the migration's meaning
    ///     changes (for example a version number you bump). When nil, the
    ///     migration is never reported as changed.
    ///   - transactional: Whether it runs inside the upgrade's transaction.
    ///   - body: The code, given the upgrade's database.
    /// - Throws: ``FerryError`` when the release is not a version, the name is
    ///   empty, or the id is already registered.
    public mutating func register(
        release: String, name: String, checksum: String? = nil, transactional: Bool = true,
        _ body: @escaping @Sendable (any MigrationDatabase) async throws -> Void
    ) throws {
        let release = try Release(parsing: release)
        try add(
            Migration(
                release: release, name: name, body: .swift(body),
                checksum: checksum.map { Checksum.sha256($0) } ?? Migration.uncheckedSwiftChecksum,
                isTransactional: transactional))
    }

    /// Adds a migration built by hand.
    ///
    /// - Throws: ``FerryError`` when the name is empty or malformed, or the
    ///   id is already registered.
    public mutating func add(_ migration: Migration) throws {
        guard MigrationFolder.isValidName(migration.name) else {
            throw FerryError(
                .invalidMigrations,
                "'\(migration.name)' is not a valid migration name: use letters, digits, '_' and '-', "
                    + "starting with a number such as 001_create_devices.")
        }
        guard !migrations.contains(where: { $0.id == migration.id }) else {
            throw FerryError(.invalidMigrations, "Migration \(migration.id) is registered twice.")
        }
        migrations.append(migration)
    }
}
