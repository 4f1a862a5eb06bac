import Foundation

/// Reads migrations from a folder in Ferry's native layout.
///
/// ```
/// migrations/
///   0.6.0/
///     001_create_machines.sql
///   0.7.0/
///     001_rename_machines.sql        up script
///     001_rename_machines.down.sql   optional: reverts it
///     001_rename_machines.verify.sql optional: checks it
/// ```
///
/// Release folders are semantic versions; files in a release run in the
/// order of their leading number. A script whose leading comments hold
/// `-- ferry:no-transaction` runs alone, outside any transaction; one that
/// holds `-- ferry:own-transaction` runs in a transaction of its own.
/// Files and folders whose names start with `.`, files that do not end in
/// `.sql`, and the `hooks` and `fixtures` folders are not migrations. A
/// release's `baseline.sql` is its baseline (see ``baselines()``), and
/// `hooks/` holds the version-range hooks (see ``Hook``).
public struct MigrationFolder: Sendable {
    /// The folder.
    public let url: URL

    /// Folders beside the releases that hold no migrations.
    public static let reservedFolders: Set<String> = ["hooks", "fixtures"]

    /// The options a script header may set with `-- ferry:NAME`.
    public static let knownOptions: Set<String> = ["no-transaction", "own-transaction"]

    /// Creates a reader for a folder.
    public init(url: URL) {
        self.url = url
    }

    /// Whether a name can name a migration: a number, `_`, then letters,
    /// digits, `_` or `-` (for example `001_create_devices`).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        let digits = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }).count
        let rest = bytes.dropFirst(digits)
        return digits > 0 && rest.first == UInt8(ascii: "_") && rest.count > 1
            && rest.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    /// The release folders, oldest first, including those without migrations.
    ///
    /// - Throws: ``FerryError`` when the folder cannot be read or holds a
    ///   folder that is not a release.
    public func releases() throws -> [Release] {
        try releaseFolders().map(\.release)
    }

    /// The release folders and every migration, read in one pass.
    ///
    /// - Throws: ``FerryError`` as ``migrations()`` does.
    public func read() throws -> (releases: [Release], migrations: [Migration]) {
        var migrations: [Migration] = []
        let folders = try releaseFolders()
        for folder in folders {
            migrations += try self.migrations(in: folder.path, named: folder.name, release: folder.release)
        }
        return (folders.map(\.release), migrations)
    }

    /// The release folders and the ids of their migrations, from the file
    /// names alone (no file is read), or nil when a name does not fit the
    /// layout: then ``read()`` says what is wrong.
    ///
    /// This is what start-up needs to see that nothing is pending.
    public func migrationIDs() -> (releases: [Release], ids: [(release: Release, id: String)])? {
        guard let folders = try? releaseFolders() else { return nil }
        var ids: [(release: Release, id: String)] = []
        for folder in folders {
            guard let names = try? entries(in: folder.path) else { return nil }
            for fileName in names where !fileName.hasPrefix(".") && fileName.hasSuffix(".sql") {
                let stem = fileName.dropLast(".sql".count)
                if stem == Migration.baselineName || stem.hasSuffix(".down") || stem.hasSuffix(".verify") { continue }
                guard Self.isValidName(String(stem)) else { return nil }
                ids.append((folder.release, "\(folder.release)/\(stem)"))
            }
        }
        return (folders.map(\.release), ids)
    }

    /// Every migration in the folder, in the order they run.
    ///
    /// - Throws: ``FerryError`` (code `invalidMigrations`) naming the file
    ///   that is malformed: a name without a number, two migrations with the
    ///   same number in a release, a down or verify script without its up
    ///   script, an unknown `-- ferry:` option, or a file that is not UTF-8.
    public func migrations() throws -> [Migration] {
        try read().migrations
    }

