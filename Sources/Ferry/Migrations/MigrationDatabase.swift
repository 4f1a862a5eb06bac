/// The database as a migration or hook written in Swift sees it.
///
/// Engines lend one inside the upgrade: every statement runs in the upgrade's
/// transaction, on the upgrade's connection. Do not keep it after the closure
/// returns.
///
/// ```swift
/// try migrations.register(release: "0.7.0", name: "002_fill_rooms") { db in
///     for row in try await db.fetchAll("SELECT DISTINCT location FROM devices") {
///         let location = row["location"] ?? .null
///         try await db.execute(literal: "INSERT INTO rooms (name) VALUES (\(location))")
///     }
/// }
/// ```
///
/// Values go in through ``execute(literal:)`` and ``fetchAll(literal:)``,
/// which bind them; never paste a value into the text given to
/// ``execute(_:)``.
public protocol MigrationDatabase: Sendable {
    /// The engine's name, such as `sqlite` or `postgresql`, so that code can
    /// choose its SQL dialect.
    var engineName: String { get }

    /// Runs one or several SQL statements.
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) naming the statement
    ///   and the engine's message.
    func execute(_ sql: String) async throws

    /// Runs one query and returns every row.
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) naming the statement
    ///   and the engine's message.
    func fetchAll(_ sql: String) async throws -> [SQLRow]

    /// Runs one statement with the values interpolated into it bound.
    ///
    /// ```swift
    /// try await db.execute(literal: "UPDATE users SET name = \(name) WHERE id = \(id)")
    /// ```
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) naming the statement
    ///   (with placeholders, never the values) and the engine's message; also
    ///   when the text holds more than one statement.
    func execute(literal sql: SQLStatement) async throws

    /// Runs one query with the values interpolated into it bound, and returns
    /// every row.
    ///
    /// - Throws: ``FerryError`` (code `migrationFailed`) naming the statement
    ///   (with placeholders, never the values) and the engine's message.
    func fetchAll(literal sql: SQLStatement) async throws -> [SQLRow]
}
