import Ferry
import PostgresNIO

/// What an upgrade checks on a PostgreSQL database before it changes
/// anything: that the server is recent enough and that the role may create
/// tables where Ferry and the migrations will put them.
enum PostgresPreflight {
    /// The oldest PostgreSQL major version Ferry supports.
    static let minimumServerVersion = 12

    /// - Throws: ``FerryError``: `insufficientPrivileges` when the role cannot
    ///   create tables; `databaseUnavailable` for a server that is too old.
    static func check(on connection: PostgresConnection, displayName: String, user: String)
        async throws
    {
        let rows = try await connection.queryUnlessClosed(
            """
            SELECT current_setting('server_version_num')::int, current_schema(),
                   coalesce(has_schema_privilege(current_schema(), 'CREATE'), false),
                   current_setting('search_path')
            """, logger: PostgresConnector.logger)
        var facts: [(Int, String?, Bool, String)] = []
        for try await row in rows.decode((Int, String?, Bool, String).self) { facts.append(row) }
        for (versionNumber, schema, canCreate, searchPath) in facts {
            let major = versionNumber / 10000
            guard major >= minimumServerVersion else {
                throw FerryError(
                    .databaseUnavailable,
                    "\(displayName) runs PostgreSQL \(major); Ferry needs PostgreSQL \(minimumServerVersion) or newer.",
                    changes: "Nothing was changed.",
                    advice: "Upgrade the server, or use an older Ferry.")
            }
            guard let schema else {
                throw FerryError(
                    .insufficientPrivileges,
                    "Role \(user) has no schema to create tables in: no schema of its search_path (\(searchPath)) exists.",
                    changes: "Nothing was changed.",
                    advice:
                        "Create the schema (CREATE SCHEMA … AUTHORIZATION \(user)) or set the role's search_path."
                )
            }
            guard canCreate else {
                throw FerryError(
                    .insufficientPrivileges,
                    "Role \(user) may not create tables in schema \(schema) of \(displayName), which the upgrade needs "
                        + "(for its migrations and Ferry's history tables).",
                    changes: "Nothing was changed.",
                    advice:
                        "As the schema's owner, run GRANT CREATE ON SCHEMA \(schema) TO \(user); "
                        + "or run the upgrade as the role that owns the application's tables.")
            }
        }
    }
}
