/// The benchmark's trivial migration number `index`, as run.py writes it
/// into Ferry's migrations folder and Alembic's revisions.
enum TrivialMigration {
    static func name(_ index: Int) -> String {
        "create_t\(String(format: "%05d", index))"
    }

    static func sql(_ index: Int) -> String {
        "CREATE TABLE t\(String(format: "%05d", index)) (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    }
}