    /// The release folders, oldest first, with their names and paths.
    func releaseFolders() throws -> [(release: Release, name: String, path: String)] {
        var folders: [(release: Release, name: String, path: String)] = []
        let root = url.path
        for name in try entries(in: root) {
            let path = root + "/" + name
            guard isDirectory(path), !name.hasPrefix("."), !Self.reservedFolders.contains(name) else { continue }
            guard let release = Release(name) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(path) is not a release folder: its name should be a semantic version such as 1.2.0.",
                    advice: "Rename it, or move it out of the migrations folder.")
            }
            if let twin = folders.first(where: { $0.release == release }) {
                throw FerryError(
                    .invalidMigrations,
                    "\(twin.name) and \(name) in \(root) are the same release.",
                    advice: "Merge them into one folder.")
            }
            folders.append((release, name, path))
        }
        return folders.sorted { $0.release < $1.release }
    }

    private func migrations(in folder: String, named folderName: String, release: Release) throws -> [Migration] {
        /// A file of the release folder: its path, and its path as messages show it.
        typealias File = (path: String, shown: String)
        var ups: [String: File] = [:]
        var downs: [String: File] = [:]
        var verifies: [String: File] = [:]
        for fileName in try entries(in: folder) {
            let file = (path: folder + "/" + fileName, shown: folderName + "/" + fileName)
            guard !fileName.hasPrefix("."), fileName.hasSuffix(".sql"), !isDirectory(file.path) else { continue }
            let stem = String(fileName.dropLast(".sql".count))
            if stem == Migration.baselineName { continue }
            if stem.hasSuffix(".down") {
                downs[String(stem.dropLast(".down".count))] = file
            } else if stem.hasSuffix(".verify") {
                verifies[String(stem.dropLast(".verify".count))] = file
            } else {
                ups[stem] = file
            }
        }
        for (name, file) in downs.merging(verifies, uniquingKeysWith: { first, _ in first }) where ups[name] == nil {
            throw FerryError(
                .invalidMigrations,
                "\(file.shown) has no up script \(name).sql beside it.",
                advice: "Add \(name).sql, or rename the file to match its migration.")
        }
        var byNumber: [Int: String] = [:]
        var migrations: [Migration] = []
        for (name, file) in ups {
            guard Self.isValidName(name) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) is not named like a migration: expected NNN_name.sql, "
                        + "such as 001_create_devices.sql (letters, digits, '_' and '-').",
                    advice: "Rename the file; its number orders it within release \(release).")
            }
            let number = Int(name.prefix(while: \.isNumber))!
            if let other = byNumber[number] {
                throw FerryError(
                    .invalidMigrations,
                    "\(release)/\(other).sql and \(release)/\(name).sql have the same number \(number).",
                    advice: "Give each migration of a release its own number.")
            }
            byNumber[number] = name
            let up = try Self.script(at: file.path, shown: file.shown)
            let options = up.headerOptions
            if let unknown = options.first(where: { !Self.knownOptions.contains($0) }) {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) sets the unknown option 'ferry:\(unknown)'.",
                    advice: "Known options: " + Self.knownOptions.sorted().map { "-- ferry:\($0)" }.joined(separator: ", ") + ".")
            }
            if options.contains("no-transaction") && options.contains("own-transaction") {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) sets both 'ferry:no-transaction' and 'ferry:own-transaction'.",
                    advice: "Keep one: no-transaction runs the file outside any transaction, "
                        + "own-transaction in a transaction of its own.")
            }
            let transaction: Migration.Transaction =
                options.contains("no-transaction") ? .none : options.contains("own-transaction") ? .own : .shared
            migrations.append(Migration(
                release: release, name: name, body: .sql(up),
                down: try downs[name].map { try Self.script(at: $0.path, shown: $0.shown) },
                verify: try verifies[name].map { try Self.script(at: $0.path, shown: $0.shown) },
                checksum: up.checksum, transaction: transaction))
        }
        return migrations.sorted { $0.precedes($1) }
    }

    /// Reads a script; `shown` is its path as messages show it (`0.7.0/001_x.sql`).
    static func script(at path: String, shown: String) throws -> SQLScript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError(.fileSystem, "Cannot read \(path).")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw FerryError(.invalidMigrations, "\(shown) is not UTF-8 text.", advice: "Save the file as UTF-8.")
        }
        return SQLScript(text: text, file: shown)
    }

    /// The names in a folder.
    private func entries(in folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw FerryError(
                .invalidConfiguration, "Cannot read the migrations folder \(folder): it does not exist or is not readable.",
                advice: "Pass --migrations DIR, set FERRY_MIGRATIONS, or set [database] migrations in ferry.toml.")
        }
    }

    /// Whether the entry itself (not what a symbolic link points to) is a folder.
    ///
    /// One `lstat`: the resource values of a URL cost about 20 times more on
    /// Linux, which showed when a folder holds thousands of migrations.
    private func isDirectory(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFDIR
    }
}
