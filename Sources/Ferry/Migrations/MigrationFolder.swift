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
/// Files and folders whose names start with `.`, notes (`README`, `*.md`,
/// `*.txt`), folders inside a release, and the `hooks` and `fixtures`
/// folders are not migrations; any other file that does not end in `.sql`
/// (such as `001_a.SQL`) is refused, so that it is never silently skipped. A
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
        isValidName(bytes: name.utf8)
    }

    /// ``isValidName(_:)`` on a name's UTF-8 bytes.
    static func isValidName(bytes: some Collection<UInt8>) -> Bool {
        let digits = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            .count
        let rest = bytes.dropFirst(digits)
        return digits > 0 && rest.first == UInt8(ascii: "_") && rest.count > 1
            && rest.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
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
            try self.migrations(
                in: folder.path, named: folder.name, release: folder.release, into: &migrations)
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
            let isReadable = Self.forEachMigrationName(in: folder.path) { stem in
                ids.append(
                    (folder.release, "\(folder.release)/" + String(decoding: stem, as: UTF8.self)))
            }
            guard isReadable == true else { return nil }
        }
        return (folders.map(\.release), ids)
    }

    /// The ``HistoryFingerprint`` of the migrations in the release folders
    /// at or below `release`, from the file names alone (no file is read),
    /// or nil when a name does not fit the layout: then ``read()`` says what
    /// is wrong.
    public func fingerprint(upTo release: Release) -> HistoryFingerprint? {
        var fingerprint = HistoryFingerprint()
        guard let folders = try? releaseFolders(),
            addMigrationIDs(in: folders, upTo: release, to: &fingerprint)
        else {
            return nil
        }
        return fingerprint
    }

    /// Adds to `fingerprint` the id of every migration in the release
    /// folders at or below `release`, from the file names alone; checks the
    /// names of the other folders too.
    ///
    /// - Returns: False when a folder cannot be read or a name does not fit
    ///   the layout: then ``read()`` says what is wrong.
    func addMigrationIDs(
        in folders: [(release: Release, name: String, path: String)], upTo release: Release,
        to fingerprint: inout HistoryFingerprint
    ) -> Bool {
        for folder in folders {
            var prefix = HistoryFingerprint.Hash()
            var releaseText = folder.release.description + "/"
            releaseText.withUTF8 { prefix.add($0) }
            let isKnown = folder.release <= release
            let isReadable = Self.forEachMigrationName(in: folder.path) { stem in
                guard isKnown else { return }
                var hash = prefix
                hash.add(stem)
                fingerprint.add(hash)
            }
            guard isReadable == true else { return false }
        }
        return true
    }

    /// Calls `body` with the name (without `.sql`) of every up script in a
    /// release folder, as bytes.
    ///
    /// - Returns: Nil when the folder cannot be read; false when a name does
    ///   not fit the layout.
    private static func forEachMigrationName(
        in folder: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Bool? {
        var isValid = true
        let isReadable = DirectoryEntries.forEach(in: folder) { name, kind in
            guard isValid, kind != .folder, name.first != UInt8(ascii: ".") else { return }
            guard name.count > 4, name.suffix(4).elementsEqual(".sql".utf8) else {
                // Anything but a note is refused by read(), which says why.
                if !isNote(String(decoding: name, as: UTF8.self)) { isValid = false }
                return
            }
            let stem = UnsafeBufferPointer(rebasing: name[..<(name.count - 4)])
            if stem.elementsEqual(Migration.baselineName.utf8)
                || stem.suffix(5).elementsEqual(".down".utf8)
                || stem.suffix(7).elementsEqual(".verify".utf8)
            {
                return
            }
            guard isValidName(bytes: stem) else {
                isValid = false
                return
            }
            body(stem)
        }
        return isReadable ? isValid : nil
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
        var names: [String] = []
        let isReadable = DirectoryEntries.forEach(in: root) { name, kind in
            if kind == .folder { names.append(String(decoding: name, as: UTF8.self)) }
        }
        guard isReadable else { throw Self.unreadable(root) }
        for name in names {
            let path = root + "/" + name
            guard !name.hasPrefix("."), !Self.reservedFolders.contains(name) else { continue }
            guard let release = Release(name) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(path) is not a release folder: its name should be a semantic version such as 1.2.0.",
                    advice: "Rename it, or move it out of the migrations folder.")
            }
            // `v0.4.0`, `0.4` and `0.04.0` all read as 0.4.0: only the one spelling is accepted, so
            // that a folder's name is what the history records and what `release` settings name.
            guard release.description == name else {
                throw FerryError(
                    .invalidMigrations,
                    "\(path) is not named as a release: a release folder's name is its version written "
                        + "as \(release.description), with no prefix, no leading zeros and all three numbers.",
                    advice: "Rename the folder to \(release.description).")
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

    /// Appends a release folder's migrations to `migrations`, in the order they run.
    private func migrations(
        in folder: String, named folderName: String, release: Release,
        into migrations: inout [Migration]
    ) throws {
        /// A file of the release folder: its name, and its path as messages show it.
        typealias File = (name: String, shown: String)
        var ups: [(name: String, file: File)] = []
        var downs: [String: File] = [:]
        var verifies: [String: File] = [:]
        let fileNames = try files(in: folder)
        ups.reserveCapacity(fileNames.count)
        // Names are looked at by their bytes: a release folder may hold thousands of scripts.
        for fileName in fileNames {
            let bytes = fileName.utf8
            let isScript = bytes.count > 4 && bytes.suffix(4).elementsEqual(".sql".utf8)
            guard bytes.first != UInt8(ascii: "."), isScript || !Self.isNote(fileName) else {
                continue
            }
            let file: File = (fileName, folderName + "/" + fileName)
            guard isScript else {
                // A file Ferry would not run must not be mistaken for one it ran (`001_a.SQL`).
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) is not a migration: a release folder holds NNN_name.sql scripts (with their "
                        + ".down.sql and .verify.sql), baseline.sql, and notes (*.md, *.txt, README).",
                    advice:
                        "If it is a migration, rename it to end in .sql (lower case); otherwise move it out of "
                        + "the release folder.")
            }
            let stem = bytes.dropLast(4)
            if stem.elementsEqual(Migration.baselineName.utf8) { continue }
            if stem.count > 5, stem.suffix(5).elementsEqual(".down".utf8) {
                downs[String(Substring(stem.dropLast(5)))] = file
            } else if stem.count > 7, stem.suffix(7).elementsEqual(".verify".utf8) {
                verifies[String(Substring(stem.dropLast(7)))] = file
            } else {
                ups.append((String(Substring(stem)), file))
            }
        }
        if !downs.isEmpty || !verifies.isEmpty {
            let upNames = Set(ups.map(\.name))
            for (name, file) in downs.merging(verifies, uniquingKeysWith: { first, _ in first })
            where !upNames.contains(name) {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) has no up script \(name).sql beside it.",
                    advice: "Add \(name).sql, or rename the file to match its migration.")
            }
        }
        var ordered: [(number: Int, name: String, file: File)] = []
        ordered.reserveCapacity(ups.count)
        for (name, file) in ups {
            guard Self.isValidName(name) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) is not named like a migration: expected NNN_name.sql, "
                        + "such as 001_create_devices.sql (letters, digits, '_' and '-').",
                    advice: "Rename the file; its number orders it within release \(release).")
            }
            // `isValidName` let only ASCII digits lead the name: as many characters as bytes.
            let digits = name.prefix(
                name.utf8.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
                    .count)
            guard let number = Int(digits) else {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) has the number \(digits), larger than \(Int.max), the largest this program orders.",
                    advice:
                        "Renumber it with fewer digits (001, 002, …, or a timestamp such as 20261201120000)."
                )
            }
            ordered.append((number, name, file))
        }
        // In the order they run, so that no Migration is moved by a sort; two migrations with one
        // number are then side by side.
        ordered.sort { ($0.number, $0.name) < ($1.number, $1.name) }
        for (earlier, later) in zip(ordered, ordered.dropFirst())
        where earlier.number == later.number {
            throw FerryError(
                .invalidMigrations,
                "\(release)/\(earlier.name).sql and \(release)/\(later.name).sql have the same number \(later.number).",
                advice: "Give each migration of a release its own number.")
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY)
        defer { if directory >= 0 { close(directory) } }
        let script: @Sendable (File) throws -> SQLScript = { file in
            try Self.script(
                at: folder + "/" + file.name, shown: file.shown,
                relativeTo: directory >= 0 ? (directory, file.name) : nil)
        }
        // The scripts are read and hashed side by side on the cores; each failure is said where
        // the loop below meets it, so the first in the order they run is the one said.
        let scripts = ordered.concurrentMap { [downs, verifies] entry in
            (
                up: Result { try script(entry.file) },
                down: Result { try downs.isEmpty ? nil : downs[entry.name].map(script) },
                verify: Result { try verifies.isEmpty ? nil : verifies[entry.name].map(script) }
            )
        }
        migrations.reserveCapacity(migrations.count + ordered.count)
        for ((number, name, file), scripts) in zip(ordered, scripts) {
            let up = try scripts.up.get()
            let options = up.headerOptions
            if let unknown = options.first(where: { !Self.knownOptions.contains($0) }) {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) sets the unknown option 'ferry:\(unknown)'.",
                    advice: "Known options: "
                        + Self.knownOptions.sorted().map { "-- ferry:\($0)" }.joined(
                            separator: ", ") + ".")
            }
            if options.contains("no-transaction") && options.contains("own-transaction") {
                throw FerryError(
                    .invalidMigrations,
                    "\(file.shown) sets both 'ferry:no-transaction' and 'ferry:own-transaction'.",
                    advice: "Keep one: no-transaction runs the file outside any transaction, "
                        + "own-transaction in a transaction of its own.")
            }
            let transaction: Migration.Transaction =
                options.contains("no-transaction")
                ? .none : options.contains("own-transaction") ? .own : .shared
            migrations.append(
                Migration(
                    release: release, name: name, body: .sql(up),
                    down: try scripts.down.get(), verify: try scripts.verify.get(),
                    checksum: up.checksum, transaction: transaction,
                    legacyChecksum: up.legacyChecksum, number: number))
        }
    }

    /// Reads a script; `shown` is its path as messages show it (`0.7.0/001_x.sql`).
    ///
    /// - Parameter directory: An open folder and the file's name in it, to
    ///   open the file without walking its whole path.
    static func script(
        at path: String, shown: String, relativeTo directory: (fd: Int32, name: String)? = nil
    ) throws -> SQLScript {
        let bytes =
            directory.map { FileBytes.contents(of: $0.name, relativeTo: $0.fd) }
            ?? FileBytes.contents(of: path)
        guard let bytes else {
            throw FerryError(
                .invalidMigrations, "Cannot read \(shown): \(Self.whyUnreadable(path)).",
                changes: "Nothing was changed.",
                advice: "Make \(path) a readable SQL file, or remove it.")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FerryError(
                .invalidMigrations, "\(shown) is not UTF-8 text.", advice: "Save the file as UTF-8."
            )
        }
        return SQLScript(text: text, file: shown)
    }

    /// Why a script cannot be read, in a few words: a link to nothing, a
    /// folder, not a regular file, or what the system said.
    private static func whyUnreadable(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            var link = stat()
            if errno == ENOENT, lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
                let target =
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                return "it is a symbolic link to \(target), which does not exist"
            }
            return reason.lowercased()
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return "it is a folder (through a symbolic link), not a file"
        case S_IFREG: return String(cString: strerror(errno)).lowercased()
        default: return "it is not a regular file"
        }
    }

    /// Whether a file in a release folder is a note for people, which Ferry
    /// leaves alone: `README`, `*.md`, `*.txt` (any case). Hidden files
    /// (`.DS_Store`, an editor's swap file) are left alone too; any other
    /// file that is not `*.sql` is refused.
    static func isNote(_ fileName: String) -> Bool {
        let lower = fileName.lowercased()
        return lower == "readme" || lower.hasSuffix(".md") || lower.hasSuffix(".txt")
    }

    /// The names in a folder that are not folders. A folder named like a
    /// script (`001_x.sql/`) is refused: left out, its migration would be
    /// skipped without a word.
    private func files(in folder: String) throws -> [String] {
        var names: [String] = []
        var scriptFolders: [String] = []
        let isReadable = DirectoryEntries.forEach(in: folder) { name, kind in
            let text = String(decoding: name, as: UTF8.self)
            if kind != .folder {
                names.append(text)
            } else if text.lowercased().hasSuffix(".sql") {
                scriptFolders.append(text)
            }
        }
        guard isReadable else { throw Self.unreadable(folder) }
        if let name = scriptFolders.min() {
            throw FerryError(
                .invalidMigrations,
                "\(folder)/\(name) is a folder where a migration script is expected.",
                changes: "Nothing was changed.",
                advice:
                    "Put the script's SQL in a file of that name, or move the folder out of the release folder."
            )
        }
        return names
    }

    private static func unreadable(_ folder: String) -> FerryError {
        FerryError(
            .invalidConfiguration,
            "Cannot read the migrations folder \(folder): it does not exist or is not readable.",
            advice:
                "Pass \(.migrations, .placeholder), set FERRY_MIGRATIONS, or set [database] migrations in ferry.toml."
        )
    }
}
